import { Buffer } from "node:buffer";
import {
  type Client,
  type InArgs,
  type InStatement,
  type InValue,
  LibsqlBatchError,
  LibsqlError,
  type Replicated,
  type ResultSet,
  type Row,
  type Transaction,
  type TransactionMode,
  type Value,
} from "@libsql/client";
import Libsql from "libsql";

/**
 * The `Client` of a local libSQL file, for the collector's own use: the engine @libsql/client runs
 * for `file:` URLs (the `libsql` package's native binding), with each connection keeping the
 * statements it prepared. @libsql/client prepares every statement again on each call and reads its
 * columns twice: in a profile of batch ingest that was 40% of the collector's CPU. Results have the
 * shape @libsql/client gives (rows indexable by position and by name, integers as numbers), so
 * drizzle and every raw `client.execute` read them unchanged; the client conformance test
 * (file-client.test.ts) holds it to @libsql/client's answers.
 *
 * Used for a file on disk only: an in-memory database lives on one connection and an embedded
 * replica syncs through @libsql/client, so both keep it (see openDatabase).
 */
export function createFileClient(path: string, options: FileClientOptions): Client {
  const pool = new ConnectionPool(path, options.timeoutMs);
  // Fail at the start, as createClient does, when the file cannot be opened at all.
  const probe = pool.acquire();
  try {
    probe.execute("SELECT 1");
  } finally {
    pool.release(probe);
  }
  return new FileClient(pool, options.writesWaitFor);
}

export interface FileClientOptions {
  timeoutMs: number;
  /**
   * While another connection of this process holds the write lock across turns of the event loop
   * (the ingest write thread, write-worker.ts), resolves when it lets go; else undefined. Every
   * write waits for it before it reaches SQLite: the binding's busy wait would hold the main
   * thread, the one that must finish the other connection's transaction. Reads never wait.
   */
  writesWaitFor?: () => Promise<void> | undefined;
}

/** Whether a statement may write (anything but a query): it waits for the write thread's transaction. */
const READ_ONLY = /^\s*(SELECT|WITH|EXPLAIN)\b/i;
export const sqlOf = (statement: InStatement | [string, InArgs?] | string): string =>
  typeof statement === "string" ? statement : Array.isArray(statement) ? statement[0] : statement.sql;

/** Statements kept per connection; past this, the oldest one is let go. */
export const STATEMENT_CACHE_SIZE = 512;
/** Idle connections kept for the next transaction; a burst beyond this closes its extras. */
const IDLE_CONNECTIONS = 4;

interface Prepared {
  statement: Libsql.Statement;
  /** False for a schema change: run once, never kept. */
  kept: boolean;
  /** The result's column names and declared types; undefined for a statement that returns no rows. */
  columns?: string[];
  columnTypes?: string[];
  /** Builds a row of this result from its values (rowShape), made once with the columns. */
  row?: (values: unknown[]) => Row;
}

/**
 * Bumped when a connection runs schema changes: every connection then drops the statements it
 * kept (SQLite prepares a statement again by itself after a schema change, but the column names
 * kept beside it would be stale).
 */
class SchemaEpoch {
  value = 0;
}

const SCHEMA_CHANGE = /^\s*(CREATE|ALTER|DROP)\b/i;

/**
 * Every connection to the file commits with an fsync of the WAL: an acknowledged event survives a
 * power loss. SQLite's default in WAL mode is a build setting (`SQLITE_DEFAULT_WAL_SYNCHRONOUS`):
 * FULL in the `libsql` package, NORMAL in better-sqlite3's build, for one.
 */
const SYNCHRONOUS_FULL = "PRAGMA synchronous = FULL";

class Connection {
  readonly native: Libsql.Database;
  readonly #prepared = new Map<string, Prepared>();
  #epoch: number;

  constructor(
    path: string,
    timeoutMs: number,
    private readonly schema: SchemaEpoch,
  ) {
    this.native = new Libsql(path, { timeout: timeoutMs });
    // Durable commits (docs/architecture.md, "Database"): stated, not left to the binding's build.
    this.native.exec(SYNCHRONOUS_FULL);
    this.#epoch = schema.value;
  }

  execute(statement: InStatement | string, extraArgs?: InArgs): ResultSet {
    const sql = sqlOf(statement);
    const args = typeof statement === "string" ? extraArgs : statement.args;
    try {
      const prepared = this.#prepare(sql);
      const bound = bindable(args);
      if (!prepared.columns) {
        const info = prepared.statement.run(bound);
        if (!prepared.kept) this.schema.value++;
        return new PlainResultSet([], [], [], info.changes, BigInt(info.lastInsertRowid));
      }
      const values = prepared.statement.all(bound) as unknown[][];
      // Another process changed the schema (a newer collector migrating): read the columns again.
      if (values[0] && values[0].length !== prepared.columns.length) describeColumns(prepared);
      const row = prepared.row as (values: unknown[]) => Row;
      const rows = values.map(row);
      return new PlainResultSet(prepared.columns, prepared.columnTypes ?? [], rows, 0, undefined);
    } catch (error) {
      throw libsqlError(error);
    }
  }

  executeMultiple(sql: string): void {
    try {
      this.native.exec(sql);
    } catch (error) {
      throw libsqlError(error);
    } finally {
      this.schema.value++;
    }
  }

  /** Runs `statements`, reporting a failure with the index of the statement, as a batch does. */
  executeAll(statements: ReadonlyArray<InStatement | [string, InArgs?]>): ResultSet[] {
    const results: ResultSet[] = [];
    for (const [index, statement] of statements.entries()) {
      try {
        if (!this.native.inTransaction) {
          throw new LibsqlBatchError("The transaction has been rolled back", index, "TRANSACTION_CLOSED");
        }
        results.push(
          Array.isArray(statement)
            ? this.execute({ sql: statement[0], args: statement[1] ?? [] })
            : this.execute(statement),
        );
      } catch (error) {
        throw batchError(error, index);
      }
    }
    return results;
  }

  close(): void {
    try {
      if (this.native.open) this.native.close();
    } catch {
      // Closing is best effort: nothing useful can be done with a connection that fails to close.
    }
  }

  #prepare(sql: string): Prepared {
    if (this.#epoch !== this.schema.value) {
      this.#prepared.clear();
      this.#epoch = this.schema.value;
    }
    const cached = this.#prepared.get(sql);
    if (cached) return cached;
    const statement = this.native.prepare(sql);
    statement.safeIntegers(true);
    // Schema changes run once: not kept, and they make every connection forget what it kept.
    const prepared: Prepared = { statement, kept: !SCHEMA_CHANGE.test(sql) };
    if (statement.reader) {
      statement.raw(true);
      describeColumns(prepared);
    }
    if (!prepared.kept) return prepared;
    // Oldest first out: the hot statements are prepared again at once if a burst of others pushed them out.
    if (this.#prepared.size >= STATEMENT_CACHE_SIZE) {
      const oldest = this.#prepared.keys().next().value;
      if (oldest !== undefined) this.#prepared.delete(oldest);
    }
    this.#prepared.set(sql, prepared);
    return prepared;
  }
}

function describeColumns(prepared: Prepared): void {
  const columns = prepared.statement.columns();
  prepared.columns = columns.map((column) => column.name);
  prepared.columnTypes = columns.map((column) => column.type ?? "");
  prepared.row = rowShape(prepared.columns);
}

/**
 * Connections to one file. Every call but a transaction runs synchronously on a connection and
 * gives it back before it returns, so one connection serves them all; a transaction holds one of
 * its own until it settles, as with @libsql/client.
 */
class ConnectionPool {
  readonly #idle: Connection[] = [];
  readonly #borrowed = new Set<Connection>();
  readonly #schema = new SchemaEpoch();
  closed = false;

  constructor(
    private readonly path: string,
    private readonly timeoutMs: number,
  ) {}

  acquire(): Connection {
    if (this.closed) throw new LibsqlError("The client is closed", "CLIENT_CLOSED");
    const connection = this.#idle.pop() ?? new Connection(this.path, this.timeoutMs, this.#schema);
    this.#borrowed.add(connection);
    return connection;
  }

  release(connection: Connection): void {
    this.#borrowed.delete(connection);
    const native = connection.native;
    // Never hand a connection on mid-transaction: the next borrower would inherit it.
    if (native.open && native.inTransaction) {
      try {
        connection.execute("ROLLBACK");
      } catch {
        connection.close();
        return;
      }
    }
    if (this.closed || !native.open || this.#idle.length >= IDLE_CONNECTIONS) connection.close();
    else this.#idle.push(connection);
  }

  close(): void {
    this.closed = true;
    for (const connection of [...this.#idle, ...this.#borrowed]) connection.close();
    this.#idle.length = 0;
    this.#borrowed.clear();
  }

  /** Closes every connection and takes new ones from then on. */
  reopen(): void {
    this.close();
    this.closed = false;
  }
}

class FileClient implements Client {
  closed = false;
  readonly protocol = "file";

  constructor(
    readonly pool: ConnectionPool,
    private readonly writesWaitFor: FileClientOptions["writesWaitFor"],
  ) {}

  /** Waits until no other connection of this process holds the write lock across turns (FileClientOptions). */
  async #writable(): Promise<void> {
    for (let open = this.writesWaitFor?.(); open; open = this.writesWaitFor?.()) await open;
  }

  async execute(statement: InStatement | string, args?: InArgs): Promise<ResultSet> {
    if (!READ_ONLY.test(sqlOf(statement))) await this.#writable();
    return this.#with((connection) => connection.execute(statement, args));
  }

  async batch(
    statements: Array<InStatement | [string, InArgs?]>,
    mode: TransactionMode = "deferred",
  ): Promise<ResultSet[]> {
    const writes = mode !== "read" && statements.some((statement) => !READ_ONLY.test(sqlOf(statement)));
    if (writes) await this.#writable();
    return this.#with((connection) => {
      // A deferred batch that reads before it writes would turn its read into a write, which SQLite
      // refuses at once (SQLITE_BUSY, no busy wait) when another process wrote in between: one
      // that writes takes the write lock at BEGIN, waiting for it as long as the busy timeout.
      connection.execute(begin(mode === "deferred" && writes ? "write" : mode));
      const results = connection.executeAll(statements);
      connection.execute("COMMIT");
      return results;
    });
  }

  /** As @libsql/client: the statements in one transaction, with foreign keys off while they run. */
  async migrate(statements: InStatement[]): Promise<ResultSet[]> {
    await this.#writable();
    return this.#with((connection) => {
      connection.execute("PRAGMA foreign_keys=off");
      try {
        connection.execute(begin("write"));
        const results = connection.executeAll(statements);
        connection.execute("COMMIT");
        return results;
      } finally {
        if (connection.native.inTransaction) connection.execute("ROLLBACK");
        connection.execute("PRAGMA foreign_keys=on");
      }
    });
  }

  async transaction(mode: TransactionMode = "write"): Promise<Transaction> {
    // Waited for before BEGIN only: once this transaction may hold the write lock, the write
    // thread's BEGIN waits for it (in that thread), never the other way round.
    if (mode !== "read") await this.#writable();
    this.#checkOpen();
    const connection = this.pool.acquire();
    try {
      connection.execute(begin(mode));
    } catch (error) {
      this.pool.release(connection);
      throw error;
    }
    return new FileTransaction(connection, (used) => this.pool.release(used));
  }

  async executeMultiple(sql: string): Promise<void> {
    await this.#writable();
    this.#with((connection) => connection.executeMultiple(sql));
  }

  async sync(): Promise<Replicated> {
    // A plain file replicates nothing (an embedded replica uses @libsql/client).
    return undefined;
  }

  reconnect(): void {
    this.pool.reopen();
    this.closed = false;
  }

  close(): void {
    this.closed = true;
    this.pool.close();
  }

  #with<T>(work: (connection: Connection) => T): T {
    this.#checkOpen();
    const connection = this.pool.acquire();
    try {
      return work(connection);
    } finally {
      // `release` rolls back what a failed batch left open.
      this.pool.release(connection);
    }
  }

  #checkOpen(): void {
    if (this.closed) throw new LibsqlError("The client is closed", "CLIENT_CLOSED");
  }
}

class FileTransaction implements Transaction {
  #connection: Connection | undefined;

  constructor(
    connection: Connection,
    private readonly release: (connection: Connection) => void,
  ) {
    this.#connection = connection;
  }

  get closed(): boolean {
    const native = this.#connection?.native;
    return !native?.open || !native.inTransaction;
  }

  async execute(statement: InStatement): Promise<ResultSet> {
    return this.#open().execute(statement);
  }

  async batch(statements: InStatement[]): Promise<ResultSet[]> {
    const connection = this.#open();
    return statements.map((statement, index) => {
      try {
        return connection.execute(statement);
      } catch (error) {
        throw batchError(error, index);
      }
    });
  }

  async executeMultiple(sql: string): Promise<void> {
    this.#open().executeMultiple(sql);
  }

  async commit(): Promise<void> {
    try {
      this.#open().execute("COMMIT");
    } finally {
      this.#settle();
    }
  }

  async rollback(): Promise<void> {
    this.close();
  }

  close(): void {
    const connection = this.#connection;
    if (!connection) return;
    try {
      if (connection.native.open && connection.native.inTransaction) connection.execute("ROLLBACK");
    } finally {
      this.#settle();
    }
  }

  #open(): Connection {
    if (this.closed || !this.#connection)
      throw new LibsqlError("The transaction is closed", "TRANSACTION_CLOSED");
    return this.#connection;
  }

  #settle(): void {
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection) this.release(connection);
  }
}

export class PlainResultSet implements ResultSet {
  constructor(
    readonly columns: string[],
    readonly columnTypes: string[],
    readonly rows: Row[],
    readonly rowsAffected: number,
    readonly lastInsertRowid: bigint | undefined,
  ) {}

  toJSON() {
    return {
      columns: this.columns,
      columnTypes: this.columnTypes,
      rows: this.rows.map((row) => Array.prototype.map.call(row, jsonValue)),
      rowsAffected: this.rowsAffected,
      lastInsertRowid: this.lastInsertRowid === undefined ? null : String(this.lastInsertRowid),
    };
  }
}

function jsonValue(value: unknown): unknown {
  if (typeof value === "bigint") return String(value);
  if (value instanceof ArrayBuffer) return Buffer.from(value).toString("base64");
  return value;
}

export function begin(mode: TransactionMode): string {
  if (mode === "write") return "BEGIN IMMEDIATE";
  if (mode === "read") return "BEGIN TRANSACTION READONLY";
  return "BEGIN DEFERRED";
}

/**
 * How the rows of one result are built, made once per statement: a row as @libsql/client gives it,
 * its values by column name (own, enumerable; the first of two equal names wins) and by position
 * (not enumerable, with `length`), as drizzle reads it (`Array.prototype.slice.call(row)`).
 * @libsql/client defines each positional value on each row (`Object.defineProperty`), which leaves
 * every row a slow dictionary object: 9 µs for a row of 20 columns, the largest piece of this
 * file's CPU in a profile of single-event ingest. Here the positions are getters on a prototype
 * shared by the statement's rows, and a row holds its values in a private field: 0.5 µs.
 */
function rowShape(columns: string[]): (values: unknown[]) => Row {
  // "length" is the count of values and "0", "1"… are the values by position, as on a
  // @libsql/client row: a column of one of those names is not also set by name.
  const named: Array<[string, number]> = [];
  const seen = new Set(["length", ...columns.map((_, index) => String(index))]);
  columns.forEach((column, index) => {
    if (seen.has(column)) return;
    seen.add(column);
    named.push([column, index]);
  });
  class ResultRow {
    readonly #values: unknown[];
    [column: string]: unknown;

    static {
      Object.defineProperty(ResultRow.prototype, "length", { value: columns.length });
      for (let index = 0; index < columns.length; index++) {
        Object.defineProperty(ResultRow.prototype, index, {
          get(this: ResultRow) {
            return this.#values[index];
          },
        });
      }
    }

    /** `values`: the binding's array for this row, converted in place (it is not used elsewhere). */
    constructor(values: unknown[]) {
      for (let index = 0; index < values.length; index++) values[index] = fromSql(values[index]);
      this.#values = values;
      for (const [column, index] of named) this[column] = values[index];
    }
  }
  return (values) => new ResultRow(values) as unknown as Row;
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function fromSql(value: unknown): Value {
  if (typeof value === "bigint") {
    if (value < MIN_SAFE || value > MAX_SAFE) {
      throw new RangeError("Received integer which cannot be safely represented as a JavaScript number");
    }
    return Number(value);
  }
  if (value instanceof Buffer) return value.buffer as ArrayBuffer;
  return value as Value;
}

const MIN_INTEGER = -9223372036854775808n;
const MAX_INTEGER = 9223372036854775807n;

function bindable(args: InArgs | undefined): unknown[] | Record<string, unknown> {
  if (args === undefined) return [];
  if (Array.isArray(args)) return args.map(toSql);
  const named: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(args)) {
    named[/^[@$:]/.test(name) ? name.slice(1) : name] = toSql(value);
  }
  return named;
}

/** @libsql/client's conversion of an argument for the binding (its default integer mode, "number"). */
export function toSql(value: InValue): unknown {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw new RangeError("Only finite numbers (not Infinity or NaN) can be passed as arguments");
    }
    return value;
  }
  if (typeof value === "bigint") {
    if (value < MIN_INTEGER || value > MAX_INTEGER) {
      throw new RangeError(
        "bigint is too large to be represented as a 64-bit integer and passed as argument",
      );
    }
    return value;
  }
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value instanceof ArrayBuffer) return Buffer.from(value);
  if (value instanceof Date) return value.valueOf();
  if (value === undefined) throw new TypeError("undefined cannot be passed as argument to the database");
  return value;
}

/** SQLite's error as @libsql/client reports it: `code` the base code, `extendedCode` the precise one. */
function libsqlError(error: unknown): unknown {
  if (!(error instanceof Libsql.SqliteError)) return error;
  return fromSqliteError(error as unknown as SqliteFailure);
}

/** What the binding throws: SQLite's extended code (`SQLITE_CONSTRAINT_UNIQUE`) and raw number. */
export type SqliteFailure = Error & { code: string; rawCode?: number };

/** `error` as @libsql/client reports it, the binding's error kept as its cause. */
export function fromSqliteError(error: SqliteFailure): LibsqlError {
  return new LibsqlError(error.message, baseCode(error.rawCode), error.code, error.rawCode, error);
}

/** A failure inside a batch, naming the statement at fault, as @libsql/client reports it. */
export function batchError(error: unknown, index: number): unknown {
  if (error instanceof LibsqlBatchError || !(error instanceof LibsqlError)) return error;
  return new LibsqlBatchError(
    error.message,
    index,
    error.code,
    error.extendedCode,
    error.rawCode,
    error.cause instanceof Error ? error.cause : undefined,
  );
}

const BASE_CODES = [
  "SQLITE_OK",
  "SQLITE_ERROR",
  "SQLITE_INTERNAL",
  "SQLITE_PERM",
  "SQLITE_ABORT",
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
  "SQLITE_NOMEM",
  "SQLITE_READONLY",
  "SQLITE_INTERRUPT",
  "SQLITE_IOERR",
  "SQLITE_CORRUPT",
  "SQLITE_NOTFOUND",
  "SQLITE_FULL",
  "SQLITE_CANTOPEN",
  "SQLITE_PROTOCOL",
  "SQLITE_EMPTY",
  "SQLITE_SCHEMA",
  "SQLITE_TOOBIG",
  "SQLITE_CONSTRAINT",
  "SQLITE_MISMATCH",
  "SQLITE_MISUSE",
  "SQLITE_NOLFS",
  "SQLITE_AUTH",
  "SQLITE_FORMAT",
  "SQLITE_RANGE",
  "SQLITE_NOTADB",
  "SQLITE_NOTICE",
  "SQLITE_WARNING",
];

function baseCode(rawCode: number | undefined): string {
  if (rawCode === undefined) return "SQLITE_UNKNOWN";
  return BASE_CODES[rawCode & 0xff] ?? `SQLITE_UNKNOWN_${rawCode & 0xff}`;
}
