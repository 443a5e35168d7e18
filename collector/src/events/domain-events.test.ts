import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog } from "../db/schema/index.ts";
import { ConflictError } from "../errors.ts";
import { createApp } from "../http/app.ts";
import { createLogger } from "../logger.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { type DomainEvent, DomainEventBus } from "./domain-events.ts";

let t: TestApp;
let app: ReturnType<typeof createApp>;
const seen: DomainEvent[] = [];
let failNext = false;
let rejectNext = false;

beforeAll(async () => {
  t = await createTestApp();
  const bus = new DomainEventBus();
  // A subscriber that writes a row in the publisher's transaction (the audit table stands in
  // for a feature's own table) and can make the whole transaction fail.
  bus.subscribe((event, tx) => {
    seen.push(event);
    tx.add(
      tx.db.insert(auditLog).values({
        id: randomUUID(),
        at: event.occurred_at,
        actor_type: "system",
        actor_id: "test",
        actor_name: "test",
        action: `seen.${event.type}`,
        target_type: "event",
        target_id: event.product_name ?? null,
      }),
    );
    if (rejectNext) {
      rejectNext = false;
      throw new ConflictError("CONFLICT", "a subscriber refused");
    }
    if (failNext) {
      failNext = false;
      tx.add(tx.db.run(sql`INSERT INTO no_such_table VALUES (1)`));
    }
  });
  const { loadConfig } = await import("../config.ts");
  app = createApp({
    database: t.database,
    runtime: t.runtime,
    config: loadConfig({ DATABASE_URL: "file::memory:" }),
    clock: t.clock,
    logger: createLogger("silent"),
    bus,
  });
});
afterAll(() => t.close());

async function post(path: string, body: object) {
  const res = await app.request(path, {
    method: "POST",
    headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return res.status;
}

async function rowsFor(product: string) {
  const result = await t.database.client.execute({
    sql: "SELECT action FROM audit_log WHERE target_id = ? ORDER BY at",
    args: [product],
  });
  return result.rows.map((row) => row.action);
}

describe("domain events published by ingest", () => {
  it("publishes build.<status> and deployment.<status> with the rows, inside the ingest transaction", async () => {
    const product = unique("bus");
    expect(await post("/build-events", { product_name: product, version: "1", status: "success" })).toBe(200);
    t.clock.advance(1000);
    expect(
      await post("/deployment-events", {
        product_name: product,
        version: "1",
        environment_name: "eu-prod",
        status: "failed",
      }),
    ).toBe(200);
    const mine = seen.filter((e) => e.product_name === product);
    expect(mine.map((e) => e.type)).toEqual(["build.completed", "deployment.failed"]);
    expect(mine[1]).toMatchObject({
      environment_name: "eu-prod",
      environment_type: "production",
      status: "failed",
    });
    expect(await rowsFor(product)).toEqual(["seen.build.completed", "seen.deployment.failed"]);
  });

  it("does not publish for a replayed or rejected event", async () => {
    const product = unique("bus-replay");
    const body = { product_name: product, version: "1", environment_name: "dev", status: "completed" };
    await post("/deployment-events", body);
    await post("/deployment-events", body);
    await post("/deployment-events", { ...body, status: "nonsense" });
    expect(seen.filter((e) => e.product_name === product)).toHaveLength(1);
  });

  it("rolls the event back with the subscriber's writes when the batch fails", async () => {
    const product = unique("bus-atomic");
    failNext = true;
    const status = await post("/deployment-events", {
      product_name: product,
      version: "1",
      environment_name: "dev",
      status: "completed",
    });
    expect(status).toBe(500);
    expect(await rowsFor(product)).toEqual([]);
    const products = await t.database.client.execute({
      sql: "SELECT id FROM products WHERE name = ?",
      args: [product],
    });
    expect(products.rows).toHaveLength(0);
  });

  it("fails the whole request when a subscriber throws a domain error, keeping nothing of the event", async () => {
    const product = unique("bus-refused");
    rejectNext = true;
    const status = await post("/events/batch", {
      events: [
        {
          kind: "deployment",
          event: { product_name: product, version: "1", environment_name: "dev", status: "completed" },
        },
      ],
    });
    expect(status).toBe(500);
    const products = await t.database.client.execute({
      sql: "SELECT id FROM products WHERE name = ?",
      args: [product],
    });
    expect(products.rows).toHaveLength(0);
  });
});
