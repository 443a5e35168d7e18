import { eq } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../testing/test-app.ts";
import { insertStatement, updateByIdStatement } from "./compiled-writes.ts";
import { events, products } from "./schema/index.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

// A compiled statement must store exactly what drizzle's own builder stores for the same row.
describe("compiled writes", () => {
  it("insert a row as drizzle does, JSON and nulls included", async () => {
    const { db, client } = t.database;
    const row = (id: string, name: string) => ({
      id,
      name,
      description: null,
      extra_metadata: { team: "a", nested: [1, null] },
      created_at: "2026-01-01T00:00:00.000Z",
      updated_at: "2026-01-01T00:00:00.000Z",
    });
    await db.insert(products).values(row("built", "compiled-built"));
    const compiled = insertStatement(db, products, row("compiled", "compiled-compiled"));
    await client.execute(compiled);
    const stored = await client.execute(
      "SELECT id, name, description, extra_metadata, created_at FROM products WHERE id IN ('built', 'compiled') ORDER BY id",
    );
    const [built, ours] = stored.rows.map((r) => ({ ...r, id: undefined, name: undefined }));
    expect(ours).toEqual(built);
    expect(stored.rows[1]?.description).toBeNull();
    expect(stored.rows[1]?.extra_metadata).toBe('{"team":"a","nested":[1,null]}');
  });

  it("update only the columns given, by id, as drizzle does", async () => {
    const { db, client } = t.database;
    const at = "2026-01-02T00:00:00.000Z";
    for (const id of ["u-built", "u-compiled"]) {
      await db.insert(products).values({
        id,
        name: id,
        description: "before",
        extra_metadata: {},
        created_at: at,
        updated_at: at,
      });
    }
    const changes = { description: null, extra_metadata: { changed: true }, updated_at: "later" };
    await db.update(products).set(changes).where(eq(products.id, "u-built"));
    await client.execute(updateByIdStatement(db, products, { ...changes, name: undefined }, "u-compiled"));
    const stored = await client.execute(
      "SELECT name, description, extra_metadata, updated_at FROM products WHERE id LIKE 'u-%' ORDER BY id",
    );
    expect(stored.rows.map((r) => [r.description, r.extra_metadata, r.updated_at])).toEqual([
      [null, '{"changed":true}', "later"],
      [null, '{"changed":true}', "later"],
    ]);
    expect(stored.rows.map((r) => r.name)).toEqual(["u-built", "u-compiled"]);
  });

  it("build one statement text per table and per set of columns", () => {
    const { db } = t.database;
    const base = { kind: "build", product_id: "p", version_id: "v", record_id: "r", status: "started" };
    const row = (id: string) => ({ ...base, id, payload: {}, response: {}, received_at: "now" });
    const a = insertStatement(db, events, row("1"));
    const b = insertStatement(db, events, row("2"));
    expect(b.sql).toBe(a.sql);
    expect(a.args).not.toEqual(b.args);
    expect(updateByIdStatement(db, products, { name: "x" }, "1").sql).not.toBe(
      updateByIdStatement(db, products, { description: "x" }, "1").sql,
    );
  });

  it("refuse a table whose columns compute a default", () => {
    const withDefault = sqliteTable("with_default", {
      id: text("id").primaryKey(),
      n: integer("n").$defaultFn(() => 1),
    });
    expect(() => insertStatement(t.database.db, withDefault, { id: "1" })).toThrow(
      /with_default\.n has a default/,
    );
  });
});
