import type { Principal } from "../auth/capabilities.ts";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import type { DatabaseRuntime } from "../database-runtime.ts";
import type { DatabaseStatus } from "../db/availability.ts";
import type { Database } from "../db/client.ts";
import type { DomainEventBus } from "../events/domain-events.ts";
import type { Logger } from "../logger.ts";
import type { CollectorMetrics } from "../metrics/collector-metrics.ts";

/** Everything a request handler may use; built once by server.ts or a test. */
export interface AppDeps {
  database: Database;
  /** The per-database queues and caches (group commit, notification wake-ups, `/state`). */
  runtime: DatabaseRuntime;
  config: Config;
  clock: Clock;
  logger: Logger;
  /** In-transaction domain events; features subscribe in createApp. */
  bus: DomainEventBus;
  /** Whether the database answers, as this process last saw it (503s and /health read it). */
  databaseStatus: DatabaseStatus;
  /** This app's Prometheus metrics (GET /metrics); one registry per app. */
  metrics: CollectorMetrics;
  /** The CLI bundle served at /cli/versioner.mjs (collector/dist/cli/versioner.mjs); unset: 404. */
  cliBundlePath?: string;
  /** Aborted when the process starts shutting down: long-lived responses (the dashboard's live stream) end. */
  shutdown?: AbortSignal;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    principal: Principal;
    /** Set when the request was authenticated by a session cookie. */
    csrfToken?: string;
  };
}
