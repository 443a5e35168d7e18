import { OpenAPIHono, z } from "@hono/zod-openapi";
import { FreeText } from "@versioner/schema";
import { actorFrom } from "../http/actor.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { json, jsonBody, protectedRoute } from "../http/route.ts";
import {
  createVariable,
  deleteVariable,
  getVariable,
  listVariables,
  MASK,
  updateVariable,
} from "./variables-service.ts";

const Variable = z
  .object({
    id: z.string(),
    key: z.string(),
    value: z.string().openapi({ description: `The value, or '${MASK}' for a secret` }),
    secret: z.boolean(),
    scope: z.enum(["org", "product"]),
    product_id: z.string().nullable(),
    description: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Variable");

const VariableCreate = z.object({
  key: z.string().max(64).openapi({ description: "^[a-z][a-z0-9_]*$; the vi_ prefix is reserved" }),
  value: FreeText(4096),
  secret: z.boolean().optional().openapi({ description: "Write-only value: returned masked, never logged" }),
  description: FreeText(1024).nullish(),
});
const VariableUpdate = VariableCreate.omit({ key: true }).partial();

const Product = z.object({ ref: z.string().openapi({ description: "Product id or name" }) });
const Key = z.object({ key: z.string() });
const ProductKey = Product.extend({ key: z.string() });
const List = json(z.object({ items: z.array(Variable) }), "Variables by key");

const routes = {
  listOrg: protectedRoute("catalog.read", {
    method: "get",
    path: "/variables",
    tags: ["Variables"],
    summary: "List org variables (secret values masked)",
    responses: { 200: List },
  }),
  createOrg: protectedRoute("variables.manage", {
    method: "post",
    path: "/variables",
    tags: ["Variables"],
    summary: "Create an org variable",
    request: jsonBody(VariableCreate),
    responses: { 201: json(Variable, "Created") },
  }),
  getOrg: protectedRoute("catalog.read", {
    method: "get",
    path: "/variables/{key}",
    tags: ["Variables"],
    summary: "Get an org variable",
    request: { params: Key },
    responses: { 200: json(Variable, "The variable") },
  }),
  updateOrg: protectedRoute("variables.manage", {
    method: "patch",
    path: "/variables/{key}",
    tags: ["Variables"],
    summary: "Change an org variable's value, secrecy or description",
    request: { params: Key, ...jsonBody(VariableUpdate) },
    responses: { 200: json(Variable, "Updated") },
  }),
  deleteOrg: protectedRoute("variables.manage", {
    method: "delete",
    path: "/variables/{key}",
    tags: ["Variables"],
    summary: "Delete an org variable",
    request: { params: Key },
    responses: { 204: { description: "Deleted" } },
  }),
  listProduct: protectedRoute("catalog.read", {
    method: "get",
    path: "/products/{ref}/variables",
    tags: ["Variables"],
    summary: "List a product's variables (secret values masked)",
    request: { params: Product },
    responses: { 200: List },
  }),
  createProduct: protectedRoute("variables.manage", {
    method: "post",
    path: "/products/{ref}/variables",
    tags: ["Variables"],
    summary: "Create a product variable (overrides an org variable of the same key)",
    request: { params: Product, ...jsonBody(VariableCreate) },
    responses: { 201: json(Variable, "Created") },
  }),
  getProduct: protectedRoute("catalog.read", {
    method: "get",
    path: "/products/{ref}/variables/{key}",
    tags: ["Variables"],
    summary: "Get a product variable",
    request: { params: ProductKey },
    responses: { 200: json(Variable, "The variable") },
  }),
  updateProduct: protectedRoute("variables.manage", {
    method: "patch",
    path: "/products/{ref}/variables/{key}",
    tags: ["Variables"],
    summary: "Change a product variable",
    request: { params: ProductKey, ...jsonBody(VariableUpdate) },
    responses: { 200: json(Variable, "Updated") },
  }),
  deleteProduct: protectedRoute("variables.manage", {
    method: "delete",
    path: "/products/{ref}/variables/{key}",
    tags: ["Variables"],
    summary: "Delete a product variable",
    request: { params: ProductKey },
    responses: { 204: { description: "Deleted" } },
  }),
};

export function createVariableRoutes(deps: AppDeps) {
  return new OpenAPIHono<AppEnv>()
    .openapi(routes.listOrg, async (c) => c.json({ items: await listVariables(deps) }, 200))
    .openapi(routes.createOrg, async (c) =>
      c.json(await createVariable(deps, actorFrom(c), undefined, c.req.valid("json")), 201),
    )
    .openapi(routes.getOrg, async (c) =>
      c.json(await getVariable(deps, undefined, c.req.valid("param").key), 200),
    )
    .openapi(routes.updateOrg, async (c) =>
      c.json(
        await updateVariable(deps, actorFrom(c), undefined, c.req.valid("param").key, c.req.valid("json")),
        200,
      ),
    )
    .openapi(routes.deleteOrg, async (c) => {
      await deleteVariable(deps, actorFrom(c), undefined, c.req.valid("param").key);
      return c.body(null, 204);
    })
    .openapi(routes.listProduct, async (c) =>
      c.json({ items: await listVariables(deps, c.req.valid("param").ref) }, 200),
    )
    .openapi(routes.createProduct, async (c) =>
      c.json(await createVariable(deps, actorFrom(c), c.req.valid("param").ref, c.req.valid("json")), 201),
    )
    .openapi(routes.getProduct, async (c) => {
      const { ref, key } = c.req.valid("param");
      return c.json(await getVariable(deps, ref, key), 200);
    })
    .openapi(routes.updateProduct, async (c) => {
      const { ref, key } = c.req.valid("param");
      return c.json(await updateVariable(deps, actorFrom(c), ref, key, c.req.valid("json")), 200);
    })
    .openapi(routes.deleteProduct, async (c) => {
      const { ref, key } = c.req.valid("param");
      await deleteVariable(deps, actorFrom(c), ref, key);
      return c.body(null, 204);
    });
}
