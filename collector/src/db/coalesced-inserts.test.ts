import { getTableName, is } from "drizzle-orm";
import { SQLiteTable } from "drizzle-orm/sqlite-core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bareVersion } from "../testing/ingest-fixtures.ts";
import { createTestApp, type TestApp } from "../testing/test-app.ts";
import { coalesceInserts, MAX_ROWS, parse, tableRanks } from "./coalesced-inserts.ts";
import {
  insertStatement,
  plainStatement,
  updateByIdStatement,
  type WriteStatement,
} from "./compiled-writes.ts";
import * as schema from "./schema/index.ts";
import { products, versions } from "./schema/index.ts";

// Two databases: the statements one by one go to `one`, the coalesced ones to `merged`, and both
// must end the same (or both fail, writing nothing).
let one: TestApp;
let merged: TestApp;
beforeAll(async () => {
  [one, merged] = await Promise.all([createTestApp(), createTestApp()]);
});
afterAll(() => {
  one.close();
  merged.close();
});

const AT = "2026-11-30T00:00:00.000Z";
const product = (id: string) =>
  insertStatement(one.database.db, products, {
    id,
    name: `coalesce-${id}`,
    description: null,
    extra_metadata: {},
    created_at: AT,
    updated_at: AT,
  });
const version = (id: string, productId: string, name = id) =>
  insertStatement(one.database.db, versions, {
    ...bareVersion(id, productId, name, AT),
    extra_metadata: { n: id },
  });

const tableOf = (statement: WriteStatement) => /into "?(\w+)"?/i.exec(plainStatement(statement).sql)?.[1];
/** The rows a statement writes: one, or those of a merged insert's JSON value. */
const rowsOf = (statement: WriteStatement) => {
  const { sql, args } = plainStatement(statement);
  return /json_each/.test(sql) ? (JSON.parse(String(args[0])) as unknown[]).length : 1;
};

async function apply(t: TestApp, statements: WriteStatement[]): Promise<string | undefined> {
  try {
    await t.database.client.batch(statements.map(plainStatement), "write");
    return undefined;
  } catch (error) {
    return (error as Error).message.match(/(UNIQUE|FOREIGN KEY|NOT NULL) constraint failed/)?.[0] ?? "failed";
  }
}

async function dump(t: TestApp, prefix: string) {
  const read = async (sql: string) =>
    (await t.database.client.execute({ sql, args: [`${prefix}%`] })).rows.map((row) => ({ ...row }));
  return {
    products: await read("SELECT id, name, description FROM products WHERE id LIKE ? ORDER BY id"),
    versions: await read(
      "SELECT id, product_id, version, status, extra_metadata FROM versions WHERE id LIKE ? ORDER BY id",
    ),
  };
}

describe("coalesceInserts", () => {
  it("sends a run of one table's rows as inserts of up to 256 rows, their values one JSON array in order", async () => {
    const rows = Array.from({ length: 300 }, (_, i) => product(`order-${String(i).padStart(3, "0")}`));
    const out = coalesceInserts(rows);
    expect(MAX_ROWS).toBe(256);
    expect(out.map(rowsOf)).toEqual([256, 44]);
    expect(out.flatMap((statement) => JSON.parse(String(plainStatement(statement).args[0])))).toEqual(
      rows.map((statement) => plainStatement(statement).args),
    );
    // Written, each value keeps its SQL type (the JSON column's text is text, not JSON).
    expect(await apply(merged, out)).toBeUndefined();
    const stored = await merged.database.client.execute(
      "SELECT typeof(extra_metadata) AS json, typeof(description) AS absent, extra_metadata FROM products WHERE id = 'order-007'",
    );
    expect({ ...stored.rows[0] }).toEqual({ json: "text", absent: "null", extra_metadata: "{}" });
    // Rows with a value JSON cannot carry exactly (a blob, a number that is not finite) go one by one.
    const blob = { ...plainStatement(product("blob-a")) };
    blob.args = blob.args.map((value, i) => (i === 2 ? new Uint8Array([1, 2]) : value));
    const odd = [blob, product("blob-b")];
    expect(coalesceInserts(odd)).toEqual(odd);
    // A lone row goes unchanged.
    const lone = product("lone");
    expect(coalesceInserts([lone])).toEqual([lone]);
  });

  it("writes parents first: a new version's product before it, whatever the order of the run", async () => {
    await Promise.all([one, merged].map((t) => apply(t, [product("fk-p0")])));
    // A version of a stored product, then a new product and its version: coalesced, the two
    // product rows' table comes first, as the foreign key from versions needs.
    const statements = [version("fk-v0", "fk-p0"), product("fk-p1"), version("fk-v1", "fk-p1")];
    const out = coalesceInserts(statements);
    expect(out.map((statement) => [tableOf(statement), rowsOf(statement)])).toEqual([
      ["products", 1],
      ["versions", 2],
    ]);
    expect(await apply(merged, out)).toBeUndefined();
    expect(await apply(one, statements)).toBeUndefined();
    expect(await dump(merged, "fk-")).toEqual(await dump(one, "fk-"));
  });

  it("writes every pending row before an update, and keeps a table's rows in order", () => {
    const update = updateByIdStatement(one.database.db, products, { description: "x" }, "b-p0");
    const out = coalesceInserts([
      product("b-p0"),
      product("b-p1"),
      update,
      product("b-p2"),
      version("b-v", "b-p2"),
    ]);
    expect(out.map((statement) => [tableOf(statement) ?? "update", rowsOf(statement)])).toEqual([
      ["products", 2],
      ["update", 1],
      ["products", 1],
      ["versions", 1],
    ]);
  });

  it("ends the run before an insert that reads a table with rows pending", async () => {
    const [p, e] = ["reads-p", "reads-e"];
    await Promise.all(
      [one, merged].map((t) =>
        t.database.client.batch(
          [
            plainStatement(product(p)),
            {
              sql: "INSERT INTO environments (id, name, type, metadata, sort_order, created_at, updated_at) VALUES (?, ?, 'production', '{}', 900, ?, ?)",
              args: [e, e, AT, AT],
            },
            plainStatement(version("reads-v", p)),
            {
              sql: "INSERT INTO deployments (id, product_id, version_id, environment_id, status, extra_metadata, created_at, updated_at) VALUES (?, ?, ?, ?, 'success', '{}', ?, ?)",
              args: ["reads-d", p, "reads-v", e, AT, AT],
            },
          ],
          "write",
        ),
      ),
    );
    const incident = {
      sql: "INSERT INTO incidents (id, product_id, environment_id, deployment_id, title, opened_at, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, 'down', ?, 'test', ?, ?)",
      args: ["reads-i", p, e, "reads-d", AT, AT, AT],
    };
    // An insert whose values read another table (ingest's DORA fact did, before facts were appended).
    const fact = {
      sql: `INSERT INTO dora_facts (deployment_id, product_id, environment_id, status, finished_at, lead_ms,
    rolled_back, incident_linked)
  VALUES (?, ?, ?, ?, ?, ?, 0, EXISTS (SELECT 1 FROM incidents WHERE deployment_id = ?))`,
      args: ["reads-d", p, e, "success", AT, null, "reads-d"],
    };
    expect(parse(fact.sql)?.reads).toEqual(["incidents"]);
    const statements = [incident, fact];
    const out = coalesceInserts(statements);
    expect(out).toEqual(statements);
    for (const t of [one, merged]) {
      expect(await apply(t, t === one ? statements : out)).toBeUndefined();
      const linked = await t.database.client.execute({
        sql: "SELECT incident_linked FROM dora_facts WHERE deployment_id = ?",
        args: ["reads-d"],
      });
      expect(linked.rows[0]?.incident_linked).toBe(1);
    }
  });

  it("leaves alone what it cannot merge", () => {
    for (const sql of [
      "INSERT INTO products (id) VALUES (?) RETURNING id",
      "INSERT INTO products (id) VALUES (?), (?)",
      "INSERT INTO products (id) VALUES (:id)",
      "INSERT INTO products (id) VALUES ((SELECT max(id) FROM products))",
      "INSERT INTO no_such_table (id) VALUES (?)",
      "INSERT INTO products (id) SELECT id FROM versions",
      "UPDATE products SET name = ? WHERE id = ?",
    ])
      expect(parse(sql), sql).toBeNull();
  });

  it("gives the same tables as the statements one by one, or the same failure", async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant("product" as const), p: fc.nat(4) }),
            fc.record({ op: fc.constant("version" as const), p: fc.nat(4), v: fc.nat(3) }),
            fc.record({ op: fc.constant("describe" as const), p: fc.nat(4) }),
          ),
          { maxLength: 40 },
        ),
        async (ops) => {
          const prefix = `prop${round++}-`;
          // Valid one by one but for unique keys: a version names a product inserted before it
          // (coalesced, a version before its product would be written after it and succeed).
          const statements: WriteStatement[] = [];
          const inserted = new Set<string>();
          for (const step of ops) {
            const p = `${prefix}p${step.p}`;
            if (step.op === "product") {
              statements.push(product(p));
              inserted.add(p);
            } else if (step.op === "version") {
              if (inserted.has(p)) statements.push(version(`${p}-v${statements.length}`, p, `v${step.v}`));
            } else
              statements.push(
                updateByIdStatement(one.database.db, products, { description: `d${statements.length}` }, p),
              );
          }
          const [alone, together] = await Promise.all([
            apply(one, statements),
            apply(merged, coalesceInserts(statements)),
          ]);
          expect(together).toBe(alone);
          expect(await dump(merged, prefix)).toEqual(await dump(one, prefix));
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("the schema coalescing relies on", () => {
  it("ranks each table after every table its foreign keys name, as the migrated database has them", async () => {
    const ranks = tableRanks();
    const tables = Object.values(schema).filter((value) => is(value, SQLiteTable));
    expect(ranks.size).toBe(tables.length);
    for (const table of tables) {
      const name = getTableName(table);
      const keys = await one.database.client.execute(`PRAGMA foreign_key_list("${name}")`);
      for (const key of keys.rows) {
        const parent = String(key.table);
        if (parent !== name)
          expect(ranks.get(name), `${name} → ${parent}`).toBeGreaterThan(ranks.get(parent) ?? 99);
      }
    }
  });

  it("has no trigger but the /state generation's counter, which the order of a run cannot change", async () => {
    const triggers = await one.database.client.execute(
      "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'",
    );
    const bump =
      /^CREATE TRIGGER `\w+` AFTER (INSERT|UPDATE|DELETE) ON `\w+` BEGIN UPDATE `settings` SET `value` = CAST\(`value` AS INTEGER\) \+ 1 WHERE `key` = 'state_generation'; END$/;
    for (const row of triggers.rows)
      expect(String(row.sql).replace(/\s+/g, " "), String(row.name)).toMatch(bump);
  });
});
