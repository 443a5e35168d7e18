import {
  type Client,
  createClient,
  type InArgs,
  type InStatement,
  LibsqlBatchError,
  LibsqlError,
  type Replicated,
  type ResultSet,
  type Row,
  type Transaction,
  type TransactionMode,
} from "@libsql/client";
import * as hrana from "@libsql/hrana-client";
import { begin, PlainResultSet, sqlOf } from "./file-client.ts";
import type { PlainResponse } from "./server-fetch.ts";

/**
 * The `Client` of a libSQL server (sqld) over HTTP, for the collector's own use: @libsql/client's
 * HTTP client, except that queries and batches run on streams kept open between calls.
 *
 * @libsql/client opens a stream for every call and closes it in the same request, and sqld opens a
 * SQLite connection for every stream, reading the whole schema again: with the collector's schema
 * that was about 850 µs of the server's CPU per request, three quarters of it (probe: 2,000 read
 * batches of two queries, four at a time: 1,150 → 290 µs of sqld CPU and 695 → 1,430 batches/s).
 * Here a call takes an idle stream (a connection already open on the server), or opens one, and
 * gives it back when done; its SQL texts stay stored on the server with it.
 *
 * A stream is kept only in the state it was opened in: outside a transaction, with no setting
 * changed. So only statements that read or write rows run on kept streams, a batch gives its stream
 * back only when it committed, and everything else (transactions, migrations, PRAGMAs, a sequence
 * of statements) goes to @libsql/client, one stream per call as before. sqld forgets a stream after
 * 10 s without a request, so one idle for `KEEP_IDLE_MS` is let go; one the server no longer knows
 * (expired, or the server restarted) fails before anything ran, and the call is made again on a
 * new stream.
 */
export function createServerClient(options: ServerClientOptions): Client {
  return new ServerClient(options);
}

export interface ServerClientOptions {
  url: string;
  authToken?: string;
  /** What @libsql/client's calls (one stream each) are sent with: serverFetch. */
  fetch: typeof fetch;
  /** What the kept streams' calls are sent with: streamFetch (server-fetch.ts). */
  streamFetch: (request: Request) => Promise<PlainResponse>;
  /** How long a stream may stay idle and still be used again (KEEP_IDLE_MS; tests shorten it). */
  keepIdleMs?: number;
}

/** sqld drops a stream after 10 s without a request; kept ones are let go well before that. */
export const KEEP_IDLE_MS = 5_000;
/** Idle streams kept; a burst beyond this closes its extras. */
const IDLE_STREAMS = 8;
/**
 * Calls on kept streams under way at once, each on a stream (a connection on the server) of its
 * own; more wait for one to end. @libsql/client's default limit, which its one-stream calls keep.
 */
export const CONCURRENT_CALLS = 20;
/** SQL texts stored per stream (as @libsql/client stores per batch), below sqld's limit. */
const STORED_SQL = 30;
/** sqld refuses to store a longer SQL text. */
const STORABLE_SQL_LENGTH = 5_000;
/** What may run on a kept stream: statements that read or write rows, nothing that changes the connection. */
const ROW_STATEMENT = /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|REPLACE)\b/i;

/** A stream held open on the server, and the SQL texts stored on it (most recently used last). */
class KeptStream {
  readonly #sqls = new Map<string, hrana.Sql>();
  lastUsed = performance.now();
  /** False until a call has run on it: a stream that fails its first call was never the server's to forget. */
  reused = false;

  constructor(readonly stream: hrana.HttpStream) {}

  /** The statement, its SQL text by id once stored (stored on first use, the least recently used one let go). */
  statement(statement: InStatement | [string, InArgs?] | string, inUse: Set<hrana.Sql>): hrana.Stmt {
    const text = sqlOf(statement);
    let sql = this.#sqls.get(text);
    if (sql) {
      this.#sqls.delete(text);
      this.#sqls.set(text, sql);
    } else if (text.length < STORABLE_SQL_LENGTH) {
      for (const [oldest, stored] of this.#sqls) {
        if (this.#sqls.size < STORED_SQL || inUse.has(stored)) break;
        stored.close();
        this.#sqls.delete(oldest);
      }
      if (this.#sqls.size < STORED_SQL) {
        sql = this.stream.storeSql(text);
        this.#sqls.set(text, sql);
      }
    }
    if (sql) inUse.add(sql);
    const stmt = new hrana.Stmt(sql ?? text);
    const args =
      typeof statement === "string" ? undefined : Array.isArray(statement) ? statement[1] : statement.args;
    if (Array.isArray(args)) stmt.bindIndexes(args);
    else if (args) for (const [name, value] of Object.entries(args)) stmt.bindName(name, value);
    return stmt;
  }
}

class ServerClient implements Client {
  readonly protocol = "http";
  readonly #oneShot: Client;
  readonly #hrana: hrana.HttpClient;
  readonly #idle: KeptStream[] = [];
  readonly #keepIdleMs: number;
  /** Calls on kept streams under way, and those waiting for one of them to end (CONCURRENT_CALLS). */
  #running = 0;
  readonly #waiting: Array<() => void> = [];
  #closed = false;

  constructor(options: ServerClientOptions) {
    this.#oneShot = createClient({ url: options.url, authToken: options.authToken, fetch: options.fetch });
    const url = new URL(options.url);
    const authToken = options.authToken ?? url.searchParams.get("authToken") ?? undefined;
    this.#hrana = hrana.openHttp(httpUrl(url), authToken, options.streamFetch);
    this.#hrana.intMode = "number";
    this.#keepIdleMs = options.keepIdleMs ?? KEEP_IDLE_MS;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async execute(statement: InStatement | string, args?: InArgs): Promise<ResultSet> {
    const stmt: InStatement =
      typeof statement === "string" ? { sql: statement, args: args ?? [] } : statement;
    if (!ROW_STATEMENT.test(stmt.sql)) return this.#oneShot.execute(stmt);
    // A statement that failed left its stream as it was: outside a transaction.
    return this.#onKeptStream(
      (kept) => kept.stream.query(kept.statement(stmt, new Set())).then(resultSet),
      true,
    );
  }

  async batch(
    statements: Array<InStatement | [string, InArgs?]>,
    mode: TransactionMode = "deferred",
  ): Promise<ResultSet[]> {
    if (!statements.every((statement) => ROW_STATEMENT.test(sqlOf(statement)))) {
      return this.#oneShot.batch(statements, mode);
    }
    // A batch that failed may have failed at its ROLLBACK: its stream is not used again.
    return this.#onKeptStream(
      async (kept) => runBatch(kept, statements, mode, await this.#hrana.getVersion()),
      false,
    );
  }

  migrate(statements: InStatement[]): Promise<ResultSet[]> {
    return this.#oneShot.migrate(statements);
  }

  transaction(mode?: TransactionMode): Promise<Transaction> {
    return this.#oneShot.transaction(mode);
  }

  executeMultiple(sql: string): Promise<void> {
    return this.#oneShot.executeMultiple(sql);
  }

  sync(): Promise<Replicated> {
    return this.#oneShot.sync();
  }

  reconnect(): void {
    this.#letGoIdle();
    this.#oneShot.reconnect();
  }

  close(): void {
    this.#closed = true;
    this.#letGoIdle();
    this.#hrana.close();
    this.#oneShot.close();
  }

  /**
   * Runs `call` on a kept stream, giving the stream back when it is still open and the call
   * succeeded, or failed with `keptAfterFailure`. A stream the server no longer knows fails before
   * the call ran there: the call is made once more, on a new stream.
   */
  async #onKeptStream<T>(call: (kept: KeptStream) => Promise<T>, keptAfterFailure: boolean): Promise<T> {
    if (this.#closed) throw new LibsqlError("The client is closed", "CLIENT_CLOSED");
    if (this.#running >= CONCURRENT_CALLS) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      for (;;) {
        if (this.#closed) throw new LibsqlError("The client is closed", "CLIENT_CLOSED");
        const kept = this.#take();
        try {
          const result = await call(kept);
          this.#giveBack(kept, true);
          return result;
        } catch (error) {
          this.#giveBack(kept, keptAfterFailure);
          if (kept.reused && unknownStream(error)) continue;
          throw mapHranaError(error);
        }
      }
    } finally {
      // The next waiting call takes this one's place (the count stays), or the count goes down.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }

  #take(): KeptStream {
    const now = performance.now();
    for (let kept = this.#idle.pop(); kept; kept = this.#idle.pop()) {
      if (now - kept.lastUsed < this.#keepIdleMs && !kept.stream.closed) {
        kept.reused = true;
        return kept;
      }
      kept.stream.close();
    }
    return new KeptStream(this.#hrana.openStream());
  }

  #giveBack(kept: KeptStream, reusable: boolean): void {
    if (!this.#closed && reusable && !kept.stream.closed && this.#idle.length < IDLE_STREAMS) {
      kept.lastUsed = performance.now();
      this.#idle.push(kept);
    } else if (!kept.stream.closed) {
      kept.stream.close();
    }
  }

  #letGoIdle(): void {
    for (const kept of this.#idle.splice(0)) kept.stream.close();
  }
}

/** As @libsql/client's HTTP client reads the URL: `libsql:` is HTTPS unless `tls=0`; the query is its own. */
function httpUrl(url: URL): string {
  const parsed = new URL(url);
  if (parsed.protocol === "libsql:") {
    parsed.protocol = parsed.searchParams.get("tls") === "0" ? "http:" : "https:";
  }
  parsed.search = "";
  return parsed.toString();
}

/** A stream the server no longer has (expired after 10 s idle, or the server restarted): the request did not run. */
function unknownStream(error: unknown): boolean {
  const cause = error instanceof hrana.ClosedError && error.cause ? error.cause : error;
  if (cause instanceof hrana.ResponseError) return cause.code === "STREAM_EXPIRED";
  return cause instanceof hrana.HttpServerError && cause.status === 400 && /baton/i.test(cause.message);
}

/**
 * The statements in one transaction, as @libsql/client runs a batch (its executeHranaBatch, which
 * the package does not export): BEGIN, each statement once the one before succeeded (and, from
 * protocol version 3, while the transaction is open), COMMIT after the last, ROLLBACK when COMMIT
 * did not run or failed; all in one request. Rejects with a LibsqlBatchError naming the statement
 * that failed; resolves only once committed.
 */
async function runBatch(
  kept: KeptStream,
  statements: Array<InStatement | [string, InArgs?]>,
  mode: TransactionMode,
  version: number,
): Promise<ResultSet[]> {
  const inUse = new Set<hrana.Sql>();
  const stmts = statements.map((statement) => kept.statement(statement, inUse));
  const batch = kept.stream.batch(false);
  const beginStep = batch.step();
  const begun = beginStep.run(begin(mode));
  let last = beginStep;
  // From version 3 a step also checks that the transaction is still open (a statement may end it).
  const inTransaction = (step: hrana.BatchStep) =>
    version >= 3 ? step.condition(hrana.BatchCond.not(hrana.BatchCond.isAutocommit(batch))) : step;
  const results = stmts.map((stmt) => {
    const step = inTransaction(batch.step().condition(hrana.BatchCond.ok(last)));
    last = step;
    return step.query(stmt);
  });
  const commitStep = inTransaction(batch.step().condition(hrana.BatchCond.ok(last)));
  const committed = commitStep.run("COMMIT");
  batch
    .step()
    .condition(hrana.BatchCond.not(hrana.BatchCond.ok(commitStep)))
    .run("ROLLBACK")
    .catch(() => undefined);
  // Every step's promise settles with the batch; those not awaited below must not go unhandled.
  for (const pending of [begun, committed, ...results]) pending.catch(() => undefined);
  await batch.execute();
  await begun;
  const sets: ResultSet[] = [];
  for (const [index, pending] of results.entries()) {
    let rows: hrana.RowsResult | undefined;
    try {
      rows = await pending;
    } catch (error) {
      const mapped = mapHranaError(error);
      if (!(mapped instanceof LibsqlError)) throw mapped;
      throw new LibsqlBatchError(
        mapped.message,
        index,
        mapped.code,
        mapped.extendedCode,
        mapped.rawCode,
        error as Error,
      );
    }
    if (rows === undefined) {
      throw new LibsqlBatchError(
        "Statement in a batch was not executed, probably because the transaction has been rolled back",
        index,
        "TRANSACTION_CLOSED",
      );
    }
    sets.push(resultSet(rows));
  }
  await committed;
  return sets;
}

function resultSet(rows: hrana.RowsResult): ResultSet {
  return new PlainResultSet(
    rows.columnNames.map((name) => name ?? ""),
    rows.columnDecltypes.map((type) => type ?? ""),
    rows.rows as unknown as Row[],
    rows.affectedRowCount,
    rows.lastInsertRowid,
  );
}

/** As @libsql/client maps the Hrana client's errors (its mapHranaError, not exported): a LibsqlError with the server's code. */
function mapHranaError(error: unknown): unknown {
  if (!(error instanceof hrana.ClientError)) return error;
  return new LibsqlError(error.message, hranaErrorCode(error), undefined, undefined, error);
}

function hranaErrorCode(error: unknown): string {
  if (error instanceof hrana.ResponseError && error.code !== undefined) return error.code;
  if (error instanceof hrana.ProtoError) return "HRANA_PROTO_ERROR";
  if (error instanceof hrana.ClosedError) {
    return error.cause instanceof hrana.ClientError ? hranaErrorCode(error.cause) : "HRANA_CLOSED_ERROR";
  }
  if (error instanceof hrana.WebSocketError) return "HRANA_WEBSOCKET_ERROR";
  if (error instanceof hrana.HttpServerError) return "SERVER_ERROR";
  if (error instanceof hrana.ProtocolVersionError) return "PROTOCOL_VERSION_ERROR";
  if (error instanceof hrana.InternalError) return "INTERNAL_ERROR";
  return "UNKNOWN";
}
