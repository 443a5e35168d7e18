import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Client, createClient } from "@libsql/client";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { ConfigCache } from "./config-generation.ts";
import { createFileClient } from "./file-client.ts";
import { type QueryObserver, type QueryOperation, timed, timedClient } from "./query-timing.ts";
import * as schema from "./schema/index.ts";
import { loadSecretBox, type SecretBox } from "./secret-box.ts";
import { createServerClient } from "./server-client.ts";
import { serverFetch, streamFetch } from "./server-fetch.ts";
import { WriteLock } from "./write-lock.ts";
import { type WriteThreadObserver, WriteWorker } from "./write-worker.ts";

/** The drizzle instance; `$client` is the client it sends through (the one `Database.client` holds). */
export type Db = LibSQLDatabase<typeof schema> & { $client: Client };

/**
 * The database handle every service receives: the drizzle instance, and what there must be exactly
 * one of per connection in a process (the write lock, the write worker, the configuration cache).
 * What an app keeps beside it (group commit, notification wake-ups, rendered caches) is its
 * DatabaseRuntime (database-runtime.ts).
 */
export interface Database {
  db: Db;
  client: Client;
  /** Serialises read-plan-write sequences inside this process (SQLite has one writer anyway). */
  writeLock: WriteLock;
  /**
   * Brings what this collector reads up to the server's rows: an embedded replica pulls, any
   * other database already reads them. Runs before a write that lost a race is planned again.
   */
  refresh(): Promise<void>;
  /** Seals and opens secret values at rest (channel secrets, secret variables). */
  secrets: SecretBox;
  /** Set when this open generated the key file beside a local database. */
  generatedKeyFile?: string;
  url: string;
  /** Times every database call for `observer` (the app's metrics) until the returned function is called. */
  observeQueries(observer: QueryObserver): () => void;
  /**
   * A plain local file (not in memory, not an embedded replica): what a second connection to it
   * opens (the ingest write worker, write-worker.ts), with the same busy timeout.
   */
  localFile?: { path: string; timeoutMs: number };
  /** Times work that reaches the database beside `client` (the write worker) for the same observers. */
  timeQuery<T>(operation: QueryOperation, statements: number, call: () => Promise<T>): Promise<T>;
  /**
   * Tells `observer` (the app's metrics) the write thread's time by phase until the returned
   * function is called; never called without a write thread (`writer`).
   */
  observeWriteThread(observer: WriteThreadObserver): () => void;
  /**
   * The thread that applies ingest's write transactions on its own connection to `localFile`,
   * started by the first one and ended by close(); none (ingest keeps `client.batch`) for an
   * in-memory database, which exists on one connection only, an embedded replica, whose writes go
   * to its server, and a libSQL server. One per handle: two would be two more connections.
   */
  writer?: WriteWorker;
  /**
   * The configuration ingest reads on every event (rules, locks, channels), kept while the
   * configuration generation is unchanged. One per handle, so that a change this process commits
   * (`invalidate()`) reaches every reader in it at once.
   */
  configCache: ConfigCache;
  close(): void;
}

export interface DatabaseOptions {
  url: string;
  authToken?: string;
  /**
   * The libSQL server a local `file:` url replicates (an embedded replica): reads are local, writes
   * and write transactions go to the server, and the replica pulls every `syncIntervalSeconds` and
   * after each of its own writes (read-your-writes). See docs/operations.md#read-replicas.
   */
  syncUrl?: string;
  syncIntervalSeconds?: number;
  /**
   * Longest wait for one call: the busy timeout on a local file (several processes on one file wait
   * instead of failing), the request timeout towards a libSQL server (a frozen server fails fast).
   */
  timeoutMs?: number;
  /** VERSIONER_SECRET_KEY and VERSIONER_SECRET_KEY_PREVIOUS; see loadSecretBox for the default. */
  secretKey?: string;
  previousSecretKeys?: readonly string[];
}

/** Opens the database, creating the folder of a local file and enabling WAL, then applies migrations. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const url = normaliseUrl(options.url);
  const local = url.startsWith("file:");
  if (local) {
    const path = url.slice("file:".length);
    if (path !== ":memory:" && !path.startsWith(":")) await mkdir(dirname(path), { recursive: true });
  }
  // Before anything is written, so a missing key for a libSQL server stops the start cleanly.
  const { box, generatedKeyFile } = loadSecretBox({
    // A replica shares its secrets with every collector on the server: it needs their key.
    databaseUrl: options.syncUrl ?? url,
    key: options.secretKey,
    previous: options.previousSecretKeys,
  });
  const queryObservers = new Set<QueryObserver>();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const filePath = url.slice("file:".length);
  // A file on disk this process writes itself (not in memory, not a replica of a server).
  const onDisk = local && !filePath.startsWith(":") && !options.syncUrl;
  const timeQuery = <T>(operation: QueryOperation, statements: number, call: () => Promise<T>) =>
    timed(queryObservers, operation, statements, call);
  const localFile = onDisk ? { path: filePath, timeoutMs } : undefined;
  const writeObservers = new Set<WriteThreadObserver>();
  const writer =
    localFile &&
    new WriteWorker(localFile, {
      time: timeQuery,
      work: (work) => {
        for (const observer of writeObservers) observer(work);
      },
    });
  const client = timedClient(
    onDisk
      ? createFileClient(filePath, { timeoutMs, writesWaitFor: () => writer?.idle() })
      : otherClient(url, options, timeoutMs),
    queryObservers,
  );
  const db = drizzle(client, { schema });
  try {
    // A replica's file is written by its replication (which refuses journal pragmas); it starts
    // from the server's current state, so the migration journal read below is the server's.
    if (options.syncUrl) await client.sync();
    else if (local && !url.includes(":memory:")) await enableWal(client, timeoutMs);
    await migrateAlongsideOthers(db);
  } catch (error) {
    client.close();
    throw error;
  }
  const refresh = async () => {
    if (options.syncUrl) await client.sync();
  };
  return {
    db,
    client,
    writeLock: new WriteLock(refresh),
    refresh,
    secrets: box,
    generatedKeyFile,
    url,
    observeQueries: (observer) => {
      queryObservers.add(observer);
      return () => queryObservers.delete(observer);
    },
    localFile,
    timeQuery,
    observeWriteThread: (observer) => {
      writeObservers.add(observer);
      return () => writeObservers.delete(observer);
    },
    writer,
    configCache: new ConfigCache(db),
    close: () => {
      // Ends the thread once it has answered what it was sent, before the main connection closes.
      void writer?.close();
      client.close();
    },
  };
}

/**
 * The client of a database that is not a file this process writes: a libSQL server over HTTP gets
 * the collector's own (server-client.ts); an in-memory database, an embedded replica and a server
 * over WebSockets keep @libsql/client.
 */
function otherClient(url: string, options: DatabaseOptions, timeoutMs: number): Client {
  if (/^(https?|libsql):/.test(url)) {
    return createServerClient({
      url,
      authToken: options.authToken,
      fetch: serverFetch(timeoutMs),
      streamFetch: streamFetch(timeoutMs),
    });
  }
  return createClient({
    url,
    authToken: options.authToken,
    timeout: timeoutMs,
    ...(options.syncUrl && {
      syncUrl: options.syncUrl,
      syncInterval: options.syncIntervalSeconds ?? 1,
      readYourWrites: true,
    }),
  });
}

/**
 * Puts a local file in WAL mode. SQLite reads the file's header before it writes the new mode, and
 * a connection that must turn a read into a write while another holds the write lock gets
 * SQLITE_BUSY at once, its busy timeout unused: collectors starting together on a new file each
 * switch it, and all but one may fail. Tried again until the busy timeout has passed; once one
 * has switched the file, the others find it in WAL mode and write nothing.
 */
async function enableWal(client: Client, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await client.execute("PRAGMA journal_mode = WAL");
      return;
    } catch (error) {
      const busy = String((error as { code?: unknown }).code).startsWith("SQLITE_BUSY");
      if (!busy || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(10 * attempt, 100)));
    }
  }
}

/** How often a start that lost the migration race to another collector reads the journal again. */
const MIGRATION_ATTEMPTS = 5;

/**
 * Applies the pending migrations. drizzle applies them in one transaction, after reading which
 * ones the journal holds; when several collectors start on an empty database at once, all read an
 * empty journal, one commits and the others' transactions fail ("table … already exists") having
 * written nothing. Reading the journal again then finds everything applied: the losers go on.
 */
async function migrateAlongsideOthers(db: Db): Promise<void> {
  const migrationsFolder = findMigrationsFolder();
  for (let attempt = 1; ; attempt++) {
    try {
      await migrate(db, { migrationsFolder });
      return;
    } catch (error) {
      if (attempt >= MIGRATION_ATTEMPTS || !/already exists/.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt + Math.random() * 100));
    }
  }
}

/** `:memory:` and bare paths are accepted as shorthands for `file:` URLs. */
function normaliseUrl(url: string): string {
  if (url === ":memory:") return "file::memory:";
  if (/^(file|libsql|https?|wss?):/.test(url)) return url;
  return `file:${url}`;
}

// The collector runs both from source (tests) and bundled (dist/server.js), so look upwards
// for the committed migrations instead of assuming one layout.
function findMigrationsFolder(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "drizzle");
    if (existsSync(join(candidate, "meta", "_journal.json"))) return candidate;
    dir = dirname(dir);
  }
  throw new Error("Cannot find the collector's drizzle migrations folder");
}
