export { bootstrapAdmin } from "./auth/bootstrap.ts";
export { type Clock, systemClock } from "./clock.ts";
export { type Config, ConfigError, loadConfig } from "./config.ts";
export { type Database, openDatabase } from "./db/client.ts";
export { createApp } from "./http/app.ts";
export type { AppDeps } from "./http/app-env.ts";
export { createLogger, type Logger } from "./logger.ts";
