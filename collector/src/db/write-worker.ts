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

type Answer = { id: number; ok: true } | { id: number; ok: false; error: ThreadError };

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
  /** The thread's script: the real one unless a test stands in a failing one. */
  script?: URL;
}

/** Statements per message to the thread. */
const POST_PART = 500;

// Next to this file in the sources, next to server.js in the bundle (build.mjs copies it there).
const THREAD_SCRIPT = new URL("./write-worker-thread.mjs", import.meta.url);

/**
 * Applies the ingest group commit's write transactions in a thread of their own, which owns a
 * second connection to the database file. The libSQL binding is synchronous: a group of a
 * thousand events is several thousand statements and an fsync, during which the main thread
 * would serve nothing (no `/health`, no reads). Here the main thread only builds the statements
 * and posts them; SQLite's write lock and the busy timeout order this connection with the main
 * one and with other processes, as between any two connections.
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

  constructor(
    private readonly file: { path: string; timeoutMs: number },
    private readonly options: WriteWorkerOptions = {},
  ) {}

  /** Applies `items` in one transaction: resolves once committed, rejects with SQLite's error having written nothing. */
  async apply(items: readonly WriteStatement[]): Promise<void> {
    const post = () => this.#post(items);
    return this.options.time ? this.options.time("batch", items.length, post) : post();
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

  /**
   * Sends the statements in parts of POST_PART (copying thousands into the thread at once held the
   * event loop for tens of milliseconds), letting the event loop turn between parts (building a
   * part's SQL and values takes a while too); the thread applies them all, in one transaction, once
   * the last part is in. A part is built right before it is posted, straight from the statements:
   * a value the binding cannot take (an infinite number) fails the transaction before its part
   * leaves, and the thread drops the parts it had.
   */
  async #post(items: readonly WriteStatement[]): Promise<void> {
    if (this.#closed) throw new LibsqlError("The client is closed", "CLIENT_CLOSED");
    if (items.length === 0) return;
    const thread = this.#thread ?? this.#start();
    const id = ++this.#nextId;
    const answered = new Promise<void>((resolve, reject) => thread.pending.set(id, { resolve, reject }));
    // Referenced while it owes an answer: the process must not exit before hearing it.
    thread.worker.ref();
    const pacer = new Pacer();
    try {
      for (let start = 0; start < items.length; start += POST_PART) {
        if (start > 0) await pacer.pause();
        thread.worker.postMessage(encodePart(id, items, start, thread.texts));
      }
    } catch (error) {
      thread.worker.postMessage({ id, abort: true });
      this.#settle(thread, id);
      throw error;
    }
    return answered;
  }

  /** Forgets the transaction `id` (its answer will not come): unreferences the idle thread. */
  #settle(thread: Thread, id: number): void {
    thread.pending.delete(id);
    if (thread.pending.size === 0) thread.worker.unref();
  }

  #start(): Thread {
    const worker = new Worker(this.options.script ?? THREAD_SCRIPT, {
      workerData: this.file,
      name: "versioner-write-worker",
    });
    worker.unref();
    const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
    const thread: Thread = { worker, pending: new Map(), exited, texts: new Map() };
    worker.on("message", (answer: Answer) => {
      const pending = thread.pending.get(answer.id);
      this.#settle(thread, answer.id);
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

/**
 * The part of transaction `id` holding `items` from `start` (at most POST_PART): each statement's
 * SQL and bound values as `db.batch` would send them (the client's conversion of each value), its
 * SQL as the number the thread knows it by. `texts` (the thread's) gains this part's new texts only
 * once the whole part is built, so a part that fails leaves no number the thread was never sent.
 */
function encodePart(
  id: number,
  items: readonly WriteStatement[],
  start: number,
  texts: Map<string, number>,
): Part {
  const end = Math.min(start + POST_PART, items.length);
  const part: Part = { id, texts: [], ops: [], last: end === items.length };
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
