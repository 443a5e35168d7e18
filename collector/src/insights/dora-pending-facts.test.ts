import { count, eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { doraFacts, doraPendingFacts } from "../db/schema/index.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { DORA_FACTS_PER_MOVE, moveDoraFacts } from "./dora-facts.ts";

// Ingest appends a finished deployment's DORA fact to dora_pending_facts; the facts move into
// dora_facts together, every DORA_FACTS_PER_MOVE appended by a process, or before a DORA read.
// Each test has an app of its own: the count towards the next move is the process's.
let t: TestApp;
afterEach(() => t.close());

const AT = "2026-05-04T10:00:00.000Z";

function finished(product: string, i: number, status = "completed") {
  return {
    product_name: product,
    version: `1.${i}`,
    environment_name: "pending-prod",
    status,
    invoke_id: `run-${i}`,
    completed_at: new Date(Date.parse(AT) + i * 60_000).toISOString(),
  };
}

async function deploy(event: Record<string, unknown>): Promise<string> {
  const res = await t.call("POST", "/deployment-events/", event);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.deployment_id as string;
}

async function counts(product: string) {
  const { db } = t.database;
  const productId = (await t.call("GET", `/products/${product}`)).body.id as string;
  const [moved] = await db.select({ n: count() }).from(doraFacts).where(eq(doraFacts.product_id, productId));
  const [pending] = await db
    .select({ n: count() })
    .from(doraPendingFacts)
    .where(eq(doraPendingFacts.product_id, productId));
  return { moved: moved?.n, pending: pending?.n };
}

async function factOf(deploymentId: string) {
  const [row] = await t.database.db.select().from(doraFacts).where(eq(doraFacts.deployment_id, deploymentId));
  return row;
}

describe("DORA facts on their way into dora_facts", () => {
  it("wait in dora_pending_facts until a DORA read moves them, and the read counts them", async () => {
    t = await createTestApp();
    const product = unique("pending");
    await deploy(finished(product, 1));
    await deploy(finished(product, 2, "failed"));
    expect(await counts(product)).toEqual({ moved: 0, pending: 2 });
    const res = await t.call(
      "GET",
      `/metrics/dora?product=${product}&environment=pending-prod&from=2026-05-01T00:00:00Z&to=2026-05-08T00:00:00Z&bucket=week`,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.change_failure_rate).toMatchObject({ deployments: 2, failed: 1 });
    expect(await counts(product)).toEqual({ moved: 2, pending: 0 });
  });

  it("move in the ingest transaction that appends the DORA_FACTS_PER_MOVE-th, all of them", async () => {
    t = await createTestApp();
    const product = unique("pending");
    const events = Array.from({ length: DORA_FACTS_PER_MOVE - 1 }, (_, i) => ({
      kind: "deployment",
      event: finished(product, i),
    }));
    const batch = await t.call("POST", "/events/batch", { events });
    expect(batch.body.accepted).toBe(DORA_FACTS_PER_MOVE - 1);
    expect(await counts(product)).toEqual({ moved: 0, pending: DORA_FACTS_PER_MOVE - 1 });
    await deploy(finished(product, DORA_FACTS_PER_MOVE));
    expect(await counts(product)).toEqual({ moved: DORA_FACTS_PER_MOVE, pending: 0 });
    // The count starts again: the next fact waits.
    await deploy(finished(product, DORA_FACTS_PER_MOVE + 1));
    expect(await counts(product)).toEqual({ moved: DORA_FACTS_PER_MOVE, pending: 1 });
  });

  it("keep a rollback's mark whether the replaced deployment's fact was pending or moved", async () => {
    t = await createTestApp();
    const product = unique("pending");
    // 1 then 2, then back to 1: 2 is rolled back while its fact is pending.
    await deploy(finished(product, 1));
    const pendingTwo = await deploy({ ...finished(product, 2), invoke_id: "two" });
    await deploy({ ...finished(product, 1), invoke_id: "back", completed_at: "2026-05-04T11:00:00.000Z" });
    // Then 3, moved before 1 comes back again: 3 is rolled back after its fact moved.
    const movedThree = await deploy({ ...finished(product, 3), completed_at: "2026-05-04T12:00:00.000Z" });
    await moveDoraFacts(t.database);
    expect((await factOf(movedThree))?.rolled_back).toBe(false);
    await deploy({ ...finished(product, 1), invoke_id: "again", completed_at: "2026-05-04T13:00:00.000Z" });
    await moveDoraFacts(t.database);
    expect(await factOf(pendingTwo)).toMatchObject({ rolled_back: true, status: "completed" });
    expect(await factOf(movedThree)).toMatchObject({ rolled_back: true, status: "completed" });
  });

  it("a later event of a deployment replaces its pending fact, in the order they came", async () => {
    t = await createTestApp();
    const product = unique("pending");
    const first = await deploy(finished(product, 1, "failed"));
    const again = await deploy({ ...finished(product, 1), completed_at: "2026-05-04T10:30:00.000Z" });
    expect(again).toBe(first);
    const [pending] = await t.database.db
      .select({ n: count() })
      .from(doraPendingFacts)
      .where(eq(doraPendingFacts.deployment_id, first));
    expect(pending?.n).toBe(2);
    await moveDoraFacts(t.database);
    expect(await factOf(first)).toMatchObject({
      status: "completed",
      finished_at: "2026-05-04T10:30:00.000Z",
    });
  });

  it("go with their product when it is deleted", async () => {
    t = await createTestApp();
    const product = unique("pending");
    const other = unique("pending");
    await deploy(finished(product, 1));
    await deploy(finished(other, 1));
    const productId = (await t.call("GET", `/products/${product}`)).body.id as string;
    const deleted = await t.call("DELETE", `/products/${productId}?confirm=${product}`);
    expect(deleted.status, JSON.stringify(deleted.body)).toBeLessThan(300);
    const left = await t.database.db.select({ product: doraPendingFacts.product_id }).from(doraPendingFacts);
    expect(left.map((row) => row.product)).not.toContain(productId);
    expect(left).toHaveLength(1);
    await moveDoraFacts(t.database);
    expect(await t.database.db.select().from(doraPendingFacts)).toEqual([]);
  });
});
