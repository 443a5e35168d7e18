import { OpenAPIHono, z } from "@hono/zod-openapi";
import { page } from "@versioner/schema";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { PageQuery } from "../http/pagination.ts";
import { json, jsonBody, protectedRoute } from "../http/route.ts";
import { dryRunPreflight, listPreflightFailures } from "./preflight.ts";
import { PreflightAnswer, PreflightFailure, PreflightRequest } from "./rules-schema.ts";

const tags = ["Governance"];

const routes = {
  check: protectedRoute("preflight.check", {
    method: "post",
    path: "/preflight",
    tags,
    summary:
      "Dry run: would a deployment of this version to this environment be admitted now? Nothing is recorded",
    request: jsonBody(PreflightRequest),
    responses: { 200: json(PreflightAnswer, "The verdict, the block if any, and every rule evaluated") },
  }),
  failures: protectedRoute("catalog.read", {
    method: "get",
    path: "/preflight-failures",
    tags,
    summary: "Deployment attempts a rule or lock refused, newest first",
    request: {
      query: PageQuery.extend({
        product: z.string().optional().openapi({ description: "Product name" }),
        environment: z.string().optional().openapi({ description: "Environment name" }),
      }),
    },
    responses: { 200: json(page(PreflightFailure), "One page of refusals") },
  }),
};

export function createPreflightRoutes(deps: AppDeps) {
  return new OpenAPIHono<AppEnv>()
    .openapi(routes.check, async (c) => c.json(await dryRunPreflight(deps, c.req.valid("json")), 200))
    .openapi(routes.failures, async (c) =>
      c.json(await listPreflightFailures(deps, c.req.valid("query")), 200),
    );
}
