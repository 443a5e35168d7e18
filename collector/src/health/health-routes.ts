import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { json } from "../http/route.ts";

const Health = z.object({
  status: z.enum(["ok", "degraded"]),
  database: z.enum(["ok", "unreachable"]),
  time: z.string(),
});

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["Operations"],
  summary: "Liveness and database reachability (no token needed)",
  responses: { 200: json(Health, "Serving"), 503: json(Health, "The database cannot be reached") },
});

export function createHealthRoutes(deps: AppDeps) {
  return new OpenAPIHono<AppEnv>().openapi(healthRoute, async (c) => {
    const time = deps.clock.now().toISOString();
    try {
      await deps.database.client.execute("SELECT 1");
      return c.json({ status: "ok" as const, database: "ok" as const, time }, 200);
    } catch (error) {
      deps.logger.error("health check: database unreachable", { error });
      return c.json({ status: "degraded" as const, database: "unreachable" as const, time }, 503);
    }
  });
}
