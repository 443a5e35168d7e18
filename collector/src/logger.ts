type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level | "silent", number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type LogFields = Record<string, unknown>;

/** Structured logger: one JSON object per line. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

// Field names whose values must never reach a log line, whatever a caller passes.
const SECRET_FIELD = /authorization|token|secret|password|api_key|cookie/i;

export function createLogger(
  level: Level | "silent",
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  const threshold = ORDER[level];
  const log = (lvl: Level, msg: string, fields?: LogFields) => {
    if (ORDER[lvl] < threshold) return;
    const entry: LogFields = { time: new Date().toISOString(), level: lvl, msg };
    for (const [key, value] of Object.entries(fields ?? {})) {
      entry[key] = SECRET_FIELD.test(key) ? "[redacted]" : value instanceof Error ? describe(value) : value;
    }
    write(`${JSON.stringify(entry)}\n`);
  };
  return {
    debug: (msg, fields) => log("debug", msg, fields),
    info: (msg, fields) => log("info", msg, fields),
    warn: (msg, fields) => log("warn", msg, fields),
    error: (msg, fields) => log("error", msg, fields),
  };
}

function describe(error: Error): LogFields {
  // drizzle's query errors carry the bound values in their message (a token's hash is one):
  // log the query and the cause, never the values.
  if ("params" in error) {
    const message = `Failed query: ${String((error as { query?: unknown }).query)}`;
    const cause = error.cause instanceof Error ? describe(error.cause) : undefined;
    return { name: error.name, message, cause, stack: error.stack?.replace(error.message, message) };
  }
  return { name: error.name, message: error.message, stack: error.stack };
}
