import { bootstrapAdmin } from "../auth/bootstrap.ts";
import type { Clock } from "../clock.ts";
import { type Config, loadConfig } from "../config.ts";
import { createDatabaseRuntime, type DatabaseRuntime } from "../database-runtime.ts";
import { type Database, openDatabase } from "../db/client.ts";
import { createApp } from "../http/app.ts";
import { createLogger } from "../logger.ts";
import { CollectorMetrics } from "../metrics/collector-metrics.ts";
import { freshTestDatabase } from "./test-database.ts";
import { TEST_ENGINE, TEST_SECRET_KEY } from "./test-engine.ts";

/** A clock tests move by hand; each reading also ticks 1 ms, so successive events are ordered as in life. */
export class ManualClock implements Clock {
  #now: number;
  constructor(start = "2026-03-01T10:00:00.000Z") {
    this.#now = Date.parse(start);
  }
  now(): Date {
    this.#now += 1;
    return new Date(this.#now);
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}

export const ADMIN_TOKEN = "test-admin-token";

export interface TestApp {
  app: ReturnType<typeof createApp>;
  database: Database;
  /**
   * The app's per-database queues and caches: for services a test calls directly, workers it runs
   * beside the app, and a second app on `database` (createApp({ runtime })).
   */
  runtime: DatabaseRuntime;
  /** The configuration the app runs with (a second app on the same database can share it). */
  config: Config;
  /** The app's metrics, for workers the test runs beside it (GET /metrics serves them). */
  metrics: CollectorMetrics;
  clock: ManualClock;
  /** The database file, on the file engine only (VERSIONER_TEST_ENGINE, test-engine.ts). */
  path: string | undefined;
  logLines: string[];
  /** Sends a request with the admin token unless `token` says otherwise (`null`: no header). */
  call(
    method: string,
    path: string,
    body?: unknown,
    options?: { token?: string | null; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  close(): void;
}

/**
 * A collector app with an admin token, on a fresh database of its own on the test engine (a libSQL
 * file, or a namespace on a libSQL server), or on `env.DATABASE_URL` (another app's `database.url`:
 * two collectors on one database; closing this app then leaves the database alone).
 */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const location = env.DATABASE_URL ? undefined : await freshTestDatabase();
  // Tests send bursts with one credential; the rate limit has its own tests, which turn it on.
  const config = loadConfig({
    DATABASE_URL: location?.url ?? "",
    ...(TEST_ENGINE === "sqld" ? { VERSIONER_SECRET_KEY: TEST_SECRET_KEY } : {}),
    VERSIONER_LOG_LEVEL: "info",
    VERSIONER_RATE_LIMIT_PER_SECOND: "0",
    VERSIONER_MAX_CONCURRENT_LARGE_REQUESTS: "0",
    ...env,
  });
  const database = await openDatabase({
    url: config.databaseUrl,
    secretKey: config.secretKey,
    previousSecretKeys: config.previousSecretKeys,
  });
  const clock = new ManualClock();
  const logLines: string[] = [];
  const logger = createLogger(config.logLevel, (line) => logLines.push(line));
  await bootstrapAdmin({ database, clock }, { token: ADMIN_TOKEN, email: config.adminEmail });
  const metrics = new CollectorMetrics();
  const runtime = createDatabaseRuntime(database);
  const app = createApp({ database, runtime, config, clock, logger, metrics });
  return {
    app,
    database,
    runtime,
    config,
    metrics,
    clock,
    path: location?.path,
    logLines,
    async call(method, url, body, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      const token = options.token === undefined ? ADMIN_TOKEN : options.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let payload: string | undefined;
      if (body !== undefined) {
        headers["content-type"] = "application/json";
        payload = typeof body === "string" ? body : JSON.stringify(body);
      }
      const res = await app.request(url, { method, headers, body: payload });
      const text = await res.text();
      const isJson = res.headers.get("content-type")?.includes("json");
      return { status: res.status, body: text && isJson ? JSON.parse(text) : text, headers: res.headers };
    },
    close() {
      database.close();
      location?.dispose();
    },
  };
}

let counter = 0;
/** A name no other test uses, so tests never depend on each other's data. */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}
