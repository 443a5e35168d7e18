import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { SQLWrapper } from "drizzle-orm";
import { eq, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import Libsql from "libsql";
import { afterEach, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "./client.ts";
import type { WriteStatement } from "./compiled-writes.ts";
import { notificationChannels, notificationSubscriptions, products, versions } from "./schema/index.ts";
import { isUniqueViolation } from "./write-lock.ts";
import { type WriteThreadWork, WriteWorker } from "./write-worker.ts";

// A real file database and the real thread, whatever VERSIONER_TEST_ENGINE says: the worker
// exists for local files only.

const folders: string[] = [];
const opened: Database[] = [];

afterEach(() => {
  for (const database of opened.splice(0)) database.close();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), "versioner-write-worker-"));
  folders.push(folder);
  return folder;
}

async function fileDatabase(): Promise<Database> {
  const database = await openDatabase({ url: `file:${join(tempFolder(), "versioner.db")}` });
  opened.push(database);
  return database;
}

function localFileOf(database: Database): NonNullable<Database["localFile"]> {
  if (!database.localFile) throw new Error("a local file database");
  return database.localFile;
}

function workerOf(database: Database): WriteWorker {
  const worker = database.writer;
  if (!worker) throw new Error("a local file database has a write worker");
  return worker;
}

const at = "2026-03-01T10:00:00.000Z";

/** A webhook channel's insert: the row most cases write. */
function channelInsert(database: Database, id: string, name = id) {
  return database.db.insert(notificationChannels).values({
    id,
    name,
    kind: "webhook",
    enabled: true,
    settings: {},
    secrets: "s",
    created_at: at,
    updated_at: at,
  });
}

/** Writes of every kind of value the schema maps: JSON text, booleans, nulls, numbers, SQL expressions. */
function mixedWrites(database: Database): Array<BatchItem<"sqlite"> & SQLWrapper> {
  const { db } = database;
  return [
    db.insert(products).values({
      id: "p1",
      name: "shop",
      description: null,
      extra_metadata: { team: "payments", tier: 1, ratio: 0.25, tags: ["a", "ü"], nested: { none: null } },
      created_at: at,
      updated_at: at,
    }),
    db.insert(versions).values({
      id: "v1",
      product_id: "p1",
      version: "1.0.0",
      created_at: at,
      updated_at: at,
      extra_metadata: {},
    }),
    db.insert(notificationChannels).values([
      {
        id: "c1",
        name: "ops",
        kind: "webhook",
        enabled: true,
        settings: { n: 2 },
        secrets: "sealed",
        created_at: at,
        updated_at: at,
      },
      {
        id: "c2",
        name: "dev",
        kind: "email",
        enabled: false,
        settings: {},
        secrets: { old: "x" },
        created_at: at,
        updated_at: at,
      },
    ]),
    db.insert(notificationSubscriptions).values({
      id: "s1",
      channel_id: "c1",
      position: 3,
      event_types: ["deployment"],
      products: [],
      environments: ["production"],
      environment_types: [],
      statuses: ["failed"],
    }),
    db
      .update(notificationChannels)
      .set({ enabled: false, settings: { n: 3 } })
      .where(sql`${notificationChannels.id} = ${"c1"}`),
    db
      .update(notificationSubscriptions)
      .set({ position: sql`${notificationSubscriptions.position} + 1` })
      .where(eq(notificationSubscriptions.id, "s1")),
  ];
}

/** Every stored value as SQLite holds it (type included), table by table. */
async function storedRows(database: Database): Promise<Record<string, unknown[]>> {
  const rows: Record<string, unknown[]> = {};
  for (const table of ["products", "versions", "notification_channels", "notification_subscriptions"]) {
    const result = await database.client.execute(`SELECT * FROM ${table} ORDER BY id`);
    rows[table] = result.rows.map((row) =>
      Object.fromEntries(result.columns.map((column) => [column, [typeof row[column], row[column]]])),
    );
  }
  return rows;
}

async function channelCount(database: Database): Promise<number> {
  const result = await database.client.execute("SELECT count(*) AS n FROM notification_channels");
  return Number(result.rows[0]?.n);
}

describe("the write worker", () => {
  it("commits a group whose rows read back as db.batch writes them", async () => {
    const threaded = await fileDatabase();
    const inline = await fileDatabase();
    await workerOf(threaded).apply(mixedWrites(threaded));
    const [first, ...rest] = mixedWrites(inline);
    if (first) await inline.db.batch([first, ...rest]);

    const written = await storedRows(threaded);
    expect(written).toEqual(await storedRows(inline));
    expect(written.notification_channels).toHaveLength(2);
    // And through drizzle, the values the services read.
    expect(await threaded.db.select().from(notificationChannels).orderBy(notificationChannels.id)).toEqual(
      await inline.db.select().from(notificationChannels).orderBy(notificationChannels.id),
    );
  });

  it("reports a unique violation as db.batch does, so a lost race is recognised", async () => {
    const threaded = await fileDatabase();
    const inline = await fileDatabase();
    const taken = (database: Database) => [
      channelInsert(database, "c9", "late"),
      database.db
        .insert(products)
        .values({ id: "p2", name: "shop", extra_metadata: {}, created_at: at, updated_at: at }),
    ];
    await workerOf(threaded).apply(mixedWrites(threaded));
    const [first, ...rest] = mixedWrites(inline);
    if (first) await inline.db.batch([first, ...rest]);

    const fromWorker = await workerOf(threaded)
      .apply(taken(threaded))
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    const [one, two] = taken(inline);
    const fromBatch = await (one && two ? inline.db.batch([one, two]) : Promise.resolve()).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(isUniqueViolation(fromWorker)).toBe(true);
    const shape = (error: unknown) => {
      const e = error as {
        name: string;
        code: string;
        extendedCode: string;
        rawCode: number;
        statementIndex: number;
      };
      const { code, message } = (error as { cause: { code: string; message: string } }).cause;
      const cause = { code, message };
      return {
        name: e.name,
        code: e.code,
        extendedCode: e.extendedCode,
        rawCode: e.rawCode,
        index: e.statementIndex,
        cause,
      };
    };
    expect(shape(fromWorker)).toEqual(shape(fromBatch));
    expect(shape(fromWorker)).toMatchObject({
      code: "SQLITE_CONSTRAINT",
      extendedCode: "SQLITE_CONSTRAINT_UNIQUE",
      index: 1,
      cause: { code: "SQLITE_CONSTRAINT_UNIQUE", message: "UNIQUE constraint failed: products.name" },
    });
    // The channel planned before the failing insert was rolled back with it.
    expect(await channelCount(threaded)).toBe(2);
  });

  it("writes nothing of a group when one of its statements fails, and goes on with the next", async () => {
    const database = await fileDatabase();
    const worker = workerOf(database);
    const channel = (id: string) => channelInsert(database, id);
    const orphan = database.db.insert(notificationSubscriptions).values({
      id: "s1",
      channel_id: "no-such-channel",
      position: 0,
      event_types: [],
      products: [],
      environments: [],
      environment_types: [],
      statuses: [],
    });

    await expect(worker.apply([channel("a"), channel("b"), orphan])).rejects.toMatchObject({
      code: "SQLITE_CONSTRAINT",
      extendedCode: "SQLITE_CONSTRAINT_FOREIGNKEY",
      statementIndex: 2,
    });
    expect(await channelCount(database)).toBe(0);

    await worker.apply([channel("c")]);
    expect(await channelCount(database)).toBe(1);

    // A group sent in several parts is one transaction too: the last part's failure undoes the first.
    const many = Array.from({ length: 1_200 }, (_, i) => channel(`many-${i}`));
    await expect(worker.apply([...many, orphan])).rejects.toMatchObject({ statementIndex: 1_200 });
    expect(await channelCount(database)).toBe(1);
  });

  it("fails a transaction whose later part holds a value it cannot bind, writing none of it, and goes on", async () => {
    const database = await fileDatabase();
    const worker = workerOf(database);
    const setting = (key: string): WriteStatement => ({
      sql: "INSERT INTO settings (key, value) VALUES (?, ?)",
      args: [key, "x"],
    });
    // Past the first part (500 statements), two SQL texts the thread has not seen yet, the second
    // with a value no binding takes: the first part has left when the second fails to build.
    const newText = (key: string): WriteStatement => ({
      sql: "INSERT INTO settings (value, key) VALUES (?, ?)",
      args: ["y", key],
    });
    const unbindable: WriteStatement = { sql: "SELECT ? AS n", args: [Number.POSITIVE_INFINITY] };
    const group = [
      ...Array.from({ length: 500 }, (_, i) => setting(`part-${i}`)),
      newText("late"),
      unbindable,
    ];
    await expect(worker.apply(group)).rejects.toThrow(RangeError);
    const written = await database.client.execute(
      "SELECT count(*) AS n FROM settings WHERE key LIKE 'part-%' OR key = 'late'",
    );
    expect(Number(written.rows[0]?.n)).toBe(0);

    // The texts of the failed part were never sent: the next transaction sends them and commits.
    await worker.apply([newText("after"), { sql: "SELECT ? AS n", args: [1] }, setting("after-too")]);
    const after = await database.client.execute(
      "SELECT key, value FROM settings WHERE key IN ('after', 'after-too') ORDER BY key",
    );
    expect(after.rows.map((row) => [row.key, row.value])).toEqual([
      ["after", "y"],
      ["after-too", "x"],
    ]);
  });

  it("runs a streamed transaction's parts as they come, and commits or rolls back all of them", async () => {
    const database = await fileDatabase();
    const worker = workerOf(database);
    const localFile = database.localFile;
    if (!localFile) throw new Error("a local file database");
    // Another process's connection: it cannot take the write lock while the thread holds it.
    const other = new Libsql(localFile.path, { timeout: 0 });
    const otherCanWrite = () => {
      try {
        other.exec("BEGIN IMMEDIATE");
        other.exec("ROLLBACK");
        return true;
      } catch (error) {
        if ((error as { code?: string }).code !== "SQLITE_BUSY") throw error;
        return false;
      }
    };
    try {
      const sent = worker.begin();
      sent.send([channelInsert(database, "a")]);
      // The thread ran the first part before the last one exists: it holds the lock, nothing is visible yet.
      await expect.poll(otherCanWrite).toBe(false);
      expect(await channelCount(database)).toBe(0);
      sent.send([channelInsert(database, "b")]);
      await sent.commit([channelInsert(database, "c")]);
      expect(await channelCount(database)).toBe(3);
      expect(otherCanWrite()).toBe(true);

      const abandoned = worker.begin();
      abandoned.send([channelInsert(database, "d")]);
      await expect.poll(otherCanWrite).toBe(false);
      await abandoned.abort();
      expect(otherCanWrite()).toBe(true);
      expect(await channelCount(database)).toBe(3);

      // A statement failing in an early part fails the commit, named by its index in the whole transaction.
      const failing = worker.begin();
      failing.send([channelInsert(database, "e")]);
      failing.send([channelInsert(database, "f"), channelInsert(database, "a")]);
      await expect(failing.commit([channelInsert(database, "g")])).rejects.toMatchObject({
        extendedCode: "SQLITE_CONSTRAINT_UNIQUE",
        statementIndex: 2,
      });
      expect(await channelCount(database)).toBe(3);
      expect(otherCanWrite()).toBe(true);
    } finally {
      other.close();
    }
  });

  it("holds this process's other writes until a streamed transaction ends, never its reads", async () => {
    const database = await fileDatabase();
    const worker = workerOf(database);
    const open = worker.begin();
    open.send([channelInsert(database, "a")]);
    expect(worker.idle()).toBeDefined();
    // On the main connection SQLite's busy wait would hold the very thread that must send the last part.
    let written = false;
    const write = database.client
      .execute("INSERT INTO settings (key, value) VALUES ('gated', 'x')")
      .then(() => {
        written = true;
      });
    // A read is answered meanwhile; the write is still held after turns of the event loop (without
    // the hold it would have run, synchronously, when it was called).
    expect(await channelCount(database)).toBe(0);
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(written).toBe(false);
    await open.commit();
    await write;
    expect(worker.idle()).toBeUndefined();
    expect(await channelCount(database)).toBe(1);
    const gated = await database.client.execute("SELECT value FROM settings WHERE key = 'gated'");
    expect(gated.rows[0]?.value).toBe("x");
  });

  it("leaves the event loop free while it applies a large group", async () => {
    const database = await fileDatabase();
    const worker = workerOf(database);
    // Started beforehand: what follows is the transaction, not the thread's start.
    await worker.apply([mixedWrites(database)[0] as WriteStatement]);
    const statements: WriteStatement[] = [];
    for (let i = 0; i < 5_000; i++) {
      statements.push(
        database.db.insert(versions).values({
          id: `v${i}`,
          product_id: "p1",
          version: `1.0.${i}`,
          created_at: at,
          updated_at: at,
          extra_metadata: { i },
        }),
      );
    }

    let turns = 0;
    let applying = true;
    const turn = () => {
      turns += 1;
      if (applying) setImmediate(turn);
    };
    const applied = worker.apply(statements);
    setImmediate(turn);
    await applied;
    applying = false;
    const turnsWhileApplying = turns;

    // On the main thread (db.batch) the binding would hold the loop until COMMIT: no turn at all.
    expect(turnsWhileApplying).toBeGreaterThan(0);
    const count = await database.client.execute("SELECT count(*) AS n FROM versions");
    expect(Number(count.rows[0]?.n)).toBe(5_000);
  });

  it("copies the WAL into the file after answering a commit, never in the commit", async () => {
    const versionRows = (database: Database, from: number): WriteStatement[] =>
      Array.from({ length: 3_000 }, (_, i) =>
        database.db.insert(versions).values({
          id: `v${from + i}`,
          product_id: "p1",
          version: `1.0.${from + i}`,
          created_at: at,
          updated_at: at,
          extra_metadata: { note: "x".repeat(200) },
        }),
      );
    const fileSize = (database: Database) => statSync(localFileOf(database).path).size;

    // A thread whose interval has not passed: its commits leave everything in the WAL (SQLite's
    // own checkpoint at 1,000 pages would have copied these ~1,300 pages inside a commit).
    const waiting = await fileDatabase();
    const idle = new WriteWorker(localFileOf(waiting), { checkpointIntervalMs: 60_000 });
    await idle.apply([mixedWrites(waiting)[0] as WriteStatement]);
    const before = fileSize(waiting);
    for (let group = 0; group < 5; group++) await idle.apply(versionRows(waiting, group * 3_000));
    expect(fileSize(waiting)).toBe(before);
    await idle.close();

    // A thread checkpointing after every commit: by the time it answers the next transaction, the
    // pages of the one before are in the file.
    const copying = await fileDatabase();
    const eager = new WriteWorker(localFileOf(copying), { checkpointIntervalMs: 0 });
    await eager.apply([mixedWrites(copying)[0] as WriteStatement]);
    const start = fileSize(copying);
    await eager.apply(versionRows(copying, 0));
    await eager.apply([channelInsert(copying, "c1")]);
    expect(fileSize(copying) - start).toBeGreaterThan(1_000_000);
    await eager.close();
  });

  it("counts its transactions with the database's query observers", async () => {
    const database = await fileDatabase();
    const seen: Array<[string, number, boolean]> = [];
    const stop = database.observeQueries((operation, _seconds, failed, statements) =>
      seen.push([operation, statements, failed]),
    );
    await workerOf(database).apply(mixedWrites(database));
    stop();
    expect(seen).toEqual([["batch", 6, false]]);
  });

  it("tells the time it worked by phase: statements and COMMIT with each answer, a checkpoint after it", async () => {
    const database = await fileDatabase();
    const told: WriteThreadWork[] = [];
    const worker = new WriteWorker(localFileOf(database), {
      checkpointIntervalMs: 0,
      work: (work) => told.push(work),
    });
    const sum = (phase: keyof WriteThreadWork) => told.reduce((total, work) => total + work[phase], 0);

    await worker.apply(mixedWrites(database));
    // The answer carries the transaction's statements and its COMMIT; its checkpoint comes after.
    expect(told).toHaveLength(1);
    expect(told[0]?.statements).toBeGreaterThan(0);
    expect(told[0]?.commit).toBeGreaterThan(0);
    expect(told[0]?.checkpoint).toBe(0);

    // Messages arrive in order: by the next answer, the checkpoint's own message has come.
    await worker.apply([channelInsert(database, "told")]);
    expect(told.map((work) => Object.keys(work).sort())).toEqual(
      told.map(() => ["checkpoint", "commit", "statements"]),
    );
    expect(told.length).toBeGreaterThanOrEqual(3);
    expect(sum("checkpoint")).toBeGreaterThan(0);

    // A transaction rolled back tells the time its statements took, and no COMMIT.
    const commits = sum("commit");
    const statements = sum("statements");
    const aborted = worker.begin();
    aborted.send(mixedWrites(database).slice(1));
    await aborted.abort();
    expect(sum("statements")).toBeGreaterThan(statements);
    expect(sum("commit")).toBe(commits);
    await worker.close();
  });

  it("ends its thread when the database closes, and refuses work after", async () => {
    const database = await fileDatabase();
    const worker = workerOf(database);
    await worker.apply(mixedWrites(database));
    database.close();
    opened.splice(opened.indexOf(database), 1);
    // Resolves once the thread has exited (a thread left running would time this test out).
    await worker.close();
    await expect(worker.apply(mixedWrites(database))).rejects.toMatchObject({ code: "CLIENT_CLOSED" });
  });

  it("keeps writes off the thread of an in-memory database", async () => {
    const database = await openDatabase({ url: ":memory:" });
    opened.push(database);
    expect(database.writer).toBeUndefined();
  });

  it("rejects what a dying thread was applying, uncommitted, and starts a new thread for the next", async () => {
    const database = await fileDatabase();
    const folder = tempFolder();
    const script = join(folder, "dies-once.mjs");
    const realScript = new URL("./write-worker-thread.mjs", import.meta.url).href;
    // The first thread writes the group inside a transaction and dies before COMMIT; the next is the real one.
    writeFileSync(
      script,
      `import { existsSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parentPort, workerData } from "node:worker_threads";
const Database = createRequire(${JSON.stringify(realScript)})("libsql");
const marker = ${JSON.stringify(join(folder, "died"))};
if (existsSync(marker)) {
  await import(${JSON.stringify(realScript)});
} else {
  parentPort.on("message", ({ texts, ops }) => {
    writeFileSync(marker, "");
    const db = new Database(workerData.path, { timeout: workerData.timeoutMs });
    db.exec("BEGIN IMMEDIATE");
    // One statement (the channel), flat as the real thread gets it: text number, count, values.
    db.prepare(texts[ops[0]]).run(ops.slice(2, 2 + ops[1]));
    throw new Error("the thread died mid-transaction");
  });
}
`,
    );
    const worker = new WriteWorker(localFileOf(database), { script: pathToFileURL(script) });
    const channel = channelInsert(database, "c1", "ops");

    await expect(worker.apply([channel])).rejects.toThrow("stopped before it committed");
    expect(await channelCount(database)).toBe(0);

    // The dead thread's lock went with it: the new thread commits at once.
    await worker.apply([channel]);
    expect(await channelCount(database)).toBe(1);
    await worker.close();
  });
});
