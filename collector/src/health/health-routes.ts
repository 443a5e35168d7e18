import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { pingDatabase } from "../db/availability.ts";
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
  summary: "Liveness and database reachability (no token needed); answers within a second",
  responses: { 200: json(Health, "Serving"), 503: json(Health, "The database cannot be reached") },
});

export function createHealthRoutes(deps: AppDeps) {
  return new OpenAPIHono<AppEnv>().openapi(healthRoute, async (c) => {
    const time = deps.clock.now().toISOString();
    try {
      // Bounded: a frozen database server must not freeze the health check with it.
      await pingDatabase(deps);
      deps.databaseStatus.markUp();
      return c.json({ status: "ok" as const, database: "ok" as const, time }, 200);
    } catch (error) {
      // Logged once per outage by the status, not once per probe of a load balancer.
      deps.databaseStatus.markDown(error);
      return c.json({ status: "degraded" as const, database: "unreachable" as const, time }, 503);
    }
  });
}
