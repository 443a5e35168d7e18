import { OpenAPIHono, z } from "@hono/zod-openapi";
import { Timestamp } from "@versioner/schema";
import { and, desc, eq, gte, lt, lte, type SQL } from "drizzle-orm";
import { afterCursor, toPage } from "../db/pagination.ts";
import { auditLog } from "../db/schema/index.ts";
import type { AppDeps, AppEnv } from "../http/app-env.ts";
import { PageQuery } from "../http/pagination.ts";
import { json, protectedRoute } from "../http/route.ts";

const Entry = z
  .object({
    id: z.string(),
    at: z.string(),
    actor_type: z.string(),
    actor_id: z.string(),
    actor_name: z.string(),
    action: z.string(),
    target_type: z.string(),
    target_id: z.string().nullable(),
    target_name: z.string().nullable(),
    before: z.record(z.string(), z.unknown()).nullable(),
    after: z.record(z.string(), z.unknown()).nullable(),
    request_id: z.string().nullable(),
  })
  .openapi("AuditEntry");

const AuditQuery = PageQuery.extend({
  action: z
    .string()
    .optional()
    .openapi({ description: "e.g. user.update; a prefix ending in '.' matches a family (user.)" }),
  actor: z.string().optional().openapi({ description: "Actor id" }),
  target_type: z.string().optional(),
  target_id: z.string().optional(),
  since: Timestamp.optional(),
  until: Timestamp.optional(),
});

const listRoute = protectedRoute("audit.read", {
  method: "get",
  path: "/audit-log",
  tags: ["Audit"],
  summary: "Who changed what: users, roles, keys, tokens, products, environments, settings (newest first)",
  request: { query: AuditQuery },
  responses: { 200: json(z.object({ items: z.array(Entry), next_cursor: z.string().nullable() }), "A page") },
});

/** Reads the append-only audit log; nothing in the API writes or deletes entries but the changes themselves. */
export async function listAuditLog(deps: Pick<AppDeps, "database">, query: z.output<typeof AuditQuery>) {
  const where: SQL[] = [];
  if (query.action) {
    where.push(
      query.action.endsWith(".")
        ? (and(gte(auditLog.action, query.action), lt(auditLog.action, `${query.action}\uffff`)) as SQL)
        : eq(auditLog.action, query.action),
    );
  }
  if (query.actor) where.push(eq(auditLog.actor_id, query.actor));
  if (query.target_type) where.push(eq(auditLog.target_type, query.target_type));
  if (query.target_id) where.push(eq(auditLog.target_id, query.target_id));
  if (query.since) where.push(gte(auditLog.at, query.since));
  if (query.until) where.push(lte(auditLog.at, query.until));
  if (query.cursor) where.push(afterCursor(query.cursor, auditLog.at, auditLog.id));
  const rows = await deps.database.db
    .select()
    .from(auditLog)
    .where(and(...where))
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(query.limit + 1);
  return toPage(
    rows,
    query.limit,
    (row) => ({ at: row.at, id: row.id }),
    (row) => row,
  );
}

export function createAuditRoutes(deps: AppDeps) {
  return new OpenAPIHono<AppEnv>().openapi(listRoute, async (c) =>
    c.json(await listAuditLog(deps, c.req.valid("query")), 200),
  );
}
