import { readFileSync } from "node:fs";
import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { currentState, events, products } from "../db/schema/index.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

// A deployment cell keeps the id of its newest event (`current_state.latest_event_id`), which the
// repeat and lifecycle rules read instead of an index on `events` by product + environment.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** Each cell of `product` with its latest event's id, by environment id. */
async function latestIds(product: string) {
  return t.database.db
    .select({ environment_id: currentState.environment_id, latest_event_id: currentState.latest_event_id })
    .from(currentState)
    .innerJoin(products, eq(products.id, currentState.product_id))
    .where(eq(products.name, product))
    .orderBy(asc(currentState.environment_id));
}

/** The newest event of each of `product`'s cells by insertion order, by environment id. */
async function newestByRowid(product: string) {
  const result = await t.database.client.execute({
    sql: `SELECT e.environment_id, e.id FROM events e JOIN products p ON p.id = e.product_id
          WHERE p.name = ? AND e.environment_id IS NOT NULL
            AND e.rowid = (SELECT max(rowid) FROM events f
                           WHERE f.product_id = e.product_id AND f.environment_id = e.environment_id)
          ORDER BY e.environment_id`,
    args: [product],
  });
  return result.rows.map((row) => ({ environment_id: row.environment_id, latest_event_id: row.id }));
}

async function history(product: string) {
  const deploy = (body: Record<string, unknown>) =>
    t.call("POST", "/deployment-events/", { product_name: product, ...body });
  await deploy({ version: "1", environment_name: "cell-prod", status: "started", invoke_id: "r1" });
  await deploy({ version: "1", environment_name: "cell-prod", status: "completed", invoke_id: "r1" });
  await deploy({ version: "1", environment_name: "cell-test", status: "completed" });
  // A back-dated deployment: the cell does not move, its latest event does.
  await deploy({
    version: "0",
    environment_name: "cell-prod",
    status: "completed",
    completed_at: "2020-01-01T00:00:00.000Z",
  });
  // Builds have no cell: they leave the cells' latest events alone.
  await t.call("POST", "/build-events/", { product_name: product, version: "2", status: "completed" });
  // Two events of one cell in one batch: the last one is the cell's.
  const batch = await t.call("POST", "/events/batch", {
    events: ["started", "completed"].map((status) => ({
      kind: "deployment",
      event: { product_name: product, version: "2", environment_name: "cell-test", status, invoke_id: "r2" },
    })),
  });
  expect(batch.status).toBe(200);
}

describe("a cell's latest event", () => {
  it("is the newest event stored in the cell, by insertion order, across requests and within a batch", async () => {
    const product = unique("cells");
    await history(product);
    const cells = await latestIds(product);
    expect(cells).toHaveLength(2);
    expect(cells).toEqual(await newestByRowid(product));
  });

  it("is filled by the migration that added it, from the events stored before it", async () => {
    const product = unique("cells");
    await history(product);
    const byIngest = await latestIds(product);
    const migration = readFileSync(
      new URL("../../drizzle/0010_cell_latest_event.sql", import.meta.url),
      "utf8",
    );
    const backfill = migration
      .split("--> statement-breakpoint")
      .find((chunk) => chunk.includes("UPDATE `current_state`"));
    expect(backfill).toBeDefined();
    await t.database.client.execute("UPDATE current_state SET latest_event_id = NULL");
    await t.database.client.execute(backfill as string);
    expect(await latestIds(product)).toEqual(byIngest);
    expect(byIngest.every((cell) => cell.latest_event_id !== null)).toBe(true);
  });

  it("goes with its product: deleting a product deletes its events, by version", async () => {
    const product = unique("cells");
    await history(product);
    const [row] = await t.database.db.select().from(products).where(eq(products.name, product));
    const deleted = await t.call("DELETE", `/products/${row?.id}?confirm=${product}`);
    expect(deleted.status).toBe(204);
    expect(
      await t.database.db
        .select()
        .from(events)
        .where(eq(events.product_id, String(row?.id))),
    ).toEqual([]);
  });
});
