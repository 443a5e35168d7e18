import { OpenAPIHono, z } from "@hono/zod-openapi";
import { Button, Name, SingleLineText } from "@versioner/schema";
import { ValidationError } from "../errors.ts";
import { actorFrom } from "../http/actor.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { json, jsonBody, protectedRoute } from "../http/route.ts";
import {
  createButton,
  deleteButton,
  getButton,
  listButtons,
  previewButton,
  updateButton,
} from "./buttons-service.ts";

const DeploymentButton = z
  .object({
    id: z.string(),
    product_id: z.string(),
    product_name: z.string(),
    name: z.string(),
    url_template: z.string(),
    environments: z.array(z.string()).openapi({ description: "Environment names; empty means all" }),
    enabled: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("DeploymentButton");

const Template = SingleLineText(2048).min(1).openapi({
  description:
    "URL with {variable} placeholders, e.g. https://ci.example.com/job/x/buildWithParameters?VERSION={vi_version}",
});
const ButtonCreate = z.object({
  product_name: Name.optional().openapi({ description: "Product name (or give product_id)" }),
  product_id: z.string().optional(),
  name: Name,
  url_template: Template,
  environments: z
    .array(z.string())
    .max(100)
    .optional()
    .openapi({ description: "Environment names; empty or omitted means all" }),
  enabled: z.boolean().optional(),
});
const ButtonUpdate = z.object({
  name: Name.optional(),
  url_template: Template.optional(),
  environments: z.array(z.string()).max(100).optional(),
  enabled: z.boolean().optional(),
});
const Preview = z.object({
  product_name: z.string().openapi({ description: "Product name or id" }),
  version: z.string(),
  environment_name: z.string().openapi({ description: "Environment name or id" }),
  url_template: Template.optional(),
  button_id: z.string().optional().openapi({ description: "Render a saved button instead of url_template" }),
});
const IdParam = z.object({ id: z.string() });

const routes = {
  list: protectedRoute("catalog.read", {
    method: "get",
    path: "/deployment-buttons",
    tags: ["Deployment buttons"],
    summary: "List deployment buttons",
    request: {
      query: z.object({ product: z.string().optional().openapi({ description: "Product name or id" }) }),
    },
    responses: { 200: json(z.object({ items: z.array(DeploymentButton) }), "Buttons by product and name") },
  }),
  create: protectedRoute("variables.manage", {
    method: "post",
    path: "/deployment-buttons",
    tags: ["Deployment buttons"],
    summary: "Create a deployment button for a product",
    request: jsonBody(ButtonCreate),
    responses: { 201: json(DeploymentButton, "Created") },
  }),
  preview: protectedRoute("catalog.read", {
    method: "post",
    path: "/deployment-buttons/preview",
    tags: ["Deployment buttons"],
    summary: "Render a template or a saved button for a version and environment (422 names what is wrong)",
    request: jsonBody(Preview),
    responses: { 200: json(Button, "The rendered button") },
  }),
  get: protectedRoute("catalog.read", {
    method: "get",
    path: "/deployment-buttons/{id}",
    tags: ["Deployment buttons"],
    summary: "Get a deployment button",
    request: { params: IdParam },
    responses: { 200: json(DeploymentButton, "The button") },
  }),
  update: protectedRoute("variables.manage", {
    method: "patch",
    path: "/deployment-buttons/{id}",
    tags: ["Deployment buttons"],
    summary: "Change, enable or disable a deployment button",
    request: { params: IdParam, ...jsonBody(ButtonUpdate) },
    responses: { 200: json(DeploymentButton, "Updated") },
  }),
  delete: protectedRoute("variables.manage", {
    method: "delete",
    path: "/deployment-buttons/{id}",
    tags: ["Deployment buttons"],
    summary: "Delete a deployment button",
    request: { params: IdParam },
    responses: { 204: { description: "Deleted" } },
  }),
};

export function createButtonRoutes(deps: AppDeps) {
  return new OpenAPIHono<AppEnv>()
    .openapi(routes.list, async (c) => c.json(await listButtons(deps, c.req.valid("query")), 200))
    .openapi(routes.create, async (c) => {
      const { product_name, product_id, ...input } = c.req.valid("json");
      const product = product_id ?? product_name;
      if (!product) throw ValidationError.field(["body", "product_name"], "Field required", "missing");
      return c.json(await createButton(deps, actorFrom(c), { ...input, product }), 201);
    })
    .openapi(routes.preview, async (c) => {
      const body = c.req.valid("json");
      return c.json(
        await previewButton(deps, {
          product: body.product_name,
          version: body.version,
          environment: body.environment_name,
          url_template: body.url_template,
          button_id: body.button_id,
        }),
        200,
      );
    })
    .openapi(routes.get, async (c) => c.json(await getButton(deps, c.req.valid("param").id), 200))
    .openapi(routes.update, async (c) =>
      c.json(await updateButton(deps, actorFrom(c), c.req.valid("param").id, c.req.valid("json")), 200),
    )
    .openapi(routes.delete, async (c) => {
      await deleteButton(deps, actorFrom(c), c.req.valid("param").id);
      return c.body(null, 204);
    });
}
