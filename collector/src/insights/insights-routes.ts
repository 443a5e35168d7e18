import { OpenAPIHono, z } from "@hono/zod-openapi";
import { EnvironmentDiff, ProductDiff } from "@versioner/schema";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { json, protectedRoute } from "../http/route.ts";
import { environmentDiff, productDiff } from "./insights-service.ts";

const ProductFilterQuery = z.object({
  product: z.string().optional().openapi({ description: "Only this product (name or id)" }),
  team: z.string().optional().openapi({ description: "Only products whose extra_metadata.team equals this" }),
});

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
    });
}
