import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { notificationDeliveries } from "../db/schema/index.ts";
import { createChannel, deliveriesOf } from "../testing/notification-fixtures.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ VERSIONER_ALLOW_PRIVATE_WEBHOOKS: "true", VERSIONER_LOG_LEVEL: "silent" });
});
afterAll(() => t.close());

// Each deployment is its own CI run (invoke_id), as in life: a repeat of an identical event body
// within the dedup window is a different story (ingest.test.ts).
async function deploy(
  product: string,
  version: string,
  environment = "production",
  status = "completed",
  run = unique("run"),
) {
  t.clock.advance(60_000);
  const res = await t.call("POST", "/deployment-events/", {
    product_name: product,
    version,
    environment_name: environment,
    status,
    invoke_id: run,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.deployment_id as string;
}

async function deployment(id: string) {
  return (await t.call("GET", `/deployments/${id}`)).body;
}

describe("rollback detection at ingest", () => {
  it("marks the rollback and the replaced deployment; the roll-forward is not one", async () => {
    const product = unique("rb");
    const first = await deploy(product, "1.4");
    const bad = await deploy(product, "1.5");
    const back = await deploy(product, "1.4");
    const forward = await deploy(product, "1.6");
    expect(await deployment(back)).toMatchObject({
      is_rollback: true,
      rolled_back_from: "1.5",
      rolled_back_from_deployment_id: bad,
      rolled_back: false,
    });
    expect(await deployment(bad)).toMatchObject({
      is_rollback: false,
      rolled_back: true,
      rolled_back_by_deployment_id: back,
    });
    for (const id of [first, forward])
      expect(await deployment(id)).toMatchObject({ is_rollback: false, rolled_back: false });
  });

  it("redeploying the current version, or the same version elsewhere, is not a rollback", async () => {
    const product = unique("rb");
    await deploy(product, "1.0");
    await deploy(product, "2.0", "staging");
    await deploy(product, "2.0");
    const again = await deploy(product, "2.0");
    expect((await deployment(again)).is_rollback).toBe(false);
    // 1.0 never ran in staging: moving staging to it is no rollback.
    const staging = await deploy(product, "1.0", "staging");
    expect((await deployment(staging)).is_rollback).toBe(false);
  });

  it("follows a deployment's lifecycle: started then completed is one rollback", async () => {
    const product = unique("rb");
    await deploy(product, "1");
    await deploy(product, "2");
    const started = await deploy(product, "1", "production", "started", "run-42");
    expect((await deployment(started)).is_rollback).toBe(false);
    const completed = await deploy(product, "1", "production", "completed", "run-42");
    expect(completed).toBe(started);
    expect(await deployment(started)).toMatchObject({ is_rollback: true, rolled_back_from: "2" });
  });

  it("a batch sees its own earlier deployments", async () => {
    const product = unique("rb");
    const events = ["1", "2", "1"].map((version, i) => ({
      kind: "deployment",
      event: {
        product_name: product,
        version,
        environment_name: "production",
        status: "completed",
        invoke_id: `batch-run-${i}`,
        completed_at: `2026-04-01T10:0${i}:00Z`,
      },
    }));
    const res = await t.call("POST", "/events/batch", { events });
    expect(res.status).toBe(200);
    const ids = res.body.results.map((r: { body: { deployment_id: string } }) => r.body.deployment_id);
    expect((await deployment(ids[2])).rolled_back_from).toBe("2");
    expect((await deployment(ids[1])).rolled_back).toBe(true);
  });

  it("shows the rollback in /state and filters it out of nothing in /deployments", async () => {
    const product = unique("rb");
    await deploy(product, "1");
    await deploy(product, "2");
    const back = await deploy(product, "1");
    const state = (await t.call("GET", "/state")).body;
    const cell = state.products
      .find((p: { name: string }) => p.name === product)
      .cells.find((c: { environment_name: string }) => c.environment_name === "production");
    expect(cell.current).toMatchObject({ version: "1", deployment_id: back, rolled_back_from: "2" });
    const list = (await t.call("GET", `/deployments?product=${product}`)).body.items;
    expect(
      list.map((d: { is_rollback: boolean; rolled_back: boolean }) => [d.is_rollback, d.rolled_back]),
    ).toEqual([
      [true, false],
      [false, true],
      [false, false],
    ]);
  });

  it("publishes deployment.rolled_back to channels subscribed to it, and only to them", async () => {
    const product = unique("rb");
    const rolledBack = await createChannel(t, {
      kind: "webhook",
      url: "http://127.0.0.1:9/rollbacks",
      subscriptions: [{ event_types: ["deployment.rolled_back"], products: [product] }],
    });
    const completed = await createChannel(t, {
      kind: "webhook",
      url: "http://127.0.0.1:9/completed",
      subscriptions: [{ event_types: ["deployment.completed"], products: [product] }],
    });
    await deploy(product, "1");
    await deploy(product, "2");
    await deploy(product, "1");
    const deliveries = await deliveriesOf(t, rolledBack.id);
    expect(deliveries.map((d: { event_type: string }) => d.event_type)).toEqual(["deployment.rolled_back"]);
    const [outbox] = await t.database.db
      .select({ payload: notificationDeliveries.payload })
      .from(notificationDeliveries)
      .where(eq(notificationDeliveries.channel_id, rolledBack.id));
    expect(outbox?.payload).toMatchObject({ version: "1", previous_version: "2", environment: "production" });
    expect((await deliveriesOf(t, completed.id)).map((d: { event_type: string }) => d.event_type)).toEqual([
      "deployment.completed",
      "deployment.completed",
      "deployment.completed",
    ]);
  });
});
