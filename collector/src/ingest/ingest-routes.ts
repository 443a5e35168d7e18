import { OpenAPIHono, z } from "@hono/zod-openapi";
import {
  BatchInput,
  BatchResponse,
  BuildEventInput,
  BuildEventResponse,
  DeploymentEventInput,
  DeploymentEventResponse,
  fastEventInput,
  PreflightBlock,
} from "@versioner/schema";
import type { TypedResponse } from "hono";
import type { JSONParsed } from "hono/utils/types";
import { actorFrom } from "../http/actor.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { pacedJson } from "../http/paced-json.ts";
import { errorJson, json, jsonBody, protectedRoute } from "../http/route.ts";
import { merged } from "../merged.ts";
import { deploymentPageUrl } from "../public-links.ts";
import {
  type IngestDeps,
  ingestBatch,
  ingestBuild,
  ingestDeployment,
  type RawEvent,
} from "./ingest-service.ts";

const IdempotencyHeader = z.object({
  "idempotency-key": z.string().min(1).max(255).optional().openapi({
    description:
      "Repeat a request with the same key and body to get the original response and write nothing; the same key with another body is 409 IDEMPOTENCY_KEY_REUSED",
  }),
});

const blocked = z.object({ detail: PreflightBlock, code: z.string(), request_id: z.string() });

const conflict = errorJson(
  "The version is registered with another SHA (VERSION_SHA_CONFLICT), or the Idempotency-Key was used for another request (IDEMPOTENCY_KEY_REUSED)",
);

function buildRoute(path: string, deprecated: boolean) {
  return protectedRoute("deployments.record", {
    method: "post",
    path,
    tags: ["Ingest"],
    summary: deprecated ? "Record a build event (older name of /build-events/)" : "Record a build event",
    deprecated,
    request: { headers: IdempotencyHeader, ...jsonBody(BuildEventInput, fastEventInput.build) },
    responses: { 200: json(BuildEventResponse, "The build and version as recorded"), 409: conflict },
  });
}

const deploymentRoute = protectedRoute("deployments.record", {
  method: "post",
  path: "/deployment-events",
  tags: ["Ingest"],
  summary: "Record a deployment event",
  request: { headers: IdempotencyHeader, ...jsonBody(DeploymentEventInput, fastEventInput.deployment) },
  responses: {
    200: json(DeploymentEventResponse, "The deployment as recorded"),
    409: json(
      z.object({ detail: z.union([PreflightBlock, z.string()]), code: z.string(), request_id: z.string() }),
      "VERSION_SHA_CONFLICT or IDEMPOTENCY_KEY_REUSED (detail is text), or DEPLOYMENT_IN_PROGRESS (a concurrency rule; detail is the block, docs/governance.md)",
    ),
    423: json(
      blocked,
      "Blocked by a no-deploy window (NO_DEPLOY_WINDOW) or an environment lock (ENVIRONMENT_LOCKED)",
    ),
    428: json(
      blocked,
      "Blocked by a precondition: FLOW_VIOLATION, INSUFFICIENT_SOAK_TIME, QUALITY_APPROVAL_REQUIRED, APPROVAL_REQUIRED",
    ),
  },
});

const batchRoute = protectedRoute("deployments.record", {
  method: "post",
  path: "/events/batch",
  tags: ["Ingest"],
  summary: "Record up to 1000 build and deployment events in one transaction, each reported separately",
  request: jsonBody(BatchInput),
  responses: { 200: json(BatchResponse, "One result per event, in order") },
});

/** What the ingest service needs from the app: one place for every route that records events. */
export function ingestDeps(deps: AppDeps): IngestDeps {
  return {
    database: deps.database,
    runtime: deps.runtime,
    clock: deps.clock,
    dedupWindowSeconds: deps.config.dedupWindowSeconds,
    bus: deps.bus,
    metrics: deps.metrics,
  };
}

export function createIngestRoutes(deps: AppDeps) {
  const ingest = ingestDeps(deps);
  const app = new OpenAPIHono<AppEnv>();
  for (const path of ["/build-events", "/version-events"]) {
    app.openapi(buildRoute(path, path === "/version-events"), async (c) => {
      const raw = (await c.req.json()) as RawEvent;
      const result = await ingestBuild(
        ingest,
        c.req.valid("json"),
        raw,
        c.req.valid("header")["idempotency-key"],
      );
      if (result.replayed) c.header("Idempotent-Replayed", "true");
      return c.json(result.body, 200);
    });
  }
  // The link is added on the way out, never stored: a replayed response gets today's public URL.
  const linked = (body: DeploymentEventResponse): DeploymentEventResponse => {
    const url = deploymentPageUrl(deps.config.publicUrl, body.id);
    return url ? merged(body, { deployment_url: url }) : body;
  };
  app.openapi(deploymentRoute, async (c) => {
    const raw = (await c.req.json()) as RawEvent;
    const result = await ingestDeployment(
      ingest,
      c.req.valid("json"),
      raw,
      c.req.valid("header")["idempotency-key"],
      actorFrom(c),
    );
    if (result.replayed) c.header("Idempotent-Replayed", "true");
    return c.json(linked(result.body), 200);
  });
  app.openapi(batchRoute, async (c) => {
    const { events } = c.req.valid("json");
    const response = await ingestBatch(ingest, events, actorFrom(c));
    const results = response.results.map((result) =>
      events[result.index]?.kind === "deployment" && result.status === 200
        ? { ...result, body: linked(result.body as DeploymentEventResponse) }
        : result,
    );
    // Stringified and encoded 50 results at a time: a 1,000-event answer at once held the event
    // loop. The bytes are the JSON of a BatchResponse, so they are typed as the route's answer.
    const bytes = await pacedJson({ ...response, results }, "results");
    return c.body(bytes, 200, { "content-type": "application/json" }) as unknown as TypedResponse<
      JSONParsed<BatchResponse>,
      200,
      "json"
    >;
  });
  return app;
}
