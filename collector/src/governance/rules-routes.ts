import { OpenAPIHono, z } from "@hono/zod-openapi";
import { actorFrom } from "../http/actor.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { errorJson, json, jsonBody, protectedRoute } from "../http/route.ts";
import { Rule, RuleCreate, RuleUpdate } from "./rules-schema.ts";
import { createRule, deleteRule, getRule, listRules, updateRule } from "./rules-service.ts";

const Id = z.object({ id: z.string() });
const tags = ["Governance"];

const routes = {
  list: protectedRoute("catalog.read", {
    method: "get",
    path: "/rules",
    tags,
    summary: "List deployment rules, by name",
    responses: { 200: json(z.object({ items: z.array(Rule) }), "Every rule, disabled ones included") },
  }),
  create: protectedRoute("rules.manage", {
    method: "post",
    path: "/rules",
    tags,
    summary: "Create a deployment rule (audited)",
    request: jsonBody(RuleCreate),
    responses: { 201: json(Rule, "Created"), 409: errorJson("A rule with this name exists (NAME_TAKEN)") },
  }),
  get: protectedRoute("catalog.read", {
    method: "get",
    path: "/rules/{id}",
    tags,
    summary: "Get a deployment rule",
    request: { params: Id },
    responses: { 200: json(Rule, "The rule"), 404: errorJson("No such rule") },
  }),
  update: protectedRoute("rules.manage", {
    method: "patch",
    path: "/rules/{id}",
    tags,
    summary: "Change a rule's name, mode, scope, settings or description (audited)",
    request: { params: Id, ...jsonBody(RuleUpdate) },
    responses: { 200: json(Rule, "Updated"), 404: errorJson("No such rule") },
  }),
  remove: protectedRoute("rules.manage", {
    method: "delete",
    path: "/rules/{id}",
    tags,
    summary: "Delete a rule (audited)",
    request: { params: Id },
    responses: { 204: { description: "Deleted" }, 404: errorJson("No such rule") },
  }),
};

export function createRuleRoutes(deps: AppDeps) {
  return new OpenAPIHono<AppEnv>()
    .openapi(routes.list, async (c) => c.json({ items: await listRules(deps) }, 200))
    .openapi(routes.create, async (c) =>
      c.json(await createRule(deps, actorFrom(c), c.req.valid("json")), 201),
    )
    .openapi(routes.get, async (c) => c.json(await getRule(deps, c.req.valid("param").id), 200))
    .openapi(routes.update, async (c) =>
      c.json(await updateRule(deps, actorFrom(c), c.req.valid("param").id, c.req.valid("json")), 200),
    )
    .openapi(routes.remove, async (c) => {
      await deleteRule(deps, actorFrom(c), c.req.valid("param").id);
      return c.body(null, 204);
    });
}
