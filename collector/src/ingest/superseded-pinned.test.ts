import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postDeployment } from "../testing/ingest-fixtures.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

// An open record that a newer attempt replaced never reports its end: ingest closes it as
// `aborted`, at the moment it learnt so. These tests read the closed rows themselves.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const deploy = (product: string, version: string, status: string, extra: object = {}) =>
  postDeployment(t, product, version, "prod", status, extra);

const build = (product: string, version: string, status: string, extra: object = {}) =>
  t.call("POST", "/build-events", { product_name: product, version, status, ...extra });

async function row(table: "deployments" | "builds", id: string) {
  const result = await t.database.client.execute({ sql: `SELECT * FROM ${table} WHERE id = ?`, args: [id] });
  return result.rows[0] as unknown as Record<string, unknown>;
}

async function receivedAt(eventId: string): Promise<string> {
  const result = await t.database.client.execute({
    sql: "SELECT received_at FROM events WHERE id = ?",
    args: [eventId],
  });
  return String(result.rows[0]?.received_at);
}

describe("a superseded deployment", () => {
  it("is closed as aborted, completed and updated when the new attempt arrived", async () => {
    const product = unique("sup-deploy");
    const first = await deploy(product, "1", "started", { deployed_by: "jdoe" });
    await deploy(product, "2", "started");
    t.clock.advance(60_000);
    const again = await deploy(product, "1", "started");
    expect(again.body.deployment_id).not.toBe(first.body.deployment_id);
    const at = await receivedAt(again.body.event_id);
    expect(await row("deployments", first.body.deployment_id)).toMatchObject({
      status: "aborted",
      completed_at: at,
      updated_at: at,
      started_at: await receivedAt(first.body.event_id),
      deployed_by: "jdoe",
    });
    expect(await row("deployments", again.body.deployment_id)).toMatchObject({ status: "started" });
  });

  it("is closed when a run completes the same version, but not when the run fails", async () => {
    const product = unique("sup-run");
    const open = await deploy(product, "1", "started");
    await deploy(product, "1", "failed", { invoke_id: "r1" });
    expect(await row("deployments", open.body.deployment_id)).toMatchObject({
      status: "started",
      completed_at: null,
    });
    t.clock.advance(60_000);
    const run = await deploy(product, "1", "completed", { invoke_id: "r2" });
    const at = await receivedAt(run.body.event_id);
    expect(await row("deployments", open.body.deployment_id)).toMatchObject({
      status: "aborted",
      completed_at: at,
      updated_at: at,
    });
  });
});

describe("a superseded build", () => {
  it("is closed as aborted, completed and updated when the new attempt arrived", async () => {
    const product = unique("sup-build");
    const first = await build(product, "1", "started", { build_number: "1" });
    await build(product, "1", "started", { invoke_id: "other-run" });
    t.clock.advance(60_000);
    const again = await build(product, "1", "started", { build_number: "2" });
    expect(again.body.build_id).not.toBe(first.body.build_id);
    const at = await receivedAt(again.body.event_id);
    expect(await row("builds", first.body.build_id)).toMatchObject({
      status: "aborted",
      completed_at: at,
      updated_at: at,
      build_number: "1",
    });
    // Its end is final: the next event without invoke_id advances the new build.
    const completed = await build(product, "1", "completed");
    expect(completed.body.build_id).toBe(again.body.build_id);
  });

  it("is read as closed by a later event of the same batch", async () => {
    const product = unique("sup-batch");
    const item = (status: string, extra: object = {}) => ({
      kind: "build",
      event: { product_name: product, version: "1", status, ...extra },
    });
    const res = await t.call("POST", "/events/batch", {
      events: [item("started"), item("started", { invoke_id: "other" }), item("started"), item("completed")],
    });
    const [first, , again, completed] = res.body.results;
    expect(completed.body.build_id).toBe(again.body.build_id);
    expect(await row("builds", first.body.build_id)).toMatchObject({ status: "aborted" });
  });
});
