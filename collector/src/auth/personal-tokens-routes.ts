import { OpenAPIHono, z } from "@hono/zod-openapi";
import { Name, Timestamp } from "@versioner/schema";
import { actorFrom } from "../http/actor.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { json, jsonBody, protectedRoute } from "../http/route.ts";
import { createPersonalToken, listPersonalTokens, revokePersonalToken } from "./personal-tokens-service.ts";

const Token = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    expires_at: z.string().nullable(),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .openapi("PersonalToken");

const routes = {
  list: protectedRoute("tokens.create", {
    method: "get",
    path: "/tokens",
    tags: ["Personal tokens"],
    summary: "Your personal access tokens (never their secrets)",
    responses: { 200: json(z.object({ items: z.array(Token) }), "Your tokens") },
  }),
  create: protectedRoute("tokens.create", {
    method: "post",
    path: "/tokens",
    tags: ["Personal tokens"],
    summary: "Create a personal access token (pat_…) acting with your role; shown once",
    request: jsonBody(z.object({ name: Name, expires_at: Timestamp.nullish() })),
    responses: { 201: json(Token.extend({ token: z.string() }), "The token, shown this once") },
  }),
  revoke: protectedRoute("tokens.create", {
    method: "delete",
    path: "/tokens/{id}",
    tags: ["Personal tokens"],
    summary: "Revoke one of your tokens; it stops working at once",
    request: { params: z.object({ id: z.string() }) },
    responses: { 204: { description: "Revoked" } },
  }),
};

export function createPersonalTokenRoutes(deps: AppDeps) {
  return new OpenAPIHono<AppEnv>()
    .openapi(routes.list, async (c) => c.json({ items: await listPersonalTokens(deps, actorFrom(c)) }, 200))
    .openapi(routes.create, async (c) =>
      c.json(await createPersonalToken(deps, actorFrom(c), c.req.valid("json")), 201),
    )
    .openapi(routes.revoke, async (c) => {
      await revokePersonalToken(deps, actorFrom(c), c.req.valid("param").id);
      return c.body(null, 204);
    });
}
