import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { protectedRoute } from "../http/route.ts";
import { outboxDepth } from "../notifications/deliveries-service.ts";
import type { CollectorMetrics } from "./collector-metrics.ts";

const metricsRoute = protectedRoute("metrics.read", {
  method: "get",
  path: "/metrics",
  tags: ["Operations"],
  summary: "Operator metrics in the Prometheus text format (docs/operations.md)",
  responses: {
    200: {
      description: "Request, ingest, group commit, database, rate limit and notification metrics",
      content: { "text/plain": { schema: z.string() } },
    },
  },
});

export function createMetricsRoutes(deps: AppDeps) {
  return new OpenAPIHono<AppEnv>().openapi(metricsRoute, async (c) => {
    const body = await deps.metrics.registry.metrics();
    return c.text(body, 200, { "content-type": deps.metrics.registry.contentType });
  });
}

/** Connects the app's metrics to the database, the group committer and the outbox it serves. */
export function instrumentApp(deps: AppDeps): void {
  deps.database.observeQueries(deps.metrics.query);
  deps.database.observeWriteThread(deps.metrics.writeThread);
  deps.runtime.committer.observeGroups((size) => deps.metrics.groupCommitted(size));
  deps.metrics.readOutboxWith(() => outboxDepth(deps));
}

/**
 * Counts and times every request by its route pattern, never its path: `/products/:name`, not
 * each product's name. A request no route matches (a 404) is `unmatched`.
 */
export function requestMetrics(metrics: CollectorMetrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      // Middleware registered with use() is "ALL"; the first route of a method is the endpoint.
      const route = matchedRoutes(c).find((r) => r.method !== "ALL")?.path ?? "unmatched";
      metrics.request(c.req.method, route, c.res.status, (performance.now() - started) / 1000);
    }
  };
}
