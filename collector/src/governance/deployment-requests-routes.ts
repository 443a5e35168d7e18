import { OpenAPIHono, z } from "@hono/zod-openapi";
import { FreeText, Name, page } from "@versioner/schema";
import { actorFrom } from "../http/actor.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { PageQuery } from "../http/pagination.ts";
import { json, jsonBody, protectedRoute } from "../http/route.ts";
import { APPROVAL_DECISIONS, APPROVAL_TYPES } from "./approval-types.ts";
import {
  cancelDeploymentRequest,
  createDeploymentRequest,
  DEPLOYMENT_REQUEST_STATUSES,
  decideSlot,
  getDeploymentRequest,
  listDeploymentRequests,
  SLOT_STATUSES,
  submitDeploymentRequest,
} from "./deployment-requests-service.ts";

const Slot = z
  .object({
    type: z.enum(APPROVAL_TYPES),
    status: z.enum(SLOT_STATUSES),
    decided_by: z.string().nullable(),
    decided_role: z.string().nullable(),
    comment: z.string().nullable(),
    decided_at: z.string().nullable(),
  })
  .openapi("DeploymentRequestSlot");

const DeploymentRequest = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    product: z.string(),
    product_id: z.string(),
    version: z.string(),
    version_id: z.string(),
    environment: z.string(),
    environment_id: z.string(),
    status: z.enum(DEPLOYMENT_REQUEST_STATUSES),
    slots: z.array(Slot),
    created_by: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    submitted_at: z.string().nullable(),
    decided_at: z.string().nullable().openapi({ description: "When it became approved or rejected" }),
    completed_at: z.string().nullable(),
    completed_by_deployment_id: z.string().nullable(),
    cancelled_at: z.string().nullable(),
  })
  .openapi("DeploymentRequest");

const RequestCreate = z.object({
  product: z.string().min(1).openapi({ description: "Product name or id" }),
  version: z.string().min(1).openapi({ description: "A version of the product that exists" }),
  environment: z.string().min(1).openapi({ description: "Target environment name or id" }),
  name: Name.optional().openapi({ description: "Default: '<product> <version> to <environment>'" }),
  description: FreeText(4096).nullish(),
  approval_types: z
    .array(z.enum(APPROVAL_TYPES))
    .min(1)
    .refine((types) => new Set(types).size === types.length, "must not repeat a type")
    .openapi({ description: "One approval slot per type" }),
});

const SlotDecision = z.object({
  decision: z.enum(APPROVAL_DECISIONS),
  comment: FreeText(4096).nullish(),
});

const IdParam = z.object({ id: z.string() });
const tags = ["Deployment requests"];

const routes = {
  list: protectedRoute("catalog.read", {
    method: "get",
    path: "/deployment-requests",
    tags,
    summary: "List deployment requests, newest first",
    request: {
      query: PageQuery.extend({
        status: z.enum(DEPLOYMENT_REQUEST_STATUSES).optional(),
        product: z.string().optional().openapi({ description: "Product name or id" }),
        environment: z.string().optional().openapi({ description: "Environment name or id" }),
      }),
    },
    responses: { 200: json(page(DeploymentRequest), "A page of deployment requests") },
  }),
  create: protectedRoute("deployment_requests.manage", {
    method: "post",
    path: "/deployment-requests",
    tags,
    summary: "Create a deployment request (status draft) with one approval slot per type",
    request: jsonBody(RequestCreate),
    responses: { 201: json(DeploymentRequest, "Created") },
  }),
  get: protectedRoute("catalog.read", {
    method: "get",
    path: "/deployment-requests/{id}",
    tags,
    summary: "Get a deployment request with its slots",
    request: { params: IdParam },
    responses: { 200: json(DeploymentRequest, "The request") },
  }),
  submit: protectedRoute("deployment_requests.manage", {
    method: "post",
    path: "/deployment-requests/{id}/submit",
    tags,
    summary: "Submit a draft: draft → in_progress, its slots open for decisions",
    request: { params: IdParam },
    responses: { 200: json(DeploymentRequest, "Submitted") },
  }),
  cancel: protectedRoute("deployment_requests.manage", {
    method: "post",
    path: "/deployment-requests/{id}/cancel",
    tags,
    summary: "Cancel a request that is not completed (cancelling again changes nothing)",
    request: { params: IdParam },
    responses: { 200: json(DeploymentRequest, "Cancelled") },
  }),
  decide: protectedRoute("deployment_requests.approve", {
    method: "post",
    path: "/deployment-requests/{id}/slots/{type}",
    tags,
    summary: "Approve or reject one slot of an in-progress request (your role must map to its type)",
    request: { params: IdParam.extend({ type: z.enum(APPROVAL_TYPES) }), ...jsonBody(SlotDecision) },
    responses: { 200: json(DeploymentRequest, "Decided") },
  }),
};

export function createDeploymentRequestRoutes(deps: AppDeps) {
  return new OpenAPIHono<AppEnv>()
    .openapi(routes.list, async (c) => c.json(await listDeploymentRequests(deps, c.req.valid("query")), 200))
    .openapi(routes.create, async (c) =>
      c.json(await createDeploymentRequest(deps, actorFrom(c), c.req.valid("json")), 201),
    )
    .openapi(routes.get, async (c) => c.json(await getDeploymentRequest(deps, c.req.valid("param").id), 200))
    .openapi(routes.submit, async (c) =>
      c.json(await submitDeploymentRequest(deps, actorFrom(c), c.req.valid("param").id), 200),
    )
    .openapi(routes.cancel, async (c) =>
      c.json(await cancelDeploymentRequest(deps, actorFrom(c), c.req.valid("param").id), 200),
    )
    .openapi(routes.decide, async (c) => {
      const { id, type } = c.req.valid("param");
      return c.json(await decideSlot(deps, actorFrom(c), id, type, c.req.valid("json")), 200);
    });
}
