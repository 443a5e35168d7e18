import { OpenAPIHono, z } from "@hono/zod-openapi";
import {
  Build,
  Deployment,
  ENVIRONMENT_TYPES,
  Environment,
  FreeText,
  Metadata,
  Name,
  Product,
  page,
  StateResponse,
  Timestamp,
  Version,
} from "@versioner/schema";
import { VersionApproval } from "../governance/approvals-routes.ts";
import { listVersionApprovals } from "../governance/approvals-service.ts";
import { actorFrom } from "../http/actor.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { PageQuery } from "../http/pagination.ts";
import { json, jsonBody, protectedRoute } from "../http/route.ts";
import { getDeployment, listDeployments } from "./deployments-service.ts";
import {
  createEnvironment,
  getEnvironment,
  listEnvironments,
  updateEnvironment,
} from "./environments-service.ts";
import {
  createProduct,
  deleteProduct,
  findProduct,
  listProducts,
  updateProduct,
} from "./products-service.ts";
import { getVersion, listVersions } from "./versions-service.ts";

/** A query parameter that may be repeated (`?type=dev&type=test`): one value arrives as a string. */
function repeatable<T extends z.ZodType>(item: T) {
  return z.preprocess((value) => (typeof value === "string" ? [value] : value), z.array(item)).optional();
}

const Ref = z.object({ ref: z.string().openapi({ description: "Id or name" }) });
const IdParam = z.object({ id: z.string() });
const Description = FreeText(4096).nullish();
const JsonObject = Metadata.transform((value) => value ?? {});

const ProductCreate = z.object({
  name: Name,
  description: Description,
  extra_metadata: JsonObject.optional(),
});
const ProductUpdate = z.object({ name: Name.optional(), description: Description, extra_metadata: Metadata });
const EnvironmentCreate = z.object({
  name: Name,
  type: z.enum(ENVIRONMENT_TYPES).optional().openapi({ description: "Inferred from the name when omitted" }),
  description: Description,
  metadata: JsonObject.optional(),
  sort_order: z.number().int().optional(),
});
const EnvironmentUpdate = EnvironmentCreate.partial().extend({ metadata: Metadata });

const routes = {
  listProducts: protectedRoute("catalog.read", {
    method: "get",
    path: "/products",
    tags: ["Products"],
    summary: "List products by name",
    request: { query: PageQuery },
    responses: { 200: json(page(Product), "A page of products") },
  }),
  getProduct: protectedRoute("catalog.read", {
    method: "get",
    path: "/products/{ref}",
    tags: ["Products"],
    summary: "Get a product by id or name",
    request: { params: Ref },
    responses: { 200: json(Product, "The product") },
  }),
  createProduct: protectedRoute("products.write", {
    method: "post",
    path: "/products",
    tags: ["Products"],
    summary: "Create a product (events also create them on first use)",
    request: jsonBody(ProductCreate),
    responses: { 201: json(Product, "Created") },
  }),
  updateProduct: protectedRoute("products.write", {
    method: "patch",
    path: "/products/{ref}",
    tags: ["Products"],
    summary: "Edit description or metadata, or rename",
    request: { params: Ref, ...jsonBody(ProductUpdate) },
    responses: { 200: json(Product, "Updated") },
  }),
  deleteProduct: protectedRoute("products.write", {
    method: "delete",
    path: "/products/{ref}",
    tags: ["Products"],
    summary: "Delete a product with all its versions and deployments; requires ?confirm=<name>",
    request: { params: Ref, query: z.object({ confirm: z.string().optional() }) },
    responses: { 204: { description: "Deleted" } },
  }),
  listVersions: protectedRoute("catalog.read", {
    method: "get",
    path: "/versions",
    tags: ["Versions"],
    summary: "List versions, newest first",
    request: {
      query: PageQuery.extend({
        product: z.string().optional().openapi({ description: "Product name or id" }),
        scm_sha: z
          .string()
          .optional()
          .openapi({ description: "Full SHA or an abbreviation of 7+ characters, in either case" }),
      }),
    },
    responses: { 200: json(page(Version), "A page of versions") },
  }),
  getVersion: protectedRoute("catalog.read", {
    method: "get",
    path: "/versions/{id}",
    tags: ["Versions"],
    summary: "Get a version with its build records and approvals",
    request: { params: IdParam },
    responses: {
      200: json(
        Version.extend({ builds: z.array(Build), approvals: z.array(VersionApproval) }),
        "The version; approvals oldest first (docs/governance.md)",
      ),
    },
  }),
  listEnvironments: protectedRoute("catalog.read", {
    method: "get",
    path: "/environments",
    tags: ["Environments"],
    summary: "List environments in promotion order (type, then sort_order)",
    request: { query: z.object({ type: z.enum(ENVIRONMENT_TYPES).optional() }) },
    responses: { 200: json(z.object({ items: z.array(Environment) }), "Every environment") },
  }),
  getEnvironment: protectedRoute("catalog.read", {
    method: "get",
    path: "/environments/{ref}",
    tags: ["Environments"],
    summary: "Get an environment by id or name",
    request: { params: Ref },
    responses: { 200: json(Environment, "The environment") },
  }),
  createEnvironment: protectedRoute("environments.write", {
    method: "post",
    path: "/environments",
    tags: ["Environments"],
    summary: "Pre-create an environment (deployments also create them on first use)",
    request: jsonBody(EnvironmentCreate),
    responses: { 201: json(Environment, "Created") },
  }),
  updateEnvironment: protectedRoute("environments.write", {
    method: "patch",
    path: "/environments/{ref}",
    tags: ["Environments"],
    summary: "Edit, retype, reorder or rename an environment",
    request: { params: Ref, ...jsonBody(EnvironmentUpdate) },
    responses: { 200: json(Environment, "Updated") },
  }),
  listDeployments: protectedRoute("catalog.read", {
    method: "get",
    path: "/deployments",
    tags: ["Deployments"],
    summary: "List deployments, newest first",
    request: {
      query: PageQuery.extend({
        product: z.string().optional().openapi({ description: "Product name or id" }),
        environment: z.string().optional().openapi({ description: "Environment name or id" }),
        version: z.string().optional(),
        status: z.string().optional().openapi({ description: "A status or any of its aliases" }),
        since: Timestamp.optional().openapi({ description: "Created at or after (RFC 3339)" }),
        until: Timestamp.optional().openapi({ description: "Created at or before (RFC 3339)" }),
      }),
    },
    responses: { 200: json(page(Deployment), "A page of deployments") },
  }),
  getDeployment: protectedRoute("catalog.read", {
    method: "get",
    path: "/deployments/{id}",
    tags: ["Deployments"],
    summary: "Get a deployment",
    request: { params: IdParam },
    responses: { 200: json(Deployment, "The deployment") },
  }),
  state: protectedRoute("catalog.read", {
    method: "get",
    path: "/state",
    tags: ["State"],
    summary: "What runs where: every product × environment with its current version",
    request: {
      headers: z.object({ "if-none-match": z.string().optional() }),
      query: z.object({
        product: repeatable(z.string().min(1)).openapi({
          description: "Only these products (name or id); repeat for several",
        }),
        environment: repeatable(z.string().min(1)).openapi({
          description: "Only these environment columns (name or id); repeat for several",
        }),
        type: repeatable(z.enum(ENVIRONMENT_TYPES)).openapi({
          description: "Only environment columns of these types; repeat for several",
        }),
      }),
    },
    responses: {
      200: json(
        StateResponse,
        "The matrix, with an ETag that changes whenever the matrix (or the filter) does. `drift` is true when at least two shown cells of the product have a current version and those versions are not all equal.",
      ),
      304: { description: "Unchanged since the ETag sent in If-None-Match" },
    },
  }),
};

export function createCatalogRoutes(deps: AppDeps) {
  return new OpenAPIHono<AppEnv>()
    .openapi(routes.listProducts, async (c) => c.json(await listProducts(deps, c.req.valid("query")), 200))
    .openapi(routes.getProduct, async (c) => c.json(await findProduct(deps, c.req.valid("param").ref), 200))
    .openapi(routes.createProduct, async (c) =>
      c.json(await createProduct(deps, actorFrom(c), c.req.valid("json")), 201),
    )
    .openapi(routes.updateProduct, async (c) =>
      c.json(await updateProduct(deps, actorFrom(c), c.req.valid("param").ref, c.req.valid("json")), 200),
    )
    .openapi(routes.deleteProduct, async (c) => {
      await deleteProduct(deps, actorFrom(c), c.req.valid("param").ref, c.req.valid("query").confirm);
      return c.body(null, 204);
    })
    .openapi(routes.listVersions, async (c) => c.json(await listVersions(deps, c.req.valid("query")), 200))
    .openapi(routes.getVersion, async (c) => {
      const version = await getVersion(deps, c.req.valid("param").id);
      return c.json({ ...version, approvals: await listVersionApprovals(deps, version.id) }, 200);
    })
    .openapi(routes.listEnvironments, async (c) =>
      c.json({ items: await listEnvironments(deps, c.req.valid("query")) }, 200),
    )
    .openapi(routes.getEnvironment, async (c) =>
      c.json(await getEnvironment(deps, c.req.valid("param").ref), 200),
    )
    .openapi(routes.createEnvironment, async (c) =>
      c.json(await createEnvironment(deps, actorFrom(c), c.req.valid("json")), 201),
    )
    .openapi(routes.updateEnvironment, async (c) =>
      c.json(await updateEnvironment(deps, actorFrom(c), c.req.valid("param").ref, c.req.valid("json")), 200),
    )
    .openapi(routes.listDeployments, async (c) =>
      c.json(await listDeployments(deps, c.req.valid("query")), 200),
    )
    .openapi(routes.getDeployment, async (c) =>
      c.json(await getDeployment(deps, c.req.valid("param").id), 200),
    )
    .openapi(routes.state, async (c) => {
      const document = await deps.runtime.stateDocuments.get(c.req.valid("query"));
      // The generation doubles as an ETag, so a polling dashboard gets 304s until something changes.
      const etag = document.etag;
      c.header("ETag", etag);
      c.header("Cache-Control", "no-cache");
      if (c.req.header("if-none-match") === etag) return c.body(null, 304);
      // The body is a StateResponse already serialized once for this generation.
      return c.body(document.body, 200, { "Content-Type": "application/json" }) as unknown as ReturnType<
        typeof c.json<StateResponse, 200>
      >;
    });
}
