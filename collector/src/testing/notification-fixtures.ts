import { expect } from "vitest";
import { DeliveryWorker } from "../notifications/delivery-worker.ts";
import { type TestApp, unique } from "./test-app.ts";

/** A worker on the test app's database, runtime and manual clock; tests drive it with runOnce() (or start()). */
export function testWorker(
  t: TestApp,
  owner: string,
  maxAttempts = 4,
  concurrency = 16,
  pollMs = 1000,
): DeliveryWorker {
  return new DeliveryWorker({
    database: t.database,
    runtime: t.runtime,
    config: {
      smtpFrom: "Versioner <v@example.test>",
      retryBaseMs: 1000,
      maxDelayMs: 3_600_000,
      maxAttempts,
      timeoutMs: 2000,
      pollMs,
      concurrency,
      allowPrivateAddresses: true,
    },
    clock: t.clock,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    owner,
    metrics: t.metrics,
  });
}

/**
 * Sends every due delivery one at a time, oldest first: for tests about the order of messages.
 * `runOnce` sends up to `concurrency` at once, and their arrival order then depends on the database's
 * timing (a libSQL server answers the parallel reads out of order); the collector promises none.
 */
export async function deliverInOrder(t: TestApp, owner: string): Promise<void> {
  const worker = testWorker(t, owner, 4, 1);
  while ((await worker.runOnce()) > 0) {
    // one delivery per round
  }
}

export async function createChannel(t: TestApp, body: Record<string, unknown>): Promise<any> {
  const res = await t.call("POST", "/notification-channels", { name: unique("chan"), ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** A deployment event one second after the previous one, with a fresh version. */
export async function deploy(
  t: TestApp,
  product: string,
  environment: string,
  status = "completed",
  extra: Record<string, unknown> = {},
): Promise<any> {
  t.clock.advance(1000);
  const res = await t.call("POST", "/deployment-events/", {
    product_name: product,
    version: unique("v"),
    environment_name: environment,
    status,
    deployed_by: "octocat",
    ...extra,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

export async function deliveriesOf(t: TestApp, channelId: string): Promise<any[]> {
  const res = await t.call("GET", `/notification-deliveries?channel=${channelId}`);
  return res.body.items;
}
