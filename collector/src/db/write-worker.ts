import { Worker } from "node:worker_threads";
import { LibsqlError } from "@libsql/client";
import type { Database } from "./client.ts";
import { plainStatement, type WriteStatement } from "./compiled-writes.ts";
import { batchError, fromSqliteError, toSql } from "./file-client.ts";
import { Pacer } from "./pacing.ts";

/** A value as the SQLite binding takes it, and as it crosses postMessage unchanged. */
export type BoundValue = string | number | bigint | null | Uint8Array;

/** How an error crosses back from the thread: SQLite's code and message, and the statement at fault. */
interface ThreadError {
  message: string;
  code?: unknown;
  rawCode?: unknown;
  statementIndex?: number;
}

/**
 * Seconds the thread worked since it last told, by phase (wall time, so waits on the disk count):
 * `statements` (BEGIN, the statements, a ROLLBACK), `commit` (COMMIT: the WAL's pages and its
 * fsync) and `checkpoint` (copying the WAL into the database file, after a commit's answer).
 */
export interface WriteThreadWork {
  statements: number;
  commit: number;
  checkpoint: number;
}

/** Told what the write thread worked, each time it tells (every answer, and after a checkpoint). */
export type WriteThreadObserver = (work: WriteThreadWork) => void;

/** A transaction's answer, or (no `id`) the time a checkpoint took. */
type Answer = { work: WriteThreadWork } & (
  | { id: number; ok: true }
  | { id: number; ok: false; error: ThreadError }
  | { id?: undefined }
);

interface Pending {
  resolve(): void;
  reject(error: unknown): void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
  exited: Promise<void>;
  /** The SQL texts sent to this thread, by the number statements name them with. */
  texts: Map<string, number>;
}

/**
 * One part of a transaction as it crosses to the thread: the SQL texts it has not been sent yet
 * (numbered on from the ones before), then each statement flat in `ops` as its text's number, its
 * count of values and the values. Copying one array of numbers and strings costs the main thread
 * about half of what an object per statement with its SQL text costs (measured on 500 statements).
 */
interface Part {
  id: number;
  texts: string[];
  ops: Array<number | BoundValue>;
  last: boolean;
}

export interface WriteWorkerOptions {
  /** Times each transaction for the database's query observers (Database.timeQuery). */
  time?: Database["timeQuery"];
  /** Told the thread's time by phase (Database.observeWriteThread). */
  work?: WriteThreadObserver;
  /** The thread's script: the real one unless a test stands in a failing one. */
  script?: URL;
  /**
   * Least time between two of the thread's checkpoints (CHECKPOINT_INTERVAL_MS), each run after a
   * commit has been answered; a test sets 0 to checkpoint after every commit.
   */
  checkpointIntervalMs?: number;
}

/**
 * The write thread copies the WAL into the database file at most this often, after answering a
 * commit, instead of in the commit that crosses SQLite's 1,000-page mark: a 1,000-event group
 * crosses it every time, and its `COMMIT` took 33 ms on average instead of 13 (bench, two pairs:
 * batch ingest 3,655/3,664 → 4,034/4,242 events/s). The WAL then holds at most this much of the
 * thread's writes beyond what readers still use. 100 ms rather than 250: the next group's commit
 * waits behind a checkpoint, and shorter ones shorten the single-event tail (three interleaved
 * pairs, p99 47/47/37 → 40/35/25 ms, batches no slower; docs/architecture.md).
 */
export const CHECKPOINT_INTERVAL_MS = 100;

/**
 * The write thread's page cache, in KiB (SQLite's default is 2,000: about 2 MB). Every event
 * inserts into some 20 b-trees (4 tables, their primary keys and indexes); with 2 MB most of their
 * pages were read again from the file system on each insert once the database outgrew it. 64 MB
 * holds the hot pages: write thread 66–76 → 61–63.5 µs per bench batch event (three pairs; 71 →
 * 62.5 over 60,000 events). Filled within the first tens of thousands of events, so it adds to
 * RSS once and does not grow after.
 */
export const WRITE_CACHE_KIB = 65_536;

/** Statements per message to the thread. */
const POST_PART = 500;

// Next to this file in the sources, next to server.js in the bundle (build.mjs copies it there).
const THREAD_SCRIPT = new URL("./write-worker-thread.mjs", import.meta.url);

/**
 * Applies the ingest group commit's write transactions in a thread of their own, which owns a
 * second connection to the database file. The libSQL binding is synchronous: a group of a
 * thousand events is several thousand statements and an fsync, during which the main thread
 * would serve nothing (no `/health`, no reads). Here the main thread only builds the statements
 * and posts them, while it plans (WriteTransaction.send), and the thread runs them as they come;
 * SQLite's write lock and the busy timeout order this connection with other processes, as
 * between any two connections, and `idle()` orders it with the main connection.
 *
 * The thread starts with the first transaction, is unreferenced while idle (an open database does
 * not keep the process alive), and ends when the database closes (`Database.writer`, one per
 * handle, built by openDatabase for a plain local file). If it dies, whatever it was
 * applying is rejected (the transaction was not committed, or not known to be) and the next
 * transaction starts a new one.
 */
export class WriteWorker {
  #thread: Thread | undefined;
  #nextId = 0;
  #closed = false;
  #idle: Promise<void> | undefined;

  constructor(
    private readonly file: { path: string; timeoutMs: number },
    private readonly options: WriteWorkerOptions = {},
  ) {}

  /** Applies `items` in one transaction: resolves once committed, rejects with SQLite's error having written nothing. */
  async apply(items: readonly WriteStatement[]): Promise<void> {
    this.#checkOpen();
    if (items.length > 0) return this.begin().commit(items);
  }

  /**
   * Opens a transaction that takes its statements while they are still being planned: the thread
   * runs each part as it arrives, so its SQLite work overlaps the main thread's planning, and only
   * the last part and the COMMIT are waited for. The thread has one connection and runs them in
   * the order they were begun: a transaction begun while another is being committed (the ingest
   * group commit's pipeline, under the write lock) runs after that one's COMMIT, once the other's
   * `sent` has resolved (its last part posted).
   */
  begin(): WriteTransaction {
    this.#checkOpen();
    const thread = this.#thread ?? this.#start();
    const id = ++this.#nextId;
    const answered = new Promise<void>((resolve, reject) => thread.pending.set(id, { resolve, reject }));
    // Referenced while it owes an answer: the process must not exit before hearing it.
    thread.worker.ref();
    // Whoever ends the transaction (commit or abort) takes its answer; this only waits for it.
    const idle: Promise<void> = answered
      .catch(() => undefined)
      .then(() => {
        if (this.#idle === idle) this.#idle = undefined;
      });
    this.#idle = idle;
    return new StreamedTransaction(id, thread, answered, this.options.time);
  }

  /**
   * While a transaction is open in the thread (it holds the database's write lock until its last
   * part comes), resolves when it ends; else undefined. A write on another connection of this
   * process waits for it (file-client.ts): SQLite's busy wait would hold the main thread, which
   * is the thread that must send the last part.
   */
  idle(): Promise<void> | undefined {
    return this.#idle;
  }

  /**
   * Ends the thread once it has answered what it was sent (the database is closing); resolves when
   * it has ended. Later transactions are refused, as a closed client refuses them.
   */
  close(): Promise<void> {
    this.#closed = true;
    const thread = this.#thread;
    this.#thread = undefined;
    if (!thread) return Promise.resolve();
    thread.worker.postMessage({ close: true });
    return thread.exited;
  }

  /** Refuses work once closed, as a closed client does. */
  #checkOpen(): void {
    if (this.#closed) throw new LibsqlError("The client is closed", "CLIENT_CLOSED");
  }

  #start(): Thread {
    const worker = new Worker(this.options.script ?? THREAD_SCRIPT, {
      workerData: {
        ...this.file,
        checkpointIntervalMs: this.options.checkpointIntervalMs ?? CHECKPOINT_INTERVAL_MS,
        cacheKib: WRITE_CACHE_KIB,
      },
      name: "versioner-write-worker",
    });
    worker.unref();
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    const thread: Thread = { worker, pending: new Map(), exited, texts: new Map() };
    worker.on("message", (answer: Answer) => {
      this.options.work?.(answer.work);
      if (answer.id === undefined) return;
      const pending = thread.pending.get(answer.id);
      settle(thread, answer.id);
      if (answer.ok) pending?.resolve();
      else pending?.reject(sqliteError(answer.error));
    });
    worker.on("error", (error) => this.#lost(thread, error));
    worker.on("exit", (code) => this.#lost(thread, new Error(`The write worker exited with code ${code}`)));
    this.#thread = thread;
    return thread;
  }

  #lost(thread: Thread, cause: unknown): void {
    if (this.#thread === thread) this.#thread = undefined;
    for (const pending of thread.pending.values()) {
      pending.reject(new Error("The write worker stopped before it committed this transaction", { cause }));
    }
    thread.pending.clear();
    void thread.worker.terminate();
  }
}

/** A transaction open in the write thread (WriteWorker.begin). */
export interface WriteTransaction {
  /**
   * Sends `items` to the thread (500 per message), which runs them at once inside the
   * transaction. Throws when one holds a value the binding cannot take (its message is not sent,
   * earlier ones may have been): abort then.
   */
  send(items: readonly WriteStatement[]): void;
  /** Sends the last `items` and commits: resolves once committed, rejects with SQLite's error having written nothing. */
  commit(items?: readonly WriteStatement[]): Promise<void>;
  /**
   * Resolves once `commit()` has posted its last part (or given up): a transaction begun after it
   * reaches the thread after this one's COMMIT, never between its parts.
   */
  readonly sent: Promise<void>;
  /** Rolls back what was sent (the plan failed): resolves once the thread has. */
  abort(): Promise<void>;
}

class StreamedTransaction implements WriteTransaction {
  #sent = 0;
  #ended = false;
  #allSent!: () => void;
  readonly sent = new Promise<void>((resolve) => {
    this.#allSent = resolve;
  });

  constructor(
    private readonly id: number,
    private readonly thread: Thread,
    private readonly answered: Promise<void>,
    private readonly time: WriteWorkerOptions["time"],
  ) {}

  send(items: readonly WriteStatement[]): void {
    if (this.#ended) throw new Error("This write transaction has ended");
    for (let start = 0; start < items.length; start += POST_PART) this.#post(items, start, false);
  }

  async commit(items: readonly WriteStatement[] = []): Promise<void> {
    const committed = async () => {
      try {
        // Parts of POST_PART, letting the event loop turn between them: copying thousands of
        // statements into the thread at once held it for tens of milliseconds. The last part
        // (empty when everything was sent already) commits.
        const pacer = new Pacer();
        for (let start = 0, last = false; !last; start += POST_PART) {
          if (start > 0) await pacer.pause();
          last = start + POST_PART >= items.length;
          this.#post(items, start, last);
        }
      } catch (error) {
        await this.abort();
        throw error;
      } finally {
        this.#allSent();
      }
      this.#ended = true;
      return this.answered;
    };
    // One call for the query observers: the transaction, timed from its last part to its commit.
    return this.time ? this.time("batch", this.#sent + items.length, committed) : committed();
  }

  async abort(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    this.#allSent();
    this.thread.worker.postMessage({ id: this.id, abort: true });
    await this.answered.catch(() => undefined);
  }

  #post(items: readonly WriteStatement[], start: number, last: boolean): void {
    this.thread.worker.postMessage(encodePart(this.id, items, start, last, this.thread.texts));
    this.#sent += Math.min(POST_PART, items.length - start);
  }
}

/** Forgets the transaction `id` (its answer came, or will not): unreferences the idle thread. */
function settle(thread: Thread, id: number): void {
  thread.pending.delete(id);
  if (thread.pending.size === 0) thread.worker.unref();
}

/**
 * The part of transaction `id` holding `items` from `start` (at most POST_PART), the transaction's
 * last when `last`: each statement's
 * SQL and bound values as `db.batch` would send them (the client's conversion of each value), its
 * SQL as the number the thread knows it by. `texts` (the thread's) gains this part's new texts only
 * once the whole part is built, so a part that fails leaves no number the thread was never sent.
 */
function encodePart(
  id: number,
  items: readonly WriteStatement[],
  start: number,
  last: boolean,
  texts: Map<string, number>,
): Part {
  const end = Math.min(start + POST_PART, items.length);
  const part: Part = { id, texts: [], ops: [], last };
  const added = new Map<string, number>();
  for (let i = start; i < end; i++) {
    const { sql, args } = plainStatement(items[i] as WriteStatement);
    let text = texts.get(sql) ?? added.get(sql);
    if (text === undefined) {
      text = texts.size + added.size;
      added.set(sql, text);
      part.texts.push(sql);
    }
    part.ops.push(text, args.length);
    // A Buffer crosses postMessage as a Uint8Array; the thread gives the binding a Buffer again.
    for (const value of args) part.ops.push(toSql(value) as BoundValue);
  }
  for (const [sql, text] of added) texts.set(sql, text);
  return part;
}

/**
 * The error @libsql/client raises for the same failure: `code` the base SQLite code, `extendedCode`
 * and the cause's `code` the extended one (SQLITE_CONSTRAINT_UNIQUE, which isUniqueViolation looks
 * for), a LibsqlBatchError naming the statement at fault.
 */
function sqliteError(error: ThreadError): Error {
  if (typeof error.code !== "string" || !error.code.startsWith("SQLITE_")) return new Error(error.message);
  const rawCode = typeof error.rawCode === "number" ? error.rawCode : undefined;
  const cause = Object.assign(new Error(error.message), { name: "SqliteError", code: error.code, rawCode });
  const reported = fromSqliteError(cause);
  return error.statementIndex === undefined
    ? reported
    : (batchError(reported, error.statementIndex) as Error);
}
