import { expect } from "vitest";
import { DeliveryWorker } from "../notifications/delivery-worker.ts";
import { type TestApp, unique } from "./test-app.ts";

/** A worker on the test app's database and manual clock; tests drive it with runOnce(). */
export function testWorker(t: TestApp, owner: string, maxAttempts = 4): DeliveryWorker {
  return new DeliveryWorker({
    database: t.database,
    config: {
      smtpFrom: "Versioner <v@example.test>",
      retryBaseMs: 1000,
      maxDelayMs: 3_600_000,
      maxAttempts,
      timeoutMs: 2000,
      pollMs: 1000,
      concurrency: 16,
      allowPrivateAddresses: true,
    },
    clock: t.clock,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    owner,
    metrics: t.metrics,
  });
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
