import { randomUUID } from "node:crypto";
import { OpenAPIHono } from "@hono/zod-openapi";
import { ERROR_CODES } from "@versioner/schema";
import type { Context } from "hono";
import { getCookie, getSignedCookie } from "hono/cookie";
import { HTTPException } from "hono/http-exception";
import { createAuditRoutes } from "../audit/audit-routes.ts";
import { createApiKeyRoutes } from "../auth/api-keys-routes.ts";
import { authenticateSession, authenticateToken } from "../auth/authenticate.ts";
import { createPersonalTokenRoutes } from "../auth/personal-tokens-routes.ts";
import { createSessionRoutes } from "../auth/session-routes.ts";
import { SESSION_COOKIE, sessionSigningSecret } from "../auth/sessions-service.ts";
import { bearerToken } from "../auth/tokens.ts";
import { createUserRoutes } from "../auth/users-routes.ts";
import { BADGE_PATH, createBadgeRoutes } from "../badges/badges-routes.ts";
import { createButtonRoutes } from "../buttons/buttons-routes.ts";
import { createCatalogRoutes } from "../catalog/catalog-routes.ts";
import { createCdeventsRoutes } from "../cdevents/cdevents-routes.ts";
import { CLI_BUNDLE_PATH, createCliDownloadRoutes } from "../cli-download/cli-download-routes.ts";
import { createDashboard } from "../dashboard/dashboard-routes.tsx";
import { createDatabaseRuntime } from "../database-runtime.ts";
import { DatabaseStatus, isDatabaseUnavailable, pingDatabase } from "../db/availability.ts";
import { createDocsRoutes, isDocsPath } from "../docs/docs-routes.ts";
import { DomainError, ForbiddenError, UnauthorizedError, ValidationError } from "../errors.ts";
import { DomainEventBus } from "../events/domain-events.ts";
import { createApprovalRoutes } from "../governance/approvals-routes.ts";
import { registerDeploymentRequestCompletion } from "../governance/deployment-requests-completion.ts";
import { createDeploymentRequestRoutes } from "../governance/deployment-requests-routes.ts";
import { createLockRoutes } from "../governance/locks-routes.ts";
import { createPreflightRoutes } from "../governance/preflight-routes.ts";
import { createRuleRoutes } from "../governance/rules-routes.ts";
import { createHealthRoutes } from "../health/health-routes.ts";
import { createIngestRoutes } from "../ingest/ingest-routes.ts";
import { createInsightsRoutes } from "../insights/insights-routes.ts";
import { registerRollbackDetector } from "../insights/rollback-detector.ts";
import { createIntegrationRoutes, WEBHOOK_PATH } from "../integrations/integrations-routes.ts";
import { createMcpRoutes } from "../mcp/mcp-routes.ts";
import { CollectorMetrics } from "../metrics/collector-metrics.ts";
import { createMetricsRoutes, instrumentApp, requestMetrics } from "../metrics/metrics-routes.ts";
import { createNotificationRoutes } from "../notifications/notification-routes.ts";
import { createOutboxWriter } from "../notifications/outbox-writer.ts";
import { registerReleaseHandlers } from "../releases/release-progress.ts";
import { createReleaseRoutes } from "../releases/releases-routes.ts";
import { toIssues } from "../validation.ts";
import { createVariableRoutes } from "../variables/variables-routes.ts";
import type { AppDeps, AppEnv } from "./app-env.ts";
import { limitBody } from "./node-body.ts";
import { RateLimiter, type Refusal } from "./rate-limit.ts";

/** Paths served without a token: liveness, the API description, and sign-in itself. */
const PUBLIC_PATHS = new Set(["/health", "/openapi.json", "/docs", "/auth/login", CLI_BUNDLE_PATH]);
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const BATCH_PATH = /^\/(events\/batch|cdevents)\/?$/;
/** The ingest routes, which read their JSON body through `c.req` alone (limitBody reads it from Node's stream). */
const INGEST_PATH = /^\/(deployment-events|build-events|version-events|events\/batch)\/?$/;

/**
 * Builds the collector's HTTP app around the given dependencies; tests pass their own database.
 * Without a `runtime`, the app builds its own: pass the one other apps on the same database (and
 * the delivery worker) use, see database-runtime.ts.
 */
export function createApp(
  options: Omit<AppDeps, "bus" | "databaseStatus" | "metrics" | "runtime"> &
    Partial<Pick<AppDeps, "bus" | "databaseStatus" | "metrics" | "runtime">>,
): OpenAPIHono<AppEnv> {
  const deps: AppDeps = {
    ...options,
    runtime: options.runtime ?? createDatabaseRuntime(options.database),
    bus: options.bus ?? new DomainEventBus(),
    databaseStatus: options.databaseStatus ?? new DatabaseStatus(options.logger, () => pingDatabase(options)),
    metrics: options.metrics ?? new CollectorMetrics(),
  };
  instrumentApp(deps);
  let secretPromise: Promise<string> | undefined;
  const signingSecret = () => {
    secretPromise ??= sessionSigningSecret(deps, deps.config.sessionSecret);
    return secretPromise;
  };
  const app = new OpenAPIHono<AppEnv>({
    // `/products` and `/products/` are the same resource, as the hosted API's clients expect.
    strict: false,
    defaultHook: (result) => {
      if (!result.success) {
        const target = result.target === "json" ? "body" : result.target;
        throw new ValidationError(toIssues(result.error, [target]));
      }
    },
  });

  app.use("*", requestMetrics(deps.metrics));
  app.use("*", async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    c.set("requestId", requestId);
    c.header("X-Request-Id", requestId);
    const started = performance.now();
    await next();
    deps.logger.info("request", {
      request_id: requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: Math.round((performance.now() - started) * 100) / 100,
      principal: c.get("principal")?.name,
    });
  });

  const limitTo = (maxSize: number) =>
    limitBody(
      maxSize,
      () => {
        throw new DomainError(413, ERROR_CODES.PAYLOAD_TOO_LARGE, `Request body exceeds ${maxSize} bytes`);
      },
      (c) => c.req.method === "POST" && INGEST_PATH.test(c.req.path),
    );
  const bodyLimitFor = {
    batch: limitTo(deps.config.batchBodyLimitBytes),
    other: limitTo(deps.config.bodyLimitBytes),
  };
  app.use("*", (c, next) => (BATCH_PATH.test(c.req.path) ? bodyLimitFor.batch : bodyLimitFor.other)(c, next));

  // Browser pages authenticate with the session cookie themselves; API requests fall through.
  app.route("/", createDashboard(deps, signingSecret));

  app.use("*", async (c, next) => {
    const path = c.req.path.replace(/\/$/, "") || "/";
    if (PUBLIC_PATHS.has(path) || isDocsPath(path)) return next();
    // Platform webhooks prove themselves with a signature or the integration's secret (integrations/).
    if (c.req.method === "POST" && WEBHOOK_PATH.test(c.req.path)) return next();
    // Badges authenticate a request without header or cookie themselves (public, or ?token=).
    if (BADGE_PATH.test(c.req.path) && !c.req.header("authorization") && !getCookie(c, SESSION_COOKIE)) {
      return next();
    }
    const token = bearerToken(c.req.header("authorization"));
    if (token) {
      const principal = await authenticateToken(deps, token);
      if (!principal) throw new UnauthorizedError();
      c.set("principal", principal);
      return next();
    }
    const secret = await getSignedCookie(c, await signingSecret(), SESSION_COOKIE);
    if (!secret) throw new UnauthorizedError("Missing bearer token: send 'Authorization: Bearer <token>'");
    const session = await authenticateSession(deps, secret);
    if (!session) throw new UnauthorizedError("The session has ended; sign in again");
    // A cookie is sent by the browser on its own; a write must also prove it comes from our page.
    if (!SAFE_METHODS.has(c.req.method) && c.req.header("x-csrf-token") !== session.csrfToken) {
      throw new ForbiddenError("Missing or wrong X-CSRF-Token header for a cookie-authenticated write");
    }
    c.set("principal", session.principal);
    c.set("csrfToken", session.csrfToken);
    await next();
  });

  // After authentication, so the limit is per credential; public paths (health, sign-in) are not counted.
  const limiter = new RateLimiter(deps.config.rateLimits, deps.logger);
  app.use("*", async (c, next) => {
    const principal = c.get("principal");
    if (!principal) return next();
    const key = `${principal.kind}:${principal.id}`;
    const refused = limiter.take(key);
    if (refused) throw rateLimited(refused, deps.metrics);
    const length = c.req.header("content-length");
    const slot = SAFE_METHODS.has(c.req.method)
      ? undefined
      : limiter.enterLarge(key, length === undefined ? undefined : Number(length));
    if (slot && "reason" in slot) throw rateLimited(slot, deps.metrics);
    try {
      await next();
    } finally {
      slot?.release();
    }
  });

  app.route("/", createHealthRoutes(deps));
  app.route("/", createMetricsRoutes(deps));
  app.route("/", createIngestRoutes(deps));
  app.route("/", createCdeventsRoutes(deps));
  app.route("/", createCatalogRoutes(deps));
  app.route("/", createApiKeyRoutes(deps));
  // Before the outbox writer: a rollback is decided first and named in the completed event's data,
  // so channels (a CDEvents sink's service.rolledback) see it on deployment.completed itself.
  registerRollbackDetector(deps.bus);
  deps.bus.subscribe(createOutboxWriter(deps));
  app.route("/", createNotificationRoutes(deps));
  registerReleaseHandlers(deps.bus);
  registerDeploymentRequestCompletion(deps.bus);
  app.route("/", createReleaseRoutes(deps));
  app.route("/", createVariableRoutes(deps));
  app.route("/", createButtonRoutes(deps));
  app.route("/", createUserRoutes(deps));
  app.route("/", createPersonalTokenRoutes(deps));
  app.route("/", createSessionRoutes(deps, signingSecret));
  app.route("/", createAuditRoutes(deps));
  app.route("/", createBadgeRoutes(deps));
  app.route("/", createCliDownloadRoutes(deps));
  app.route("/", createInsightsRoutes(deps));
  app.route("/", createRuleRoutes(deps));
  app.route("/", createLockRoutes(deps));
  app.route("/", createPreflightRoutes(deps));
  app.route("/", createApprovalRoutes(deps));
  app.route("/", createDeploymentRequestRoutes(deps));
  // The MCP tools call this same app in-process, with the caller's token (docs/integrations/mcp.md).
  app.route(
    "/",
    createMcpRoutes((request) => Promise.resolve(app.fetch(request))),
  );
  app.route("/", createIntegrationRoutes(deps));

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An API key (sk_…) or a token",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Versioner collector",
      version: "0.1.0",
      description:
        "Which version of which product runs in which environment, since when, and who put it there.",
    },
  });
  app.route("/", createDocsRoutes());

  app.notFound((c) =>
    errorResponse(
      c,
      new DomainError(404, ERROR_CODES.NOT_FOUND, `No route for ${c.req.method} ${c.req.path}`),
    ),
  );
  app.onError((error, c) => {
    if (error instanceof DomainError) return errorResponse(c, error);
    if (error instanceof HTTPException) {
      // Hono's JSON validator throws a 400 for a body that does not parse; keep any other status.
      const malformed = error.status === 400;
      return c.json(
        {
          detail: malformed ? "Invalid JSON in request body" : error.message,
          code: malformed
            ? ERROR_CODES.INVALID_JSON
            : error.status < 500
              ? ERROR_CODES.BAD_REQUEST
              : ERROR_CODES.INTERNAL_ERROR,
          request_id: c.get("requestId"),
        },
        error.status,
      );
    }
    if (isDatabaseUnavailable(error)) {
      deps.databaseStatus.markDown(error);
      return errorResponse(c, databaseUnavailable());
    }
    deps.logger.error("unhandled error", { request_id: c.get("requestId"), error });
    return c.json(
      { detail: "Internal server error", code: ERROR_CODES.INTERNAL_ERROR, request_id: c.get("requestId") },
      500,
    );
  });
  return app;
}

function errorResponse(c: Context<AppEnv>, error: DomainError) {
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  return c.json({ detail: error.detail, code: error.code, request_id: c.get("requestId") }, error.status);
}

function databaseUnavailable(): DomainError {
  return new DomainError(
    503,
    ERROR_CODES.DATABASE_UNAVAILABLE,
    "The database cannot be reached right now; nothing was recorded. Retry later.",
    { "Retry-After": "5" },
  );
}

function rateLimited(refusal: Refusal, metrics: CollectorMetrics): DomainError {
  metrics.rateLimitRefused(refusal.reason);
  const detail =
    refusal.reason === "rate"
      ? `Too many requests for this credential; retry in ${refusal.retryAfterSeconds} s`
      : `Too many large requests are being read at once; retry in ${refusal.retryAfterSeconds} s`;
  return new DomainError(429, ERROR_CODES.RATE_LIMITED, detail, {
    "Retry-After": String(refusal.retryAfterSeconds),
  });
}
