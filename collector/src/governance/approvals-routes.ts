import { OpenAPIHono, z } from "@hono/zod-openapi";
import { FreeText } from "@versioner/schema";
import { actorFrom } from "../http/actor.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { json, jsonBody, protectedRoute } from "../http/route.ts";
import { APPROVAL_DECISIONS, APPROVAL_TYPES } from "./approval-types.ts";
import { decideVersion, getVersionApprovals } from "./approvals-service.ts";

export const VersionApproval = z
  .object({
    id: z.string(),
    version_id: z.string(),
    type: z.enum(APPROVAL_TYPES),
    decision: z.enum(APPROVAL_DECISIONS),
    environment: z
      .string()
      .nullable()
      .openapi({ description: "Environment the decision is for; null: wherever the version goes" }),
    comment: z.string().nullable(),
    approved_by: z.string().openapi({ description: "Name of the user who decided" }),
    approver_role: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("VersionApproval");

const ApprovalCreate = z.object({
  type: z.enum(APPROVAL_TYPES),
  decision: z.enum(APPROVAL_DECISIONS).optional().openapi({ description: "Default: approved" }),
  environment: z.string().nullish().openapi({ description: "Environment name or id" }),
  comment: FreeText(4096).nullish(),
});

const IdParam = z.object({ id: z.string().openapi({ description: "Version id" }) });

const routes = {
  list: protectedRoute("catalog.read", {
    method: "get",
    path: "/versions/{id}/approvals",
    tags: ["Approvals"],
    summary: "Approvals and rejections of a version, oldest first (the last of a type stands)",
    request: { params: IdParam },
    responses: { 200: json(z.object({ items: z.array(VersionApproval) }), "Every decision") },
  }),
  create: protectedRoute("versions.approve", {
    method: "post",
    path: "/versions/{id}/approvals",
    tags: ["Approvals"],
    summary: "Approve or reject a version for one approval type your role may decide (users only)",
    request: { params: IdParam, ...jsonBody(ApprovalCreate) },
    responses: { 201: json(VersionApproval, "Recorded") },
  }),
};

export function createApprovalRoutes(deps: AppDeps) {
  return new OpenAPIHono<AppEnv>()
    .openapi(routes.list, async (c) =>
      c.json({ items: await getVersionApprovals(deps, c.req.valid("param").id) }, 200),
    )
    .openapi(routes.create, async (c) =>
      c.json(await decideVersion(deps, actorFrom(c), c.req.valid("param").id, c.req.valid("json")), 201),
    );
}
