import { ENVIRONMENT_TYPES, type EnvironmentType } from "@versioner/schema";
import { z } from "zod";
import type { RateLimits } from "./http/rate-limit.ts";

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((value) => value === "true" || value === "1" || value === "yes");

const ConfigSchema = z.object({
  DATABASE_URL: z.string().min(1).default("file:./data/versioner.db"),
  DATABASE_AUTH_TOKEN: z.string().optional(),
  DATABASE_SYNC_URL: z
    .string()
    .regex(/^(libsql|https?):\/\//, "the primary's libsql://, https:// or http:// URL")
    .optional(),
  DATABASE_SYNC_INTERVAL_SECONDS: z.coerce.number().min(0.1).max(3600).default(1),
  VERSIONER_DATABASE_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default("0.0.0.0"),
  VERSIONER_ORG: z
    .string()
    .regex(/^[a-z0-9]{1,32}$/, "lowercase letters and digits, at most 32")
    .default("default"),
  VERSIONER_BOOTSTRAP_TOKEN: z
    .string()
    .min(4, "at least 4 characters")
    .max(256)
    .refine((token) => !token.startsWith("sk_"), "must not start with sk_ (reserved for API keys)")
    .optional(),
  VERSIONER_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  VERSIONER_BATCH_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(16 * 1024 * 1024),
  VERSIONER_DEDUP_WINDOW_SECONDS: z.coerce.number().int().min(0).default(600),
  VERSIONER_LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  VERSIONER_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  VERSIONER_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  VERSIONER_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
  VERSIONER_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  VERSIONER_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(0).default(256),
  VERSIONER_SECRET_KEY: z
    .string()
    .min(32, "at least 32 characters (e.g. openssl rand -base64 32)")
    .optional(),
  VERSIONER_SECRET_KEY_PREVIOUS: z
    .string()
    .transform((value) =>
      value
        .split(",")
        .map((key) => key.trim())
        .filter(Boolean),
    )
    .optional(),
  VERSIONER_RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).default(50),
  VERSIONER_RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(500),
  VERSIONER_MAX_CONCURRENT_LARGE_REQUESTS: z.coerce.number().int().min(0).default(4),
  VERSIONER_LARGE_REQUEST_BYTES: z.coerce.number().int().min(1).default(1_048_576),
  VERSIONER_PUBLIC_URL: z.url().optional(),
  VERSIONER_TRUST_PROXY: bool.default(false),
  VERSIONER_ADMIN_EMAIL: z.email().default("admin@localhost"),
  VERSIONER_SESSION_SECRET: z.string().min(32, "at least 32 characters").optional(),
  VERSIONER_SECURE_COOKIES: bool.optional(),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^\s]+$/, "an smtp:// or smtps:// URL, e.g. smtp://user:pass@mail.example.com:587")
    .optional(),
  SMTP_FROM: z.string().min(3).default("Versioner <versioner@localhost>"),
  VERSIONER_NOTIFY_RETRY_BASE_MS: z.coerce.number().int().min(1).default(1000),
  VERSIONER_NOTIFY_MAX_DELAY_MS: z.coerce.number().int().min(1).default(3_600_000),
  VERSIONER_NOTIFY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(15),
  VERSIONER_NOTIFY_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  VERSIONER_NOTIFY_POLL_MS: z.coerce.number().int().min(10).default(1000),
  VERSIONER_NOTIFY_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  VERSIONER_ALLOW_PRIVATE_WEBHOOKS: bool.default(false),
  VERSIONER_PUBLIC_BADGES: bool.default(false),
  VERSIONER_CDEVENTS_PRODUCTS: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: 'a JSON object, e.g. {"pkg:oci/web-image":"web"}' });
        return z.NEVER;
      }
    })
    .pipe(
      z
        .record(z.string(), z.string().min(1))
        .refine(
          (map) => Object.keys(map).every((key) => key.startsWith("pkg:")),
          "keys are package URLs (pkg:…)",
        ),
    )
    .default({}),
  VERSIONER_CLOCK_START: z.iso.datetime({ offset: true }).optional(),
  VERSIONER_DORA_ENVIRONMENT_TYPE: z.enum(ENVIRONMENT_TYPES).default("production"),
  VERSIONER_DORA_ENVIRONMENTS: z
    .string()
    .transform((value) =>
      value
        .split(",")
        .map((name) => name.trim())
        .filter(Boolean),
    )
    .optional(),
});

/** Every environment variable the collector reads (README.md documents each; a test checks). */
export const CONFIG_VARIABLES = Object.keys(ConfigSchema.shape);

/** Collector configuration, read once at start-up. */
export interface Config {
  databaseUrl: string;
  databaseAuthToken?: string;
  /**
   * A libSQL server this collector reads through an embedded replica: DATABASE_URL is then the
   * replica's local file, writes go to the server, and this collector reads its own writes at once.
   */
  databaseSyncUrl?: string;
  /** How often the replica pulls the others' writes from the server. */
  databaseSyncIntervalSeconds: number;
  /** Longest one database call may take before the request answers 503 DATABASE_UNAVAILABLE. */
  databaseTimeoutMs: number;
  port: number;
  host: string;
  org: string;
  bootstrapToken?: string;
  bodyLimitBytes: number;
  batchBodyLimitBytes: number;
  dedupWindowSeconds: number;
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  shutdownTimeoutMs: number;
  connections: ConnectionLimits;
  rateLimits: RateLimits;
  /** Seals secrets at rest; unset: a key file beside a local database (see db/secret-box.ts). */
  secretKey?: string;
  previousSecretKeys: string[];
  publicUrl?: string;
  adminEmail: string;
  sessionSecret?: string;
  /** Mark session cookies Secure; defaults to true when VERSIONER_PUBLIC_URL is https. */
  secureCookies: boolean;
  notifications: NotificationConfig;
  /** Serve status badges without a credential (see docs/badges.md). */
  publicBadges: boolean;
  /** CDEvents ingest: product name per artifact package URL without version (docs/cdevents.md). */
  cdeventsArtifactProducts: Record<string, string>;
  dora: DoraConfig;
  /** Test clock start (VERSIONER_CLOCK_START); unset: the system clock. */
  clockStart?: string;
}

/** Which environments DORA metrics measure as "production" (docs/insight.md). */
export interface DoraConfig {
  /** Every environment of this type, unless `environments` names them. */
  environmentType: EnvironmentType;
  /** Exactly these environment names, when given. */
  environments?: string[];
}

/** Outbound notifications (see docs/notifications.md). */
export interface NotificationConfig {
  smtpUrl?: string;
  smtpFrom: string;
  retryBaseMs: number;
  maxDelayMs: number;
  maxAttempts: number;
  timeoutMs: number;
  pollMs: number;
  concurrency: number;
  allowPrivateAddresses: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/** How long a client may take, and how many connections one address may hold (0: no cap). */
export interface ConnectionLimits {
  /** Until a request's headers are complete, counted from the connection's first byte or its opening. */
  headersTimeoutMs: number;
  /** Until a request (headers and body) is complete. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection between requests. */
  keepAliveTimeoutMs: number;
  maxPerAddress: number;
}

/** Validates the environment; throws a ConfigError listing every problem at once. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = ConfigSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? "config");
        const value = /TOKEN|SECRET|SMTP_URL/.test(name) ? "" : ` (got ${JSON.stringify(env[name])})`;
        return `${name}: ${issue.message}${value}`;
      }),
    );
  }
  const c = parsed.data;
  const localFile = !c.DATABASE_URL.includes(":memory:") && !/^(?!file:)[a-z]+:/.test(c.DATABASE_URL);
  if (c.DATABASE_SYNC_URL && !localFile) {
    throw new ConfigError([
      `DATABASE_URL: must be the replica's local file when DATABASE_SYNC_URL is set (got ${JSON.stringify(c.DATABASE_URL)})`,
    ]);
  }
  return {
    databaseUrl: c.DATABASE_URL,
    databaseAuthToken: c.DATABASE_AUTH_TOKEN,
    databaseSyncUrl: c.DATABASE_SYNC_URL,
    databaseSyncIntervalSeconds: c.DATABASE_SYNC_INTERVAL_SECONDS,
    databaseTimeoutMs: c.VERSIONER_DATABASE_TIMEOUT_MS,
    port: c.PORT,
    host: c.HOST,
    org: c.VERSIONER_ORG,
    bootstrapToken: c.VERSIONER_BOOTSTRAP_TOKEN,
    bodyLimitBytes: c.VERSIONER_BODY_LIMIT_BYTES,
    batchBodyLimitBytes: c.VERSIONER_BATCH_BODY_LIMIT_BYTES,
    dedupWindowSeconds: c.VERSIONER_DEDUP_WINDOW_SECONDS,
    logLevel: c.VERSIONER_LOG_LEVEL,
    shutdownTimeoutMs: c.VERSIONER_SHUTDOWN_TIMEOUT_MS,
    connections: {
      headersTimeoutMs: c.VERSIONER_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: Math.max(c.VERSIONER_REQUEST_TIMEOUT_MS, c.VERSIONER_HEADERS_TIMEOUT_MS),
      keepAliveTimeoutMs: c.VERSIONER_KEEP_ALIVE_TIMEOUT_MS,
      maxPerAddress: c.VERSIONER_MAX_CONNECTIONS_PER_ADDRESS,
    },
    secretKey: c.VERSIONER_SECRET_KEY,
    previousSecretKeys: c.VERSIONER_SECRET_KEY_PREVIOUS ?? [],
    rateLimits: {
      perSecond: c.VERSIONER_RATE_LIMIT_PER_SECOND,
      burst: c.VERSIONER_RATE_LIMIT_BURST,
      maxConcurrentLarge: c.VERSIONER_MAX_CONCURRENT_LARGE_REQUESTS,
      largeRequestBytes: c.VERSIONER_LARGE_REQUEST_BYTES,
    },
    publicUrl: c.VERSIONER_PUBLIC_URL,
    adminEmail: c.VERSIONER_ADMIN_EMAIL,
    sessionSecret: c.VERSIONER_SESSION_SECRET,
    secureCookies: c.VERSIONER_SECURE_COOKIES ?? c.VERSIONER_PUBLIC_URL?.startsWith("https:") ?? false,
    notifications: {
      smtpUrl: c.SMTP_URL,
      smtpFrom: c.SMTP_FROM,
      retryBaseMs: c.VERSIONER_NOTIFY_RETRY_BASE_MS,
      maxDelayMs: c.VERSIONER_NOTIFY_MAX_DELAY_MS,
      maxAttempts: c.VERSIONER_NOTIFY_MAX_ATTEMPTS,
      timeoutMs: c.VERSIONER_NOTIFY_TIMEOUT_MS,
      pollMs: c.VERSIONER_NOTIFY_POLL_MS,
      concurrency: c.VERSIONER_NOTIFY_CONCURRENCY,
      allowPrivateAddresses: c.VERSIONER_ALLOW_PRIVATE_WEBHOOKS,
    },
    publicBadges: c.VERSIONER_PUBLIC_BADGES,
    cdeventsArtifactProducts: c.VERSIONER_CDEVENTS_PRODUCTS,
    dora: {
      environmentType: c.VERSIONER_DORA_ENVIRONMENT_TYPE,
      environments: c.VERSIONER_DORA_ENVIRONMENTS?.length ? c.VERSIONER_DORA_ENVIRONMENTS : undefined,
    },
    ...(c.VERSIONER_CLOCK_START ? { clockStart: c.VERSIONER_CLOCK_START } : {}),
  };
}
