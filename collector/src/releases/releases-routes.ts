import { OpenAPIHono, z } from "@hono/zod-openapi";
import { ENVIRONMENT_TYPES, FreeText, Metadata, Name, page, STATUSES } from "@versioner/schema";
import { actorFrom } from "../http/actor.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { PageQuery } from "../http/pagination.ts";
import { json, jsonBody, protectedRoute } from "../http/route.ts";
import { CELL_STATUSES, getProgress } from "./release-progress.ts";
import {
  addMember,
  cancelRelease,
  createRelease,
  getRelease,
  listMembers,
  listReleases,
  RELEASE_STATUSES,
  removeMember,
  updateRelease,
} from "./releases-service.ts";

const Release = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    status: z.enum(RELEASE_STATUSES),
    target_environments: z
      .array(z.string())
      .openapi({ description: "Environment names to reach; empty means every production environment" }),
    extra_metadata: z.record(z.string(), z.unknown()),
    started_at: z.string().nullable(),
    completed_at: z.string().nullable(),
    cancelled_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Release");

const Member = z
  .object({
    release_id: z.string(),
    product_id: z.string(),
    product_name: z.string(),
    version_id: z.string(),
    version: z.string(),
    scm_sha: z.string().nullable(),
    added_at: z.string(),
  })
  .openapi("ReleaseVersion");

const Progress = z
  .object({
    release: Release,
    environments: z.array(
      z.object({ id: z.string(), name: z.string(), type: z.enum(ENVIRONMENT_TYPES), target: z.boolean() }),
    ),
    products: z.array(
      z.object({
        product_id: z.string(),
        product_name: z.string(),
        version_id: z.string(),
        version: z.string(),
        cells: z.array(
          z.object({
            environment_id: z.string(),
            environment_name: z.string(),
            status: z.enum(CELL_STATUSES),
            deployment_id: z.string().nullable(),
            deployment_status: z.enum(STATUSES).nullable(),
            at: z.string().nullable(),
            running: z.boolean().openapi({
              description: "This member version is the one running there now (false after a rollback)",
            }),
          }),
        ),
      }),
    ),
    summary: z
      .record(z.enum(CELL_STATUSES), z.number().int())
      .openapi({ description: "Cells of target environments by status" }),
  })
  .openapi("ReleaseProgress");

const Targets = z.array(z.string()).max(100).openapi({ description: "Environment names (or ids)" });
const ReleaseCreate = z.object({
  name: Name,
  description: FreeText(4096).nullish(),
  extra_metadata: Metadata,
  target_environments: Targets.optional(),
});
const ReleaseUpdate = ReleaseCreate.partial();
const MemberCreate = z.object({
  product_name: z.string().optional().openapi({ description: "Product name or id, with version" }),
  version: z.string().optional(),
  version_id: z.string().optional().openapi({ description: "Instead of product_name and version" }),
  replace: z.boolean().optional().openapi({ description: "Swap the product's member version" }),
});
const Ref = z.object({ ref: z.string().openapi({ description: "Release id or name" }) });

const routes = {
  list: protectedRoute("catalog.read", {
    method: "get",
    path: "/releases",
    tags: ["Releases"],
    summary: "List releases, newest first",
    request: { query: PageQuery.extend({ status: z.enum(RELEASE_STATUSES).optional() }) },
    responses: { 200: json(page(Release), "A page of releases") },
  }),
  create: protectedRoute("releases.manage", {
    method: "post",
    path: "/releases",
    tags: ["Releases"],
    summary: "Create a release (status draft)",
    request: jsonBody(ReleaseCreate),
    responses: { 201: json(Release, "Created") },
  }),
  get: protectedRoute("catalog.read", {
    method: "get",
    path: "/releases/{ref}",
    tags: ["Releases"],
    summary: "Get a release with its member versions",
    request: { params: Ref },
    responses: { 200: json(Release.extend({ versions: z.array(Member) }), "The release") },
  }),
  update: protectedRoute("releases.manage", {
    method: "patch",
    path: "/releases/{ref}",
    tags: ["Releases"],
    summary: "Edit an open release (name, description, metadata, target environments)",
    request: { params: Ref, ...jsonBody(ReleaseUpdate) },
    responses: { 200: json(Release, "Updated") },
  }),
  cancel: protectedRoute("releases.manage", {
    method: "post",
    path: "/releases/{ref}/cancel",
    tags: ["Releases"],
    summary: "Cancel an open release",
    request: { params: Ref },
    responses: { 200: json(Release, "Cancelled") },
  }),
  members: protectedRoute("catalog.read", {
    method: "get",
    path: "/releases/{ref}/versions",
    tags: ["Releases"],
    summary: "List the member versions of a release",
    request: { params: Ref },
    responses: { 200: json(z.object({ items: z.array(Member) }), "Members by product name") },
  }),
  addMember: protectedRoute("releases.manage", {
    method: "post",
    path: "/releases/{ref}/versions",
    tags: ["Releases"],
    summary: "Add a version (one per product; 409 unless replace: true)",
    request: { params: Ref, ...jsonBody(MemberCreate) },
    responses: { 200: json(Member, "Already a member"), 201: json(Member, "Added") },
  }),
  removeMember: protectedRoute("releases.manage", {
    method: "delete",
    path: "/releases/{ref}/versions/{version_id}",
    tags: ["Releases"],
    summary: "Remove a member version",
    request: { params: Ref.extend({ version_id: z.string() }) },
    responses: { 204: { description: "Removed" } },
  }),
  progress: protectedRoute("catalog.read", {
    method: "get",
    path: "/releases/{ref}/progress",
    tags: ["Releases"],
    summary: "Member products × environments, each deployed | in_progress | failed | not_deployed",
    request: { params: Ref },
    responses: { 200: json(Progress, "The progress grid") },
  }),
};

export function createReleaseRoutes(deps: AppDeps) {
  return new OpenAPIHono<AppEnv>()
    .openapi(routes.list, async (c) => c.json(await listReleases(deps, c.req.valid("query")), 200))
    .openapi(routes.create, async (c) =>
      c.json(await createRelease(deps, actorFrom(c), c.req.valid("json")), 201),
    )
    .openapi(routes.get, async (c) => c.json(await getRelease(deps, c.req.valid("param").ref), 200))
    .openapi(routes.update, async (c) =>
      c.json(await updateRelease(deps, actorFrom(c), c.req.valid("param").ref, c.req.valid("json")), 200),
    )
    .openapi(routes.cancel, async (c) =>
      c.json(await cancelRelease(deps, actorFrom(c), c.req.valid("param").ref), 200),
    )
    .openapi(routes.members, async (c) =>
      c.json({ items: await listMembers(deps, c.req.valid("param").ref) }, 200),
    )
    .openapi(routes.addMember, async (c) => {
      const result = await addMember(deps, actorFrom(c), c.req.valid("param").ref, c.req.valid("json"));
      return result.created ? c.json(result.member, 201) : c.json(result.member, 200);
    })
    .openapi(routes.removeMember, async (c) => {
      const { ref, version_id } = c.req.valid("param");
      await removeMember(deps, actorFrom(c), ref, version_id);
      return c.body(null, 204);
    })
    .openapi(routes.progress, async (c) => c.json(await getProgress(deps, c.req.valid("param").ref), 200));
}
