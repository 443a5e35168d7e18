import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { type Client, createClient, type InStatement, LibsqlBatchError, LibsqlError } from "@libsql/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resultSnapshot as snapshot } from "../testing/result-snapshot.ts";
import { createFileClient, STATEMENT_CACHE_SIZE } from "./file-client.ts";

// The file client must answer exactly as @libsql/client does for a file: each case runs the same
// calls on both, each on its own file, and compares what they give back.

let folder: string;
let reference: Client;
let ours: Client;

beforeEach(async () => {
  folder = mkdtempSync(join(tmpdir(), "versioner-file-client-"));
  reference = createClient({ url: `file:${join(folder, "reference.db")}` });
  ours = createFileClient(join(folder, "ours.db"), { timeoutMs: 5_000 });
  for (const client of [reference, ours]) {
    await client.executeMultiple(`
      PRAGMA journal_mode = WAL;
      CREATE TABLE items (id TEXT PRIMARY KEY, n INTEGER, r REAL, flag INTEGER, data BLOB, note TEXT);
    `);
  }
});

afterEach(() => {
  reference.close();
  ours.close();
  rmSync(folder, { recursive: true, force: true });
});

/** Runs `call` on both clients: the same value back, or the same error. */
async function same<T>(call: (client: Client) => Promise<T>): Promise<T> {
  const [expected, actual] = await Promise.allSettled([call(reference), call(ours)]);
  if (expected.status === "rejected") {
    expect(actual.status).toBe("rejected");
    const error = (actual as PromiseRejectedResult).reason;
    expect(describeError(error)).toEqual(describeError(expected.reason));
    throw error;
  }
  expect(actual.status).toBe("fulfilled");
  const value = (actual as PromiseFulfilledResult<T>).value;
  expect(snapshot(value)).toEqual(snapshot(expected.value));
  return value;
}

function describeError(error: unknown) {
  const e = error as LibsqlError & { statementIndex?: number };
  return {
    type:
      e instanceof LibsqlBatchError ? "batch" : e instanceof LibsqlError ? "libsql" : (error as Error).name,
    code: e.code,
    extendedCode: e.extendedCode,
    rawCode: e.rawCode,
    message: e.message,
    statementIndex: e.statementIndex,
  };
}

const insert = (id: string, values: unknown[]): InStatement => ({
  sql: "INSERT INTO items (id, n, r, flag, data, note) VALUES (?, ?, ?, ?, ?, ?)",
  args: [id, ...values] as InStatement extends { args?: infer A } ? A : never,
});

describe("the file client answers as @libsql/client", () => {
  it("writes and reads every kind of value, by position and by name", async () => {
    const bytes = new Uint8Array([1, 2, 3]).buffer;
    await same((c) => c.execute(insert("a", [42, 1.5, true, bytes, "é"])));
    await same((c) => c.execute(insert("b", [2n ** 40n, -0.25, false, null, null])));
    await same((c) => c.execute(insert("c", [new Date(1_700_000_000_000), 0, 0, null, "x"])));
    await same((c) => c.execute("SELECT * FROM items ORDER BY id"));
    await same((c) => c.execute("SELECT n, note AS n, r FROM items WHERE id = ?", ["a"]));
    await same((c) =>
      c.execute({ sql: "SELECT id FROM items WHERE n = :n OR note = $note", args: { n: 0, $note: "é" } }),
    );
    await same((c) => c.execute("UPDATE items SET note = 'y' WHERE n > 0"));
    await same((c) => c.execute("SELECT count(*) AS count FROM items WHERE id = 'none'"));
  });

  it("gives rows whose names clash with their positions or length the same shape", async () => {
    await same((c) => c.execute(insert("a", [1, 0.5, true, null, "x"])));
    await same((c) =>
      c.execute(`SELECT id, n AS "1", note AS length, r AS "0", flag AS id, data FROM items`),
    );
    const result = await ours.execute("SELECT id, n AS id, note FROM items");
    const [row] = result.rows;
    expect(Object.keys(row as object)).toEqual(["id", "note"]);
    expect(JSON.stringify(row)).toBe('{"id":"a","note":"x"}');
    expect([row?.[0], row?.[1], row?.[2], row?.length]).toEqual(["a", 1, "x", 3]);
  });

  it("refuses the same values", async () => {
    await expect(same((c) => c.execute(insert("a", [Number.NaN, 0, 0, null, null])))).rejects.toThrow(
      RangeError,
    );
    await expect(same((c) => c.execute(insert("a", [2n ** 70n, 0, 0, null, null])))).rejects.toThrow(
      RangeError,
    );
    await same((c) => c.execute(insert("big", [2n ** 60n, 0, 0, null, null])));
    await expect(same((c) => c.execute("SELECT n FROM items"))).rejects.toThrow(RangeError);
  });

  it("reports SQLite's errors with the same codes", async () => {
    await same((c) => c.execute(insert("a", [1, 0, 0, null, null])));
    await expect(same((c) => c.execute(insert("a", [2, 0, 0, null, null])))).rejects.toThrow(
      /UNIQUE constraint failed/,
    );
    await expect(same((c) => c.execute("SELECT nope FROM items"))).rejects.toThrow(LibsqlError);
  });

  it("applies a batch whole or not at all, naming the statement that failed", async () => {
    await same((c) => c.batch([insert("a", [1, 0, 0, null, null]), insert("b", [2, 0, 0, null, null])]));
    const failing = [insert("c", [3, 0, 0, null, null]), insert("a", [4, 0, 0, null, null])];
    await expect(same((c) => c.batch(failing, "write"))).rejects.toThrow(LibsqlBatchError);
    await same((c) => c.execute("SELECT id, n FROM items ORDER BY id"));
  });

  it("runs migrations and multiple statements in one call", async () => {
    await same((c) =>
      c.migrate([{ sql: "CREATE TABLE more (x TEXT)", args: [] }, insert("m", [1, 0, 0, null, null])]),
    );
    await same((c) => c.executeMultiple("INSERT INTO more VALUES ('1'); INSERT INTO more VALUES ('2');"));
    await same((c) => c.execute("SELECT x FROM more ORDER BY x"));
  });

  it("keeps a transaction to itself until it commits, and forgets it on rollback", async () => {
    const outside = async (c: Client) => (await c.execute("SELECT count(*) AS n FROM items")).rows[0]?.n;
    for (const client of [reference, ours]) {
      const tx = await client.transaction("write");
      await tx.execute(insert("t", [1, 0, 0, null, null]));
      expect((await tx.execute("SELECT count(*) AS n FROM items")).rows[0]?.n).toBe(1);
      expect(await outside(client)).toBe(0);
      await tx.commit();
      expect(tx.closed).toBe(true);
      expect(await outside(client)).toBe(1);
      const undone = await client.transaction("write");
      await undone.batch([insert("u", [1, 0, 0, null, null])]);
      await undone.rollback();
      expect(await outside(client)).toBe(1);
      await expect(undone.execute("SELECT 1")).rejects.toMatchObject({ code: "TRANSACTION_CLOSED" });
    }
  });

  it("sees a column added after a statement was kept", async () => {
    await same((c) => c.execute(insert("a", [1, 0, 0, null, null])));
    await same((c) => c.execute("SELECT * FROM items"));
    await same((c) => c.execute("ALTER TABLE items ADD COLUMN extra TEXT DEFAULT 'e'"));
    await same((c) => c.execute("SELECT * FROM items"));
  });

  it("answers the same after more statements than it keeps", async () => {
    await same((c) => c.execute(insert("a", [1, 0, 0, null, null])));
    for (let i = 0; i <= STATEMENT_CACHE_SIZE; i++) await ours.execute(`SELECT ${i} AS n FROM items`);
    await same((c) => c.execute("SELECT 0 AS n, id FROM items"));
    await same((c) => c.execute(insert("b", [2, 0, 0, null, null])));
  });

  it("refuses calls once closed", async () => {
    ours.close();
    reference.close();
    expect(ours.closed).toBe(true);
    await expect(same((c) => c.execute("SELECT 1"))).rejects.toMatchObject({ code: "CLIENT_CLOSED" });
  });
});

describe("the file client beside another process", () => {
  it("waits for another connection's write lock when a batch reads before it writes", async () => {
    const path = join(folder, "ours.db");
    // Another collector's transaction, in a thread of its own: it holds the write lock for a moment.
    const other = new Worker(
      `const { parentPort, workerData } = require("node:worker_threads");
       const Libsql = require(workerData.libsql);
       const db = new Libsql(workerData.path, { timeout: 5000 });
       db.exec("BEGIN IMMEDIATE");
       db.exec("INSERT INTO items (id, n) VALUES ('theirs', 1)");
       parentPort.postMessage("locked");
       Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
       db.exec("COMMIT");
       db.close();`,
      { eval: true, workerData: { path, libsql: createRequire(import.meta.url).resolve("libsql") } },
    );
    try {
      await new Promise((resolve) => other.once("message", resolve));
      // Deferred, it would read first and then have to turn its read into a write: SQLITE_BUSY at once.
      const [counted] = await ours.batch(
        ["SELECT count(*) FROM items", "INSERT INTO items (id, n) VALUES ('ours', 2)"],
        "deferred",
      );
      expect(counted?.rows[0]?.[0]).toBe(1);
      const rows = await ours.execute("SELECT id FROM items ORDER BY id");
      expect(rows.rows.map((row) => row[0])).toEqual(["ours", "theirs"]);
    } finally {
      await other.terminate();
    }
  });
});
