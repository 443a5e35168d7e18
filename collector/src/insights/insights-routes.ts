import { OpenAPIHono, z } from "@hono/zod-openapi";
import {
  DORA_BUCKETS,
  DoraMetrics,
  EnvironmentDiff,
  Incident,
  ProductDiff,
  page,
  Timestamp,
} from "@versioner/schema";
import { actorFrom } from "../http/actor.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { PageQuery } from "../http/pagination.ts";
import { json, jsonBody, protectedRoute } from "../http/route.ts";
import { isTimeZone } from "../time-zone.ts";
import { createIncident, getIncident, listIncidents, updateIncident } from "./incidents-service.ts";
import { doraMetrics, environmentDiff, productDiff } from "./insights-service.ts";

const ProductFilterQuery = z.object({
  product: z.string().optional().openapi({ description: "Only this product (name or id)" }),
  team: z.string().optional().openapi({ description: "Only products whose extra_metadata.team equals this" }),
});

const Title = z.string().trim().min(1).max(255);
const Description = z.string().max(4096).nullish();
const IncidentCreate = z.object({
  title: Title,
  description: Description,
  product: z
    .string()
    .min(1)
    .optional()
    .openapi({ description: "Product name or id (default: the deployment's)" }),
  environment: z
    .string()
    .min(1)
    .optional()
    .openapi({ description: "Environment name or id (default: the deployment's)" }),
  deployment_id: z
    .string()
    .min(1)
    .nullish()
    .openapi({ description: "The deployment that caused it, if known" }),
  opened_at: Timestamp.optional().openapi({ description: "Default: now" }),
  resolved_at: Timestamp.nullish(),
});
const IncidentUpdate = z.object({
  title: Title.optional(),
  description: Description,
  deployment_id: z.string().min(1).nullish().openapi({ description: "null unlinks" }),
  opened_at: Timestamp.optional(),
  resolved_at: Timestamp.nullish().openapi({ description: "A time resolves; null reopens" }),
});
const IdParam = z.object({ id: z.string() });

const routes = {
  environmentDiff: protectedRoute("catalog.read", {
    method: "get",
    path: "/environments/{a}/diff/{b}",
    tags: ["Insight"],
    summary:
      "What differs between two environments: products whose current versions differ or run in one only",
    request: {
      params: z.object({
        a: z.string().openapi({ description: "Environment id or name" }),
        b: z.string().openapi({ description: "Environment id or name" }),
      }),
      query: ProductFilterQuery,
    },
    responses: { 200: json(EnvironmentDiff, "The differences, by product name") },
  }),
  productDiff: protectedRoute("catalog.read", {
    method: "get",
    path: "/products/{ref}/diff",
    tags: ["Insight"],
    summary: "Between two versions of a product: the compare link and the versions recorded in between",
    request: {
      params: z.object({ ref: z.string().openapi({ description: "Product id or name" }) }),
      query: z.object({
        from: z.string().min(1).openapi({ description: "Version string" }),
        to: z.string().min(1).openapi({ description: "Version string" }),
      }),
    },
    responses: { 200: json(ProductDiff, "The two versions and what lies between") },
  }),
  dora: protectedRoute("catalog.read", {
    method: "get",
    path: "/metrics/dora",
    tags: ["Insight"],
    summary: "DORA's four keys for the production environments over a window, by day, week or month",
    request: {
      query: ProductFilterQuery.extend({
        environment: z.string().optional().openapi({
          description:
            "Comma-separated environment names or ids (default: VERSIONER_DORA_ENVIRONMENTS, else every environment of VERSIONER_DORA_ENVIRONMENT_TYPE)",
        }),
        from: Timestamp.optional().openapi({
          description: "Window start, inclusive (default: `to` − 90 days)",
        }),
        to: Timestamp.optional().openapi({ description: "Window end, exclusive (default: now)" }),
        bucket: z
          .enum(DORA_BUCKETS)
          .default("week")
          .openapi({ description: "Local day, ISO week (Monday) or month in `tz`" }),
        tz: z
          .string()
          .default("UTC")
          .refine(isTimeZone, "must be an IANA time zone name, e.g. Europe/Paris")
          .openapi({
            description: "IANA time zone whose local midnights start the buckets (DST included); default UTC",
            example: "Europe/Paris",
          }),
      }),
    },
    responses: { 200: json(DoraMetrics, "The metrics, overall and per bucket") },
  }),
  listIncidents: protectedRoute("catalog.read", {
    method: "get",
    path: "/incidents",
    tags: ["Insight"],
    summary: "List incidents, newest opened first",
    request: {
      query: PageQuery.extend({
        product: z.string().optional(),
        environment: z.string().optional(),
        status: z.enum(["open", "resolved"]).optional(),
      }),
    },
    responses: { 200: json(page(Incident), "A page of incidents") },
  }),
  getIncident: protectedRoute("catalog.read", {
    method: "get",
    path: "/incidents/{id}",
    tags: ["Insight"],
    summary: "Get an incident",
    request: { params: IdParam },
    responses: { 200: json(Incident, "The incident") },
  }),
  createIncident: protectedRoute("incidents.manage", {
    method: "post",
    path: "/incidents",
    tags: ["Insight"],
    summary: "Record a production incident (feeds change failure rate and time to restore)",
    request: jsonBody(IncidentCreate),
    responses: { 201: json(Incident, "Recorded") },
  }),
  updateIncident: protectedRoute("incidents.manage", {
    method: "patch",
    path: "/incidents/{id}",
    tags: ["Insight"],
    summary: "Resolve, reopen, retitle or relink an incident",
    request: { params: IdParam, ...jsonBody(IncidentUpdate) },
    responses: { 200: json(Incident, "Updated") },
  }),
};

export function createInsightsRoutes(deps: AppDeps) {
  return new OpenAPIHono<AppEnv>()
    .openapi(routes.environmentDiff, async (c) => {
      const { a, b } = c.req.valid("param");
      return c.json(await environmentDiff(deps, a, b, c.req.valid("query")), 200);
    })
    .openapi(routes.productDiff, async (c) => {
      const { from, to } = c.req.valid("query");
      return c.json(await productDiff(deps, c.req.valid("param").ref, from, to), 200);
    })
    .openapi(routes.dora, async (c) => c.json(await doraMetrics(deps, c.req.valid("query")), 200))
    .openapi(routes.listIncidents, async (c) => c.json(await listIncidents(deps, c.req.valid("query")), 200))
    .openapi(routes.getIncident, async (c) => c.json(await getIncident(deps, c.req.valid("param").id), 200))
    .openapi(routes.createIncident, async (c) =>
      c.json(await createIncident(deps, actorFrom(c), c.req.valid("json")), 201),
    )
    .openapi(routes.updateIncident, async (c) =>
      c.json(await updateIncident(deps, actorFrom(c), c.req.valid("param").id, c.req.valid("json")), 200),
    );
}
