import { OpenAPIHono, z } from "@hono/zod-openapi";
import { ENVIRONMENT_TYPES, Name, page, SingleLineText } from "@versioner/schema";
import { actorFrom } from "../http/actor.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { PageQuery } from "../http/pagination.ts";
import { json, jsonBody, protectedRoute } from "../http/route.ts";
import {
  CHANNEL_KINDS,
  createChannel,
  deleteChannel,
  findChannel,
  listChannels,
  testChannel,
  updateChannel,
} from "./channels-service.ts";
import { DELIVERY_STATUSES, getDelivery, listDeliveries, replayDelivery } from "./deliveries-service.ts";
import { NOTIFICATION_EVENT_TYPES } from "./payload.ts";

const IdParam = z.object({ id: z.string() });
const Names = z.array(z.string().trim().min(1).max(255)).max(200);

const Subscription = z
  .object({
    event_types: z
      .array(z.string())
      .min(1)
      .max(50)
      .openapi({ description: `Any of ${NOTIFICATION_EVENT_TYPES.join(", ")}; or 'deployment.*', or '*'` }),
    products: Names.optional().openapi({ description: "Product names; empty or absent = every product" }),
    environments: Names.optional().openapi({ description: "Environment names; empty or absent = every one" }),
    environment_types: z
      .array(z.enum(ENVIRONMENT_TYPES))
      .optional()
      .openapi({ description: "Environment types, e.g. ['production']" }),
    statuses: z
      .array(z.string().trim().min(1))
      .max(20)
      .optional()
      .openapi({ description: "Statuses (ingest aliases accepted); empty or absent = every status" }),
  })
  .openapi("NotificationSubscription");

// A line break in a header value would be header injection: refused with the other control characters.
const Headers = z.record(z.string(), SingleLineText(4096));
const CdeventsSettingsSchema = z.object({
  spec_version: z.string().openapi({ description: "CDEvents spec version: 0.4 or 0.5" }),
  source: z
    .string()
    .max(1024)
    .openapi({ description: "context.source of the emitted events (URI-reference)" }),
});

const ChannelCreate = z.object({
  name: Name,
  kind: z.enum(CHANNEL_KINDS),
  enabled: z.boolean().optional(),
  url: SingleLineText(2048)
    .optional()
    .openapi({ description: "Incoming-webhook URL (slack, teams, webhook). Write-only." }),
  secret: z.string().max(1024).nullish().openapi({ description: "HMAC secret (webhook). Write-only." }),
  headers: Headers.nullish().openapi({
    description: "Extra request headers (webhook, cdevents). Values write-only.",
  }),
  recipients: z.array(z.string().max(320)).max(100).optional().openapi({ description: "Addresses (email)" }),
  cdevents: CdeventsSettingsSchema.partial()
    .optional()
    .openapi({ description: "cdevents channels: spec_version (0.4 or 0.5, default 0.5) and source" }),
  subscriptions: z.array(Subscription).max(50).optional(),
});
const ChannelUpdate = ChannelCreate.partial();

const Channel = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(CHANNEL_KINDS),
    enabled: z.boolean(),
    url_hint: z.string().nullable().openapi({ description: "Scheme and host only; the URL is write-only" }),
    secret_set: z.boolean(),
    header_names: z.array(z.string()),
    recipients: z.array(z.string()),
    cdevents: CdeventsSettingsSchema.nullable(),
    subscriptions: z.array(
      z.object({
        event_types: z.array(z.string()),
        products: z.array(z.string()),
        environments: z.array(z.string()),
        environment_types: z.array(z.string()),
        statuses: z.array(z.string()),
      }),
    ),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("NotificationChannel");

const TestResult = z
  .object({
    ok: z.boolean(),
    response_code: z.number().nullable(),
    error: z.string().nullable(),
    duration_ms: z.number(),
    response_excerpt: z.string().nullable(),
  })
  .openapi("NotificationTestResult");

const Delivery = z
  .object({
    id: z.string(),
    channel_id: z.string(),
    event_id: z.string(),
    event_type: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.number(),
    next_attempt_at: z.string().nullable(),
    last_error: z.string().nullable(),
    last_response_code: z.number().nullable(),
    replay_of: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    delivered_at: z.string().nullable(),
  })
  .openapi("NotificationDelivery");

const Attempt = z.object({
  id: z.string(),
  attempt: z.number(),
  started_at: z.string(),
  duration_ms: z.number(),
  outcome: z.enum(["delivered", "retry", "failed"]),
  response_code: z.number().nullable(),
  error: z.string().nullable(),
  response_excerpt: z.string().nullable(),
  worker: z.string(),
});

const tags = ["Notifications"];
const routes = {
  list: protectedRoute("notifications.manage", {
    method: "get",
    path: "/notification-channels",
    tags,
    summary: "List notification channels (URLs and secrets are never shown)",
    responses: { 200: json(z.object({ items: z.array(Channel) }), "Every channel") },
  }),
  get: protectedRoute("notifications.manage", {
    method: "get",
    path: "/notification-channels/{id}",
    tags,
    summary: "Get a notification channel",
    request: { params: IdParam },
    responses: { 200: json(Channel, "The channel") },
  }),
  create: protectedRoute("notifications.manage", {
    method: "post",
    path: "/notification-channels",
    tags,
    summary: "Create a Slack, Teams, webhook or email channel with its subscriptions",
    request: jsonBody(ChannelCreate),
    responses: { 201: json(Channel, "Created") },
  }),
  update: protectedRoute("notifications.manage", {
    method: "patch",
    path: "/notification-channels/{id}",
    tags,
    summary: "Edit, enable/disable, or replace the subscriptions of a channel",
    request: { params: IdParam, ...jsonBody(ChannelUpdate) },
    responses: { 200: json(Channel, "Updated") },
  }),
  remove: protectedRoute("notifications.manage", {
    method: "delete",
    path: "/notification-channels/{id}",
    tags,
    summary: "Delete a channel with its subscriptions and delivery history",
    request: { params: IdParam },
    responses: { 204: { description: "Deleted" } },
  }),
  test: protectedRoute("notifications.manage", {
    method: "post",
    path: "/notification-channels/{id}/test",
    tags,
    summary: "Send a sample message now and report the outcome",
    request: { params: IdParam },
    responses: { 200: json(TestResult, "What the endpoint answered") },
  }),
  deliveries: protectedRoute("notifications.manage", {
    method: "get",
    path: "/notification-deliveries",
    tags,
    summary: "Delivery history, newest first",
    request: {
      query: PageQuery.extend({
        channel: z.string().optional().openapi({ description: "Channel id" }),
        status: z.enum(DELIVERY_STATUSES).optional(),
        event_type: z.string().optional(),
      }),
    },
    responses: { 200: json(page(Delivery), "A page") },
  }),
  delivery: protectedRoute("notifications.manage", {
    method: "get",
    path: "/notification-deliveries/{id}",
    tags,
    summary: "A delivery with its payload and every attempt",
    request: { params: IdParam },
    responses: {
      200: json(
        Delivery.extend({ payload: z.record(z.string(), z.unknown()), attempt_history: z.array(Attempt) }),
        "The delivery",
      ),
    },
  }),
  replay: protectedRoute("notifications.manage", {
    method: "post",
    path: "/notification-deliveries/{id}/replay",
    tags,
    summary: "Send a delivery again (queued as a new delivery linked by replay_of)",
    request: { params: IdParam },
    responses: { 202: json(Delivery, "Queued") },
  }),
};

export function createNotificationRoutes(deps: AppDeps) {
  return new OpenAPIHono<AppEnv>()
    .openapi(routes.list, async (c) => c.json({ items: await listChannels(deps) }, 200))
    .openapi(routes.get, async (c) => c.json((await findChannel(deps, c.req.valid("param").id)).view, 200))
    .openapi(routes.create, async (c) =>
      c.json(await createChannel(deps, actorFrom(c), c.req.valid("json")), 201),
    )
    .openapi(routes.update, async (c) =>
      c.json(await updateChannel(deps, actorFrom(c), c.req.valid("param").id, c.req.valid("json")), 200),
    )
    .openapi(routes.remove, async (c) => {
      await deleteChannel(deps, actorFrom(c), c.req.valid("param").id);
      return c.body(null, 204);
    })
    .openapi(routes.test, async (c) => c.json(await testChannel(deps, c.req.valid("param").id), 200))
    .openapi(routes.deliveries, async (c) => c.json(await listDeliveries(deps, c.req.valid("query")), 200))
    .openapi(routes.delivery, async (c) => c.json(await getDelivery(deps, c.req.valid("param").id), 200))
    .openapi(routes.replay, async (c) =>
      c.json(await replayDelivery(deps, actorFrom(c), c.req.valid("param").id), 202),
    );
}
