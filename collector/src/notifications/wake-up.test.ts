import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type HttpReceiver, startReceiver } from "../testing/http-receiver.ts";
import { createChannel, deploy, testWorker } from "../testing/notification-fixtures.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

// The app's outbox writer and the delivery worker beside it share the database runtime's hub
// (database-runtime.ts): the worker sends as soon as the event's outbox row commits.

let t: TestApp;
let receiver: HttpReceiver;
beforeAll(async () => {
  t = await createTestApp({ VERSIONER_ALLOW_PRIVATE_WEBHOOKS: "true", VERSIONER_LOG_LEVEL: "silent" });
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  t.close();
});

describe("the delivery worker beside the app", () => {
  it("is woken by the commit of an event that queued a delivery, not by its next poll", async () => {
    const product = unique("woken");
    await createChannel(t, {
      kind: "webhook",
      url: receiver.url,
      subscriptions: [{ event_types: ["deployment.completed"], products: [product] }],
    });
    // Polls once an hour: only the wake-up can send within the wait below.
    const worker = testWorker(t, "woken", 4, 16, 3_600_000);
    worker.start();
    try {
      await deploy(t, product, "production");
      await vi.waitFor(() => expect(receiver.received).toHaveLength(1), { timeout: 4_000, interval: 20 });
      expect(receiver.received[0]?.json).toMatchObject({ product_name: product });
    } finally {
      await worker.stop();
    }
  });
});
