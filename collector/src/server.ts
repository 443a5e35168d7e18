import { serve } from "@hono/node-server";
import { bootstrapAdmin } from "./auth/bootstrap.ts";
import { systemClock } from "./clock.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { openDatabase } from "./db/client.ts";
import { createApp } from "./http/app.ts";
import { createLogger } from "./logger.ts";
import { DeliveryWorker } from "./notifications/delivery-worker.ts";

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
  const database = await openDatabase({ url: config.databaseUrl, authToken: config.databaseAuthToken });
  const clock = systemClock;

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
  }

  const stopping = new AbortController();
  const app = createApp({ database, config, clock, logger, shutdown: stopping.signal });
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    logger.info("collector listening", {
      url: `http://${info.address.includes(":") ? `[${info.address}]` : info.address}:${info.port}`,
      database: redactUrl(config.databaseUrl),
    });
  });
  const notifications = new DeliveryWorker({ database, config: config.notifications, clock, logger });
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
