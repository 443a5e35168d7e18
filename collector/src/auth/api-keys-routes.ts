import { OpenAPIHono, z } from "@hono/zod-openapi";
import { FreeText, Name } from "@versioner/schema";
import { actorFrom } from "../http/actor.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { PageQuery } from "../http/pagination.ts";
import { json, jsonBody, protectedRoute } from "../http/route.ts";
import { createApiKey, listApiKeys, revokeApiKey } from "./api-keys-service.ts";
import { API_KEY_SCOPES } from "./capabilities.ts";

const ApiKey = z
  .object({
    id: z.string(),
    key_id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    scope: z.enum(API_KEY_SCOPES),
    prefix: z.string().openapi({ description: "The first characters of the key, to tell keys apart" }),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .openapi("ApiKey");

const CreateApiKey = z.object({
  name: Name,
  description: FreeText(1024).nullish(),
  scope: z.enum(API_KEY_SCOPES).default("ingest"),
});

const listRoute = protectedRoute("api_keys.read", {
  method: "get",
  path: "/api-keys",
  tags: ["API keys"],
  summary: "List API keys (never their secrets)",
  request: { query: PageQuery },
  responses: {
    200: json(z.object({ items: z.array(ApiKey), next_cursor: z.string().nullable() }), "A page of keys"),
  },
});

const createRoute = protectedRoute("api_keys.manage", {
  method: "post",
  path: "/api-keys",
  tags: ["API keys"],
  summary: "Create an API key; the token is shown in this response only",
  request: jsonBody(CreateApiKey),
  responses: { 201: json(ApiKey.extend({ token: z.string() }), "The new key, with its token") },
});

const revokeRoute = protectedRoute("api_keys.manage", {
  method: "delete",
  path: "/api-keys/{id}",
  tags: ["API keys"],
  summary: "Revoke an API key (by id or key id); it stops working at once",
  request: { params: z.object({ id: z.string() }) },
  responses: { 204: { description: "Revoked" } },
});

export function createApiKeyRoutes(deps: AppDeps) {
  const auth = { database: deps.database, clock: deps.clock, org: deps.config.org };
  return new OpenAPIHono<AppEnv>()
    .openapi(listRoute, async (c) => c.json(await listApiKeys(auth, c.req.valid("query")), 200))
    .openapi(createRoute, async (c) =>
      c.json(await createApiKey(auth, actorFrom(c), c.req.valid("json")), 201),
    )
    .openapi(revokeRoute, async (c) => {
      await revokeApiKey(auth, actorFrom(c), c.req.valid("param").id);
      return c.body(null, 204);
    });
}
