import type { Server } from "node:http";
import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { bootstrapAdmin } from "./auth/bootstrap.ts";
import { clockStartingAt, systemClock } from "./clock.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { createDatabaseRuntime } from "./database-runtime.ts";
import { openDatabase } from "./db/client.ts";
import { resealSecrets } from "./db/reseal-secrets.ts";
import { createApp } from "./http/app.ts";
import { connectionServerOptions, guardConnections } from "./http/connection-guard.ts";
import { createLogger } from "./logger.ts";
import { CollectorMetrics } from "./metrics/collector-metrics.ts";
import { DeliveryWorker } from "./notifications/delivery-worker.ts";
import { runAdminCommand } from "./operations/admin-command.ts";
import { listenErrorMessage } from "./operations/listen-error.ts";

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const database = await openDatabase({
    url: config.databaseUrl,
    authToken: config.databaseAuthToken,
    syncUrl: config.databaseSyncUrl,
    syncIntervalSeconds: config.databaseSyncIntervalSeconds,
    timeoutMs: config.databaseTimeoutMs,
    secretKey: config.secretKey,
    previousSecretKeys: config.previousSecretKeys,
  });
  if (database.generatedKeyFile) {
    logger.info("generated the key that seals secrets at rest; back it up with the database", {
      key_file: database.generatedKeyFile,
    });
  }
  const resealed = await resealSecrets(database);
  if (resealed > 0)
    logger.info("sealed secrets again under the current key", {
      rows: resealed,
      key_id: database.secrets.keyId,
    });
  const clock = config.clockStart ? clockStartingAt(new Date(config.clockStart)) : systemClock;
  if (config.clockStart)
    logger.warn("the clock is set by VERSIONER_CLOCK_START (tests only)", { now: clock.now().toISOString() });

  const [command, ...args] = process.argv.slice(2);
  if (command === "admin") {
    const code = await runAdminCommand(args, { database, clock }, config, {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
    });
    database.close();
    process.exit(code);
  }

  const boot = await bootstrapAdmin(
    { database, clock },
    { token: config.bootstrapToken, email: config.adminEmail },
  );
  if (boot.generatedToken) {
    // Printed once, outside the structured log: logs never carry tokens.
    process.stdout.write(
      `\n  Versioner: first start. Admin token (shown once, store it now):\n\n    ${boot.generatedToken}\n\n`,
    );
  } else if (boot.created) {
    logger.info("bootstrap admin token from VERSIONER_BOOTSTRAP_TOKEN registered");
  } else if (boot.ignoredToken) {
    logger.warn(
      "VERSIONER_BOOTSTRAP_TOKEN is ignored: it only applies to the first start, and this database already has users. Lost the admin token? Run `npm run admin -- reset-token` (or `node collector/dist/server.js admin reset-token`) against this database for a new one.",
    );
  }

  // The build writes the CLI bundle next to this file (dist/cli/), to serve at /cli/versioner.mjs.
  const cliBundlePath = fileURLToPath(new URL("./cli/versioner.mjs", import.meta.url));
  const stopping = new AbortController();
  const metrics = new CollectorMetrics({ process: true });
  // One per database, shared by the app and the delivery worker its outbox writer wakes.
  const runtime = createDatabaseRuntime(database);
  const app = createApp({
    database,
    runtime,
    config,
    clock,
    logger,
    metrics,
    cliBundlePath,
    shutdown: stopping.signal,
  });
  const server = serve(
    {
      fetch: app.fetch,
      port: config.port,
      hostname: config.host,
      serverOptions: connectionServerOptions(config.connections),
    },
    (info) => {
      logger.info("collector listening", {
        url: `http://${info.address.includes(":") ? `[${info.address}]` : info.address}:${info.port}`,
        database: redactUrl(config.databaseUrl),
      });
    },
  );
  guardConnections(server as Server, config.connections, logger);
  server.once("error", (error: NodeJS.ErrnoException) => {
    process.stderr.write(`Versioner collector: ${listenErrorMessage(error, config.host, config.port)}\n`);
    database.close();
    process.exit(1);
  });
  const notifications = new DeliveryWorker({
    database,
    runtime,
    config: config.notifications,
    clock,
    logger,
    metrics,
  });
  notifications.start();

  const shutdown = (signal: string) => {
    if (stopping.signal.aborted) return;
    stopping.abort();
    logger.info("shutting down", { signal });
    const force = setTimeout(() => {
      logger.warn("shutdown timed out; closing open connections");
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    // close() stops accepting and resolves once in-flight requests have finished; the worker
    // stops claiming and finishes the sends it started (unsent rows stay in the outbox).
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    void Promise.all([closed, notifications.stop()]).then(() => {
      database.close();
      logger.info("stopped");
      process.exit(0);
    });
    // Keep-alive connections that go idle later (a request finishing, a live stream ended by the
    // shutdown signal) would otherwise hold close() until the timeout.
    if ("closeIdleConnections" in server) {
      server.closeIdleConnections();
      setInterval(() => server.closeIdleConnections(), 100).unref();
    }
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}

main().catch((error) => {
  process.stderr.write(
    `Versioner collector failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
