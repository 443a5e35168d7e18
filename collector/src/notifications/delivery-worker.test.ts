import { createHmac } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { notificationDeliveries } from "../db/schema/index.ts";
import { type HttpReceiver, startReceiver } from "../testing/http-receiver.ts";
import {
  createChannel,
  deliveriesOf as deliveriesFor,
  deploy as deployTo,
  testWorker,
} from "../testing/notification-fixtures.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import type { DeliveryWorker } from "./delivery-worker.ts";

let t: TestApp;
let worker: DeliveryWorker;
const newWorker = (owner: string) => testWorker(t, owner);
const receivers: HttpReceiver[] = [];

beforeAll(async () => {
  t = await createTestApp({ VERSIONER_ALLOW_PRIVATE_WEBHOOKS: "true", VERSIONER_LOG_LEVEL: "silent" });
  worker = testWorker(t, "worker-a");
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  t.close();
});

async function receiver(script: HttpReceiver["script"] = []) {
  const r = await startReceiver(script);
  receivers.push(r);
  return r;
}
const channel = (body: Record<string, unknown>) => createChannel(t, body);
const deploy = (product: string, environment: string, status?: string, extra?: Record<string, unknown>) =>
  deployTo(t, product, environment, status, extra);
const deliveriesOf = (channelId: string) => deliveriesFor(t, channelId);
/** A receiver, and a webhook channel sending it the completed deployments of a new product. */
async function webhookOnCompleted(prefix: string) {
  const r = await receiver();
  const product = unique(prefix);
  const hook = await channel({
    kind: "webhook",
    url: r.url,
    subscriptions: [{ event_types: ["deployment.completed"], products: [product] }],
  });
  return { r, product, hook };
}

describe("delivery worker", () => {
  it("signs webhooks so the receiver can verify them with the secret", async () => {
    const r = await receiver();
    const product = unique("signed");
    await channel({
      kind: "webhook",
      url: r.url,
      secret: "topsecret",
      headers: { "X-Team": "payments" },
      subscriptions: [{ event_types: ["deployment.completed"], products: [product] }],
    });
    await deploy(product, "production");
    await worker.runOnce();
    expect(r.received).toHaveLength(1);
    const [request] = r.received;
    const timestamp = String(request?.headers["x-versioner-timestamp"]);
    const expected = createHmac("sha256", "topsecret").update(`${timestamp}.${request?.body}`).digest("hex");
    expect(request?.headers["x-versioner-signature"]).toBe(`sha256=${expected}`);
    expect(request?.headers["x-versioner-event"]).toBe("deployment.completed");
    expect(request?.headers["x-versioner-delivery"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(request?.headers["x-team"]).toBe("payments");
    expect(request?.json).toMatchObject({ product_name: product, deployer: "octocat" });
  });

  it("retries 500s with backoff and records every attempt; delivers once", async () => {
    const r = await receiver([500, 503]);
    const product = unique("flaky");
    const hook = await channel({
      kind: "slack",
      url: r.url,
      subscriptions: [{ event_types: ["deployment.completed"], products: [product] }],
    });
    await deploy(product, "production");
    await worker.runOnce();
    const [first] = await deliveriesOf(hook.id);
    expect(first).toMatchObject({ status: "pending", attempts: 1, last_response_code: 500 });
    // Measured from when the attempt was recorded, not from a later reading of the clock.
    const wait = Date.parse(first.next_attempt_at) - Date.parse(first.updated_at);
    expect(wait).toBeGreaterThanOrEqual(800);
    expect(wait).toBeLessThanOrEqual(1200);
    expect(await worker.runOnce()).toBe(0);
    t.clock.advance(wait);
    await worker.runOnce();
    t.clock.advance(2500);
    await worker.runOnce();
    const detail = (await t.call("GET", `/notification-deliveries/${first.id}`)).body;
    expect(detail).toMatchObject({
      status: "delivered",
      attempts: 3,
      last_response_code: 200,
      last_error: null,
    });
    expect(detail.attempt_history.map((a: any) => [a.outcome, a.response_code])).toEqual([
      ["retry", 500],
      ["retry", 503],
      ["delivered", 200],
    ]);
    expect(r.received).toHaveLength(3);
    expect(r.received[0]?.json.blocks[0].text.text).toContain(product);
  });

  it("treats a 400 as final, honours Retry-After on 429, and gives up after the attempt limit", async () => {
    const bad = await receiver([400]);
    const limited = await receiver([{ status: 429, headers: { "retry-after": "120" } }]);
    const down = await receiver([500, 500, 500, 500]);
    const product = unique("final");
    const subs = [{ event_types: ["deployment.completed"], products: [product] }];
    const c400 = await channel({ kind: "webhook", url: bad.url, subscriptions: subs });
    const c429 = await channel({ kind: "webhook", url: limited.url, subscriptions: subs });
    const c500 = await channel({ kind: "webhook", url: down.url, subscriptions: subs });
    await deploy(product, "production");
    await worker.runOnce();
    expect((await deliveriesOf(c400.id))[0]).toMatchObject({
      status: "failed",
      attempts: 1,
      last_response_code: 400,
    });
    const throttled = (await deliveriesOf(c429.id))[0];
    // Retry-After: 120 is honoured to the millisecond, counted from when the attempt was recorded.
    const wait = Date.parse(throttled.next_attempt_at) - Date.parse(throttled.updated_at);
    expect(wait).toBe(120_000);
    for (let i = 0; i < 4; i++) {
      t.clock.advance(3_600_000);
      await worker.runOnce();
    }
    expect((await deliveriesOf(c500.id))[0]).toMatchObject({ status: "failed", attempts: 4 });
    expect((await deliveriesOf(c500.id))[0].last_error).toContain("gave up after 4 attempts");
    expect(bad.received).toHaveLength(1);
    expect(down.received).toHaveLength(4);
  });

  it("never lets two workers claim the same delivery", async () => {
    const { r, product } = await webhookOnCompleted("race");
    for (let i = 0; i < 12; i++) await deploy(product, `env-${i}`);
    const other = newWorker("worker-b");
    let total = 0;
    for (let round = 0; round < 5; round++) {
      const counts = await Promise.all([worker.runOnce(), other.runOnce()]);
      total += counts[0] + counts[1];
    }
    expect(total).toBe(12);
    expect(r.received).toHaveLength(12);
    expect(new Set(r.received.map((req) => req.headers["x-versioner-delivery"])).size).toBe(12);
  });

  it("resumes a delivery whose lease expired (a crashed worker)", async () => {
    const { r, product, hook } = await webhookOnCompleted("crash");
    await deploy(product, "production");
    const [row] = await deliveriesOf(hook.id);
    const until = new Date(t.clock.now().getTime() + 60_000).toISOString();
    await t.database.db
      .update(notificationDeliveries)
      .set({ lease_owner: "dead-worker", lease_until: until })
      .where(eq(notificationDeliveries.id, row.id));
    expect(await worker.runOnce()).toBe(0);
    t.clock.advance(60_001);
    expect(await worker.runOnce()).toBe(1);
    expect(r.received).toHaveLength(1);
  });

  it("cancels deliveries of a channel disabled before they were sent", async () => {
    const { r, product, hook } = await webhookOnCompleted("off");
    await deploy(product, "production");
    await t.call("PATCH", `/notification-channels/${hook.id}`, { enabled: false });
    await worker.runOnce();
    expect((await deliveriesOf(hook.id))[0]).toMatchObject({
      status: "cancelled",
      last_error: "channel disabled before sending",
    });
    expect(r.received).toHaveLength(0);
  });
});

describe("the worker's writes and the write lock", () => {
  it("claims and records only while it holds the process's write lock, as ingest's group commit does", async () => {
    const { r, product, hook } = await webhookOnCompleted("locked");
    await deploy(product, "production");
    // A group commit holding the lock (its thread applying a transaction): the claim must wait
    // for it, not race it to SQLite's lock (a wait there would hold the event loop).
    let release = () => {};
    const held = t.database.writeLock.run(() => new Promise<void>((resolve) => (release = resolve)));
    const run = worker.runOnce();
    try {
      for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
      const [waiting] = await t.database.client
        .execute({
          sql: "SELECT lease_owner FROM notification_deliveries WHERE channel_id = ?",
          args: [hook.id],
        })
        .then((result) => result.rows);
      expect(waiting?.lease_owner).toBeNull();
      expect(r.received).toHaveLength(0);
    } finally {
      release();
    }
    await held;
    await run;
    expect(r.received).toHaveLength(1);
    expect((await deliveriesOf(hook.id))[0]).toMatchObject({ status: "delivered" });
  });
});

describe("replay and test", () => {
  it("replays a failed delivery as a new one with the same event id", async () => {
    const r = await receiver([404]);
    const product = unique("replay");
    const hook = await channel({
      kind: "webhook",
      url: r.url,
      subscriptions: [{ event_types: ["deployment.completed"], products: [product] }],
    });
    await deploy(product, "production");
    await worker.runOnce();
    const [failed] = await deliveriesOf(hook.id);
    expect(failed.status).toBe("failed");
    const replay = await t.call("POST", `/notification-deliveries/${failed.id}/replay`);
    expect(replay.status).toBe(202);
    expect(replay.body).toMatchObject({ status: "pending", replay_of: failed.id, event_id: failed.event_id });
    await worker.runOnce();
    expect((await t.call("GET", `/notification-deliveries/${replay.body.id}`)).body.status).toBe("delivered");
    expect(r.received.map((req) => req.json.event_id)).toEqual([failed.event_id, failed.event_id]);
  });

  it("sends a test message synchronously and reports the answer", async () => {
    const ok = await receiver();
    const broken = await receiver([403]);
    const good = await channel({ kind: "teams", url: ok.url });
    const bad = await channel({ kind: "slack", url: broken.url });
    const passed = await t.call("POST", `/notification-channels/${good.id}/test`);
    expect(passed.body).toMatchObject({ ok: true, response_code: 200, error: null });
    expect(ok.received[0]?.json.attachments[0].content.type).toBe("AdaptiveCard");
    const failed = await t.call("POST", `/notification-channels/${bad.id}/test`);
    expect(failed.body).toMatchObject({ ok: false, response_code: 403, error: "HTTP 403" });
  });

  it("survives a failure to record a delivery and keeps it for a later claim", async () => {
    // A database of its own: this test breaks a table.
    const own = await createTestApp({
      VERSIONER_ALLOW_PRIVATE_WEBHOOKS: "true",
      VERSIONER_LOG_LEVEL: "silent",
    });
    try {
      const r = await receiver();
      const product = unique("unrecorded");
      await createChannel(own, {
        kind: "webhook",
        url: r.url,
        subscriptions: [{ event_types: ["deployment.completed"], products: [product] }],
      });
      await deployTo(own, product, "production");
      await own.database.client.execute("DROP TABLE notification_attempts");
      await expect(testWorker(own, "worker-broken").runOnce()).resolves.toBe(1);
      const [delivery] = await own.database.db.select().from(notificationDeliveries);
      expect(delivery).toMatchObject({ status: "pending", lease_owner: "worker-broken" });
    } finally {
      own.close();
    }
  });
});
