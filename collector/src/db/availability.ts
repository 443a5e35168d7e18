import type { Logger } from "../logger.ts";

/** Thrown when one database call outlives VERSIONER_DATABASE_TIMEOUT_MS. */
export class DatabaseTimeoutError extends Error {
  constructor(ms: number) {
    super(`The database did not answer within ${ms} ms`);
    this.name = "DatabaseTimeoutError";
  }
}

const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "SQLITE_BUSY",
  "SERVER_ERROR",
  "HRANA_WEBSOCKET_ERROR",
]);
// The last two are an embedded replica's (DATABASE_SYNC_URL) when its server is gone: a write it
// forwards, and the pull after it.
const UNREACHABLE_TEXT =
  /fetch failed|database is locked|Unable to open connection|did not answer within|other side closed|socket hang up|Server returned HTTP status 5\d\d|WriteDelegation\(status: (Unavailable|DeadlineExceeded)|PrimaryHandshakeTimeout/i;

/**
 * Whether an error means "the database cannot be reached now" (a refused connection, a timeout,
 * a locked file, a 5xx from a libSQL server) rather than "this request is wrong": the first is a
 * 503 the client retries, the second stays what it is.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 6; depth++) {
    if (e instanceof DatabaseTimeoutError) return true;
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === "string" && UNREACHABLE_CODES.has(code)) return true;
    if (typeof message === "string" && UNREACHABLE_TEXT.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** The innermost error's code and message: what went wrong, without the SQL or its bound values. */
export function rootCause(error: unknown): { code?: string; reason: string } {
  let e: unknown = error;
  for (let depth = 0; depth < 6; depth++) {
    const cause = (e as { cause?: unknown })?.cause;
    if (!cause) break;
    e = cause;
  }
  const { code, message } = e as { code?: unknown; message?: unknown };
  return {
    code: typeof code === "string" ? code : undefined,
    reason: typeof message === "string" ? message.slice(0, 300) : String(e).slice(0, 300),
  };
}

/** How often an outage is probed (`SELECT 1`) to notice that it ended. */
const PROBE_INTERVAL_MS = 1_000;

/**
 * Whether the database answers, as this process last saw it. An outage is logged once when it
 * starts and once when it ends, however many requests meet it in between (a busy collector meets
 * it thousands of times a second); while it lasts, a probe notices when the database is back.
 */
export class DatabaseStatus {
  #downSince: number | undefined;
  #probe: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly ping: () => Promise<unknown>,
  ) {}

  get available(): boolean {
    return this.#downSince === undefined;
  }

  markDown(error: unknown): void {
    if (this.#downSince !== undefined) return;
    this.#downSince = Date.now();
    this.logger.error("database unavailable: answering 503 until it is back", rootCause(error));
    this.#probe = setInterval(() => {
      this.ping().then(
        () => this.markUp(),
        () => undefined,
      );
    }, PROBE_INTERVAL_MS);
    this.#probe.unref();
  }

  markUp(): void {
    if (this.#downSince === undefined) return;
    clearInterval(this.#probe);
    this.logger.warn("database available again", { down_ms: Date.now() - this.#downSince });
    this.#downSince = undefined;
  }
}

/** Resolves with `work`, or rejects with DatabaseTimeoutError after `ms`. */
export async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseTimeoutError(ms)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** How long /health and the outage probe wait for `SELECT 1`: /health must answer within a second. */
export const PING_TIMEOUT_MS = 800;

/** `SELECT 1`, bounded by PING_TIMEOUT_MS. */
export function pingDatabase(deps: { database: { client: { execute(sql: string): Promise<unknown> } } }) {
  return withTimeout(deps.database.client.execute("SELECT 1"), PING_TIMEOUT_MS);
}
