import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ERROR_CODES, Name, SingleLineText } from "@versioner/schema";
import { bodyLimit } from "hono/body-limit";
import { DomainError } from "../errors.ts";
import { actorFrom } from "../http/actor.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { errorJson, json, jsonBody, protectedRoute } from "../http/route.ts";
import { ingestDeps } from "../ingest/ingest-routes.ts";
import { INTEGRATION_KINDS, type IntegrationKind } from "./integration-kinds.ts";
import {
  createIntegration,
  DELIVERY_OUTCOMES,
  deleteIntegration,
  getIntegration,
  type IntegrationDeps,
  listIntegrationDeliveries,
  listIntegrations,
  MAX_KEPT_DELIVERIES,
  receiveWebhook,
  rotateSecret,
  updateIntegration,
} from "./integrations-service.ts";

/**
 * Platform deliveries are small (a GitHub deployment_status with its repository is ~20 KB); a
 * tighter limit than the API's keeps an unauthenticated sender from making the collector read much.
 */
export const WEBHOOK_BODY_LIMIT_BYTES = 256 * 1024;

/** The webhook receivers: authenticated by the platform's signature or bearer secret, not an API credential. */
export const WEBHOOK_PATH = /^\/integrations\/(github|argocd|vercel\/[^/]+)\/?$/;

const IdParam = z.object({ id: z.string() });
const Renames = z
  .record(Name, Name)
  .refine((table) => Object.keys(table).length <= 500, "at most 500 entries")
  .optional();
const Mapping = z
  .object({
    products: Renames.openapi({
      description:
        "Platform name → product (Vercel project, GitHub repository `owner/name` or name, Argo CD application)",
    }),
    environments: Renames.openapi({
      description:
        "Platform environment → environment (Vercel target, GitHub environment, Argo CD `cluster/namespace`, namespace or cluster)",
    }),
    version_from: z.string().max(255).optional().openapi({
      description: "github: sha | ref; argocd: revision | image_tag | image_tag:<image>; vercel: sha",
    }),
  })
  .openapi("IntegrationMapping");

const Secret = SingleLineText(256)
  .pipe(z.string().min(16, "must be at least 16 characters"))
  .openapi({ description: "A secret the platform generated (Vercel shows its own). Write-only." });

const IntegrationCreate = z.object({
  name: Name,
  kind: z.enum(INTEGRATION_KINDS),
  enabled: z.boolean().optional(),
  secret: Secret.optional(),
  mapping: Mapping.optional(),
});
const IntegrationUpdate = IntegrationCreate.partial();

const Integration = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(INTEGRATION_KINDS),
    enabled: z.boolean(),
    webhook_path: z.string().openapi({ description: "Where the platform sends its deliveries" }),
    webhook_url: z
      .string()
      .nullable()
      .openapi({ description: "The full URL, when VERSIONER_PUBLIC_URL is set" }),
    mapping: z.object({
      products: z.record(z.string(), z.string()),
      environments: z.record(z.string(), z.string()),
      version_from: z.string().optional(),
    }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Integration");
const WithSecret = Integration.extend({
  secret: z.string().openapi({ description: "Shown this once; only a sealed copy is kept" }),
}).openapi("IntegrationWithSecret");

const Delivery = z
  .object({
    id: z.string(),
    delivery_id: z.string().nullable(),
    event_type: z.string().nullable(),
    outcome: z.enum(DELIVERY_OUTCOMES),
    status_code: z.number().int(),
    detail: z.string().nullable(),
    product_name: z.string().nullable(),
    version: z.string().nullable(),
    environment_name: z.string().nullable(),
    deployment_status: z.string().nullable(),
    received_at: z.string(),
  })
  .openapi("IntegrationDelivery");

const tags = ["Integrations"];
const manage = "integrations.manage" as const;
const routes = {
  list: protectedRoute(manage, {
    method: "get",
    path: "/integrations",
    tags,
    summary: "List the Vercel, GitHub and Argo CD integrations (secrets are never shown)",
    responses: { 200: json(z.object({ items: z.array(Integration) }), "Every integration") },
  }),
  get: protectedRoute(manage, {
    method: "get",
    path: "/integrations/{id}",
    tags,
    summary: "Get an integration",
    request: { params: IdParam },
    responses: { 200: json(Integration, "The integration") },
  }),
  create: protectedRoute(manage, {
    method: "post",
    path: "/integrations",
    tags,
    summary: "Create an integration; its secret (generated unless given) is returned this once",
    request: jsonBody(IntegrationCreate),
    responses: { 201: json(WithSecret, "Created") },
  }),
  update: protectedRoute(manage, {
    method: "patch",
    path: "/integrations/{id}",
    tags,
    summary: "Rename, enable/disable, set the secret or change the mapping of an integration",
    request: { params: IdParam, ...jsonBody(IntegrationUpdate) },
    responses: { 200: json(Integration, "Updated") },
  }),
  remove: protectedRoute(manage, {
    method: "delete",
    path: "/integrations/{id}",
    tags,
    summary: "Delete an integration and its delivery log (what it recorded stays)",
    request: { params: IdParam },
    responses: { 204: { description: "Deleted" } },
  }),
  rotate: protectedRoute(manage, {
    method: "post",
    path: "/integrations/{id}/rotate-secret",
    tags,
    summary: "Replace the secret with a generated one, returned this once",
    request: { params: IdParam },
    responses: { 200: json(WithSecret, "The new secret") },
  }),
  deliveries: protectedRoute(manage, {
    method: "get",
    path: "/integrations/{id}/deliveries",
    tags,
    summary: `The last deliveries received (at most ${MAX_KEPT_DELIVERIES} are kept), newest first, with their outcome`,
    request: {
      params: IdParam,
      query: z.object({ limit: z.coerce.number().int().min(1).max(MAX_KEPT_DELIVERIES).optional() }),
    },
    responses: { 200: json(z.object({ items: z.array(Delivery) }), "The deliveries") },
  }),
};

const WebhookAccepted = z
  .object({
    integration: z.string(),
    delivery_id: z.string().nullable(),
    outcome: z.enum(["recorded", "duplicate"]),
    deployment: z.record(z.string(), z.unknown()).describe("What ingest answered"),
  })
  .openapi("IntegrationDeliveryRecorded");
const WebhookIgnored = z
  .object({
    integration: z.string(),
    delivery_id: z.string().nullable(),
    outcome: z.literal("ignored"),
    reason: z.string(),
  })
  .openapi("IntegrationDeliveryIgnored");

function webhookRoute(path: string, summary: string, description: string) {
  const params = path.includes("{token}")
    ? { params: z.object({ token: z.string().openapi({ description: "The integration's URL token" }) }) }
    : {};
  return createRoute({
    method: "post",
    path,
    tags,
    summary,
    description,
    middleware: [
      bodyLimit({
        maxSize: WEBHOOK_BODY_LIMIT_BYTES,
        onError: () => {
          throw new DomainError(
            413,
            ERROR_CODES.PAYLOAD_TOO_LARGE,
            `A delivery is at most ${WEBHOOK_BODY_LIMIT_BYTES} bytes`,
          );
        },
      }),
    ],
    request: {
      ...params,
      // The raw body is read as text: the signature covers its exact bytes.
      body: { required: true, content: { "application/json": { schema: { type: "object" as const } } } },
    },
    responses: {
      200: json(WebhookAccepted, "Recorded as a deployment event, or already recorded (a redelivery)"),
      202: json(WebhookIgnored, "Authenticated, but nothing to record (ping, another event or state)"),
      401: errorJson("Missing or wrong signature or secret: nothing recorded"),
      403: errorJson("The integration is disabled"),
      413: errorJson(`Body larger than ${WEBHOOK_BODY_LIMIT_BYTES} bytes`),
      422: errorJson("Not a payload the platform sends, or not a valid deployment once mapped"),
    },
  });
}

const webhooks = {
  vercel: webhookRoute(
    "/integrations/vercel/{token}",
    "Receive a Vercel deployment webhook (x-vercel-signature, HMAC-SHA1)",
    "deployment.created → started, .succeeded → completed, .error → failed, .canceled → aborted. " +
      "Idempotent by the webhook id. See docs/integrations/vercel.md.",
  ),
  github: webhookRoute(
    "/integrations/github",
    "Receive GitHub deployment and deployment_status webhooks (X-Hub-Signature-256)",
    "ping is answered; deployment → pending; deployment_status queued/pending → pending, in_progress → started, " +
      "success → completed, failure/error → failed, inactive ignored. Idempotent by X-GitHub-Delivery. " +
      "See docs/integrations/github-deployments.md.",
  ),
  argocd: webhookRoute(
    "/integrations/argocd",
    "Receive an Argo CD notification (Authorization: Bearer <integration secret>)",
    "The template of docs/integrations/argocd.md: on-sync-running → started, on-deployed → completed, " +
      "on-sync-failed → failed. Idempotent by its delivery_id.",
  ),
};

/** The integrations service's dependencies, for the API and the dashboard alike. */
export function integrationDeps(deps: AppDeps): IntegrationDeps {
  return {
    database: deps.database,
    clock: deps.clock,
    publicUrl: deps.config.publicUrl,
    ingest: ingestDeps(deps),
  };
}

export function createIntegrationRoutes(deps: AppDeps) {
  const service = integrationDeps(deps);
  const receive = async (kind: IntegrationKind, raw: Request, token?: string) =>
    receiveWebhook(service, kind, { headers: raw.headers, body: await raw.text() }, token);
  return new OpenAPIHono<AppEnv>()
    .openapi(webhooks.vercel, async (c) => {
      const reply = await receive("vercel", c.req.raw, c.req.param("token"));
      return c.json(reply.body as z.infer<typeof WebhookAccepted>, reply.status as 200);
    })
    .openapi(webhooks.github, async (c) => {
      const reply = await receive("github", c.req.raw);
      return c.json(reply.body as z.infer<typeof WebhookAccepted>, reply.status as 200);
    })
    .openapi(webhooks.argocd, async (c) => {
      const reply = await receive("argocd", c.req.raw);
      return c.json(reply.body as z.infer<typeof WebhookAccepted>, reply.status as 200);
    })
    .openapi(routes.list, async (c) => c.json({ items: await listIntegrations(service) }, 200))
    .openapi(routes.get, async (c) => c.json(await getIntegration(service, c.req.valid("param").id), 200))
    .openapi(routes.create, async (c) =>
      c.json(await createIntegration(service, actorFrom(c), c.req.valid("json")), 201),
    )
    .openapi(routes.update, async (c) =>
      c.json(
        await updateIntegration(service, actorFrom(c), c.req.valid("param").id, c.req.valid("json")),
        200,
      ),
    )
    .openapi(routes.remove, async (c) => {
      await deleteIntegration(service, actorFrom(c), c.req.valid("param").id);
      return c.body(null, 204);
    })
    .openapi(routes.rotate, async (c) =>
      c.json(await rotateSecret(service, actorFrom(c), c.req.valid("param").id), 200),
    )
    .openapi(routes.deliveries, async (c) =>
      c.json(
        {
          items: await listIntegrationDeliveries(
            service,
            c.req.valid("param").id,
            c.req.valid("query").limit,
          ),
        },
        200,
      ),
    );
}
