import { OpenAPIHono, z } from "@hono/zod-openapi";
import { actorFrom } from "../http/actor.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { errorJson, json, jsonBody, protectedRoute } from "../http/route.ts";
import { listLocks, lockEnvironment, unlockEnvironment } from "./locks-service.ts";
import { Lock, LockCreate } from "./rules-schema.ts";

const Ref = z.object({ ref: z.string().openapi({ description: "Environment id or name" }) });
const tags = ["Governance"];

const routes = {
  lock: protectedRoute("environments.write", {
    method: "post",
    path: "/environments/{ref}/lock",
    tags,
    summary:
      "Lock an environment (or one product in it): deployments there are refused with 423 ENVIRONMENT_LOCKED",
    request: { params: Ref, ...jsonBody(LockCreate) },
    responses: {
      201: json(Lock, "Locked"),
      404: errorJson("No such environment or product"),
      409: errorJson("Already locked for this scope, or expires_at is in the past"),
    },
  }),
  unlock: protectedRoute("environments.write", {
    method: "delete",
    path: "/environments/{ref}/lock",
    tags,
    summary: "Unlock an environment (or the lock of one product in it)",
    request: {
      params: Ref,
      query: z.object({
        product: z.string().optional().openapi({ description: "The product lock to remove" }),
      }),
    },
    responses: { 204: { description: "Unlocked" }, 404: errorJson("No such lock") },
  }),
  list: protectedRoute("catalog.read", {
    method: "get",
    path: "/locks",
    tags,
    summary: "List the active environment locks",
    responses: { 200: json(z.object({ items: z.array(Lock) }), "Active locks, oldest first") },
  }),
};

export function createLockRoutes(deps: AppDeps) {
  return new OpenAPIHono<AppEnv>()
    .openapi(routes.lock, async (c) =>
      c.json(await lockEnvironment(deps, actorFrom(c), c.req.valid("param").ref, c.req.valid("json")), 201),
    )
    .openapi(routes.unlock, async (c) => {
      await unlockEnvironment(deps, actorFrom(c), c.req.valid("param").ref, c.req.valid("query").product);
      return c.body(null, 204);
    })
    .openapi(routes.list, async (c) => c.json({ items: await listLocks(deps) }, 200));
}
