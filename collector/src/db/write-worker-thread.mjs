// The ingest write worker's thread (started by write-worker.ts). Plain JavaScript so that one file
// runs both beside the sources (vitest) and beside the bundle (build.mjs copies it to dist/): Node
// starts a worker from a file, and without a TypeScript loader only a .mjs runs in both places.
//
// It owns one connection to the database file and applies each list of statements it is sent (in
// parts: `{ id, texts, ops, last }`, see `Part` in write-worker.ts) in one write transaction once
// the last part is in, answering `{ id, ok: true }` or `{ id, ok: false, error }` with SQLite's
// code and message; `{ id, abort: true }` drops the parts received of a transaction that will not
// be completed; `{ close: true }` closes the connection and ends the thread.
import { parentPort, workerData } from "node:worker_threads";
import Database from "libsql";

/** Distinct SQL texts kept prepared: ingest writes use a few dozen; a bound keeps odd ones from piling up. */
const STATEMENT_CACHE_SIZE = 500;

const db = new Database(workerData.path, { timeout: workerData.timeoutMs });
const prepared = new Map();

function statement(sql) {
  let stmt = prepared.get(sql);
  if (stmt) {
    // Most recently used last: the first key is the one to drop.
    prepared.delete(sql);
  } else {
    stmt = db.prepare(sql);
    if (prepared.size >= STATEMENT_CACHE_SIZE) prepared.delete(prepared.keys().next().value);
  }
  prepared.set(sql, stmt);
  return stmt;
}

/** A blob crosses postMessage as a Uint8Array; the binding takes it as a Buffer. */
function bound(args) {
  return args.map((value) =>
    value instanceof Uint8Array && !Buffer.isBuffer(value)
      ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
      : value,
  );
}

/**
 * Applies `statements` in one transaction; on a failure rolls it all back and returns the error
 * with the index of the statement at fault (none when COMMIT itself failed).
 */
function apply(statements) {
  // IMMEDIATE waits (the busy timeout) for the write lock before the first statement: a write
  // after a read in a deferred transaction would fail at once if another connection wrote meanwhile.
  db.exec("BEGIN IMMEDIATE");
  let index = 0;
  try {
    for (; index < statements.length; index++) {
      const { sql, args } = statements[index];
      const stmt = statement(sql);
      if (stmt.reader) stmt.all(bound(args));
      else stmt.run(bound(args));
    }
    index = undefined;
    db.exec("COMMIT");
    return undefined;
  } catch (error) {
    try {
      if (db.inTransaction) db.exec("ROLLBACK");
    } catch {
      // The transaction is gone either way: SQLite rolled it back itself.
    }
    return failure(error, index);
  }
}

/** What crosses back of an error: SQLite's code and message (an Error object would lose `code`). */
function failure(error, statementIndex) {
  return {
    message: String(error?.message ?? error),
    code: error?.code,
    rawCode: error?.rawCode,
    statementIndex,
  };
}

/** The parts received so far of each transaction whose last part has not come yet. */
const parts = new Map();

/** Every SQL text this thread was sent, in order: statements name theirs by its index. */
const texts = [];

/** Appends the statements of one part (`ops`: text number, count of values, the values; repeated). */
function decode(message, statements) {
  for (const text of message.texts) texts.push(text);
  const { ops } = message;
  for (let i = 0; i < ops.length; ) {
    const sql = texts[ops[i]];
    const count = ops[i + 1];
    statements.push({ sql, args: ops.slice(i + 2, i + 2 + count) });
    i += 2 + count;
  }
}

parentPort.on("message", (message) => {
  if (message.close) {
    prepared.clear();
    db.close();
    parentPort.close();
    return;
  }
  if (message.abort) {
    // The main thread could not build the rest of this transaction: nothing of it is applied.
    parts.delete(message.id);
    return;
  }
  const statements = parts.get(message.id) ?? [];
  decode(message, statements);
  if (!message.last) {
    parts.set(message.id, statements);
    return;
  }
  parts.delete(message.id);
  let error;
  try {
    error = apply(statements);
  } catch (begin) {
    error = failure(begin, undefined);
  }
  parentPort.postMessage(error ? { id: message.id, ok: false, error } : { id: message.id, ok: true });
});
