// The ingest write worker's thread (started by write-worker.ts). Plain JavaScript so that one file
// runs both beside the sources (vitest) and beside the bundle (build.mjs copies it to dist/): Node
// starts a worker from a file, and without a TypeScript loader only a .mjs runs in both places.
//
// It owns one connection to the database file. A transaction comes in parts (`{ id, texts, ops,
// last }`, see `Part` in write-worker.ts): the first opens it (BEGIN IMMEDIATE), each part's
// statements run as soon as it arrives, and the last one commits, answering `{ id, ok: true }` or
// `{ id, ok: false, error }` with SQLite's code and message and the index of the statement at
// fault. `{ id, abort: true }` rolls back what a transaction that will not be completed had run,
// answering `{ id, ok: true }`; `{ close: true }` closes the connection and ends the thread. After
// answering a commit it may checkpoint the WAL (checkpointSoon), never inside the commit. Each
// answer, and a message `{ work }` after each checkpoint, carries the time the thread worked since
// it last told (`work`, below).
import { parentPort, workerData } from "node:worker_threads";
import Database from "libsql";

/** Distinct SQL texts kept prepared: ingest writes use a few dozen; a bound keeps odd ones from piling up. */
const STATEMENT_CACHE_SIZE = 500;

const db = new Database(workerData.path, { timeout: workerData.timeoutMs });
// Each commit fsyncs the WAL (SYNCHRONOUS_FULL in file-client.ts says why it is stated here).
db.exec("PRAGMA synchronous = FULL");
// This connection checkpoints after answering a commit (checkpointSoon), never inside one.
db.exec("PRAGMA wal_autocheckpoint = 0");
// Its page cache (WRITE_CACHE_KIB in write-worker.ts): the hot pages of every index an event writes.
db.exec(`PRAGMA cache_size = -${Number(workerData.cacheKib)}`);
const prepared = new Map();
let lastCheckpoint = performance.now();

/**
 * Seconds this thread worked since it last told the main thread, by phase: `statements` (BEGIN,
 * the statements, a ROLLBACK: everything a message makes it do but COMMIT), `commit` (COMMIT: the
 * WAL's pages and its fsync) and `checkpoint`. Wall time, so waits on the disk count: what the
 * next transaction waits behind (versioner_write_thread_seconds_total, docs/operations.md).
 */
let work = { statements: 0, commit: 0, checkpoint: 0 };

/** Posts `answer` (an object of its own) with the work done since the last one told, and starts counting again. */
function tell(answer) {
  answer.work = work;
  parentPort.postMessage(answer);
  work = { statements: 0, commit: 0, checkpoint: 0 };
}

const secondsSince = (start) => (performance.now() - start) / 1000;

/**
 * Copies the WAL into the database file (PASSIVE: never waits for readers or writers, copies what
 * no reader still needs) once CHECKPOINT_INTERVAL_MS (write-worker.ts) have passed since the last
 * one. Called after a commit's answer is posted: the group's requests are answered meanwhile, and
 * the next group is planned on the main thread while this runs. A checkpoint that fails (another
 * process checkpointing, the file busy) is tried again after a later commit.
 */
function checkpointSoon() {
  const now = performance.now();
  if (now - lastCheckpoint < workerData.checkpointIntervalMs) return;
  lastCheckpoint = now;
  try {
    db.exec("PRAGMA wal_checkpoint(PASSIVE)");
  } catch {
    // As SQLite's own automatic checkpoint: nothing is lost, the next one copies it.
  }
  work.checkpoint += secondsSince(now);
  tell({});
}

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

/** What crosses back of an error: SQLite's code and message (an Error object would lose `code`). */
function failure(error, statementIndex) {
  return {
    message: String(error?.message ?? error),
    code: error?.code,
    rawCode: error?.rawCode,
    statementIndex,
  };
}

/**
 * The transaction being applied: its id, how many of its statements ran, and its failure once one
 * happened (the transaction is then rolled back, and its later parts are skipped).
 */
let open;

/** Every SQL text this thread was sent, in order: statements name theirs by its index. */
const texts = [];

function rollback() {
  try {
    if (db.inTransaction) db.exec("ROLLBACK");
  } catch {
    // The transaction is gone either way: SQLite rolled it back itself.
  }
}

/**
 * Runs the statements of one part (`ops`: text number, count of values, the values; repeated) in
 * the open transaction, right away: the main thread goes on planning the next ones meanwhile.
 */
function run(message) {
  for (const text of message.texts) texts.push(text);
  if (open.error) return;
  const { ops } = message;
  let index = open.ran;
  try {
    for (let i = 0; i < ops.length; index++) {
      const stmt = statement(texts[ops[i]]);
      const args = bound(ops, i + 2, ops[i + 1]);
      if (stmt.reader) stmt.all(args);
      else stmt.run(args);
      i += 2 + ops[i + 1];
    }
    open.ran = index;
  } catch (error) {
    rollback();
    open.error = failure(error, index);
  }
}

/** Values `count` from `start` of `ops`; a blob crosses postMessage as a Uint8Array, the binding takes a Buffer. */
function bound(ops, start, count) {
  const args = new Array(count);
  for (let k = 0; k < count; k++) {
    const value = ops[start + k];
    args[k] =
      value instanceof Uint8Array && !Buffer.isBuffer(value)
        ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
        : value;
  }
  return args;
}

parentPort.on("message", (message) => {
  const started = performance.now();
  if (message.close) {
    if (open) rollback();
    prepared.clear();
    db.close();
    parentPort.close();
    return;
  }
  if (message.abort) {
    // The main thread could not plan or build the rest of this transaction: none of it stays.
    if (open?.id === message.id) {
      if (!open.error) rollback();
      open = undefined;
    }
    work.statements += secondsSince(started);
    tell({ id: message.id, ok: true });
    return;
  }
  if (open?.id !== message.id) {
    // A transaction the main thread left without a last part or an abort (it cannot, but a
    // half-applied one must never be committed by a later one's COMMIT).
    if (open && !open.error) rollback();
    open = { id: message.id, ran: 0, error: undefined };
    try {
      // IMMEDIATE waits (the busy timeout) for the write lock before the first statement: a write
      // after a read in a deferred transaction would fail at once if another connection wrote meanwhile.
      db.exec("BEGIN IMMEDIATE");
    } catch (error) {
      open.error = failure(error, undefined);
    }
  }
  run(message);
  const committing = performance.now();
  work.statements += (committing - started) / 1000;
  if (!message.last) return;
  if (!open.error) {
    try {
      db.exec("COMMIT");
    } catch (error) {
      rollback();
      open.error = failure(error, undefined);
    }
    work.commit += secondsSince(committing);
  }
  const { error } = open;
  open = undefined;
  tell(error ? { id: message.id, ok: false, error } : { id: message.id, ok: true });
  if (!error) checkpointSoon();
});
