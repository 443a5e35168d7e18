import { readFileSync } from "node:fs";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { doraFacts } from "../db/schema/index.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { moveDoraFacts } from "./dora-facts.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

async function deploy(product: string, version: string, status: string, completedAt: string) {
  const res = await t.call("POST", "/deployment-events/", {
    product_name: product,
    version,
    environment_name: "facts-prod",
    status,
    invoke_id: unique("run"),
    completed_at: completedAt,
    scm_committed_at: "2026-03-02T08:00:00.000Z",
  });
  expect(res.status).toBe(200);
  return res.body.deployment_id as string;
}

/** The fact of a deployment once the pending facts are moved, as a DORA read moves them. */
async function fact(id: string) {
  await moveDoraFacts(t.database);
  const [row] = await t.database.db.select().from(doraFacts).where(eq(doraFacts.deployment_id, id));
  return row;
}

describe("dora_facts, kept by the ingest transaction and incident writes", () => {
  it("records every finished deployment, the lead time of a version's first there, and the marks", async () => {
    const product = unique("facts");
    const first = await deploy(product, "1", "completed", "2026-03-02T10:00:00.000Z");
    const failed = await deploy(product, "2", "failed", "2026-03-02T11:00:00.000Z");
    const second = await deploy(product, "2", "completed", "2026-03-02T12:00:00.000Z");
    const back = await deploy(product, "1", "completed", "2026-03-02T13:00:00.000Z");
    expect(await fact(first)).toMatchObject({ status: "completed", lead_ms: 7_200_000, rolled_back: false });
    expect(await fact(failed)).toMatchObject({ status: "failed", lead_ms: null });
    // 2 failed before it completed: this is its first completion there, so it has a lead time.
    expect(await fact(second)).toMatchObject({ lead_ms: 14_400_000, rolled_back: true });
    // The rollback redeploys 1: no lead time.
    expect(await fact(back)).toMatchObject({ lead_ms: null, rolled_back: false, incident_linked: false });
    const incident = await t.call("POST", "/incidents", { title: "x", deployment_id: back });
    expect((await fact(back))?.incident_linked).toBe(true);
    await t.call("PATCH", `/incidents/${incident.body.id}`, { deployment_id: first });
    expect((await fact(back))?.incident_linked).toBe(false);
    expect((await fact(first))?.incident_linked).toBe(true);
  });

  it("a started deployment has no fact until it finishes", async () => {
    const product = unique("facts");
    const res = await t.call("POST", "/deployment-events/", {
      product_name: product,
      version: "1",
      environment_name: "facts-prod",
      status: "started",
    });
    expect(await fact(res.body.deployment_id)).toBeUndefined();
  });

  it("the migration's backfill computes the same facts as ingest for the history before it", async () => {
    const product = unique("facts");
    await deploy(product, "1", "completed", "2026-03-03T10:00:00.000Z");
    await deploy(product, "2", "failed", "2026-03-03T11:00:00.000Z");
    await deploy(product, "2", "completed", "2026-03-03T12:00:00.000Z");
    const migration = readFileSync(
      new URL("../../drizzle/0004_insight_rollbacks_incidents.sql", import.meta.url),
      "utf8",
    );
    const backfill = migration
      .split("--> statement-breakpoint")
      .find((chunk) => chunk.includes("INSERT INTO `dora_facts`"));
    expect(backfill).toBeDefined();
    const columns = {
      id: doraFacts.deployment_id,
      status: doraFacts.status,
      lead_ms: doraFacts.lead_ms,
      finished_at: doraFacts.finished_at,
    };
    await moveDoraFacts(t.database);
    const byIngest = await t.database.db.select(columns).from(doraFacts).orderBy(doraFacts.deployment_id);
    await t.database.db.delete(doraFacts);
    await t.database.client.execute(backfill as string);
    const byBackfill = await t.database.db.select(columns).from(doraFacts).orderBy(doraFacts.deployment_id);
    expect(byBackfill).toEqual(byIngest);
  });
});
