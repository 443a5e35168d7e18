import { OpenAPIHono, z } from "@hono/zod-openapi";
import { DomainError } from "../errors.ts";
import { actorFrom } from "../http/actor.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { json, protectedRoute } from "../http/route.ts";
import { ingestDeps } from "../ingest/ingest-routes.ts";
import { type EventOutcome, receiveCdevents } from "./cdevents-service.ts";
import { readCloudEvents } from "./cloudevents-http.ts";

// Plain OpenAPI schema objects, not zod: the body is read by the CloudEvents binding (three modes,
// several media types), so the route must not run the JSON validator on it.
const cdevent = {
  type: "object" as const,
  description: "A CDEvent (v0.4 or v0.5): context, subject, optional customData",
  required: ["context", "subject"],
};
const structured = {
  type: "object" as const,
  description: "A CloudEvent in structured mode; `data` holds the CDEvent",
  required: ["specversion", "id", "source", "type"],
};

const EventRefSchema = z.object({ id: z.string(), source: z.string(), type: z.string() });
const Accepted = z
  .object({
    event: EventRefSchema,
    mapped_to: z.enum(["deployment", "build", "environment"]),
    result: z.record(z.string(), z.unknown()).describe("What ingest or the catalog answered"),
  })
  .openapi("CDEventAccepted");
const Ignored = z
  .object({ event: EventRefSchema, ignored: z.literal(true), reason: z.string() })
  .openapi("CDEventIgnored");
const BatchResult = z
  .object({
    results: z.array(
      z.object({
        index: z.number().int(),
        status: z.number().int(),
        body: z.record(z.string(), z.unknown()),
      }),
    ),
    accepted: z.number().int(),
    ignored: z.number().int(),
    rejected: z.number().int(),
  })
  .openapi("CDEventBatchResult");

const receiveRoute = protectedRoute("deployments.record", {
  method: "post",
  path: "/cdevents",
  tags: ["Ingest"],
  summary: "Receive CDEvents (v0.4, v0.5) over CloudEvents HTTP: binary, structured or batch mode",
  description:
    "Binary mode: `ce-specversion`, `ce-id`, `ce-source`, `ce-type` headers and the CDEvent as a JSON body. " +
    "Structured mode: `Content-Type: application/cloudevents+json`. Batch mode: " +
    "`Content-Type: application/cloudevents-batch+json`. service.deployed/upgraded/rolledback become " +
    "deployments, artifact.packaged/published and pipelinerun.finished builds, environment.* environments; " +
    "other types are acknowledged with 202 and ignored. See docs/cdevents.md.",
  request: {
    body: {
      required: true,
      content: {
        "application/json": { schema: cdevent },
        "application/cloudevents+json": { schema: structured },
        "application/cloudevents-batch+json": { schema: { type: "array" as const, items: structured } },
      },
    },
  },
  responses: {
    200: {
      description: "Mapped and recorded (single event), or one result per event (batch mode)",
      content: { "application/json": { schema: z.union([Accepted, BatchResult]) } },
    },
    202: json(Ignored, "A valid event of a type Versioner does not map: acknowledged, nothing recorded"),
    400: json(z.object({ detail: z.string(), code: z.string() }), "The body is not JSON"),
  },
});

export function createCdeventsRoutes(deps: AppDeps) {
  const service = {
    ingest: ingestDeps(deps),
    catalog: { database: deps.database, clock: deps.clock },
    mapping: { artifactProducts: deps.config.cdeventsArtifactProducts },
  };
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(receiveRoute, async (c) => {
    const request = readCloudEvents(c.req.raw.headers, await c.req.text());
    const outcomes = await receiveCdevents(service, actorFrom(c), request);
    if (request.mode === "batch") {
      const count = (test: (outcome: EventOutcome) => boolean) => outcomes.filter(test).length;
      return c.json(
        {
          results: outcomes.map((outcome, index) => ({ index, status: outcome.status, body: outcome.body })),
          accepted: count((o) => o.status === 200),
          ignored: count((o) => o.status === 202),
          rejected: count((o) => o.status >= 400),
        },
        200,
      );
    }
    const [outcome] = outcomes;
    if (!outcome) throw new Error("a single-event request produced no outcome");
    if (outcome.status >= 400) throw outcome.error ?? asError(outcome);
    return c.json(outcome.body as z.infer<typeof Accepted>, outcome.status as 200);
  });
  return app;
}

/** An error ingest reported inside its batch result, raised again as the API's error contract. */
function asError(outcome: EventOutcome): DomainError {
  const { code, detail } = outcome.body as { code: string; detail: unknown };
  return new DomainError(outcome.status as DomainError["status"], code, detail);
}
