import { randomUUID } from "node:crypto";
import type { Incident } from "@versioner/schema";
import { and, desc, eq, isNotNull, isNull, type SQL } from "drizzle-orm";
import { type Actor, auditInsert } from "../audit/audit-service.ts";
import { findEnvironment } from "../catalog/environments-service.ts";
import { findProduct } from "../catalog/products-service.ts";
import { afterCursor, toPage } from "../db/pagination.ts";
import { deployments, environments, incidents, products } from "../db/schema/index.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import { refreshIncidentLinks } from "./dora-facts.ts";
import type { InsightsDeps } from "./insights-service.ts";

type IncidentRow = typeof incidents.$inferSelect;

export interface IncidentInput {
  title: string;
  description?: string | null;
  product?: string;
  environment?: string;
  deployment_id?: string | null;
  opened_at?: string;
  resolved_at?: string | null;
}

export type IncidentPatch = Partial<Omit<IncidentInput, "product" | "environment">>;

const columns = { incident: incidents, product_name: products.name, environment_name: environments.name };

function view(row: { incident: IncidentRow; product_name: string; environment_name: string }): Incident {
  return {
    ...row.incident,
    product_name: row.product_name,
    environment_name: row.environment_name,
    status: row.incident.resolved_at ? "resolved" : "open",
  };
}

function joined(deps: InsightsDeps) {
  return deps.database.db
    .select(columns)
    .from(incidents)
    .innerJoin(products, eq(products.id, incidents.product_id))
    .innerJoin(environments, eq(environments.id, incidents.environment_id));
}

export async function getIncident(deps: InsightsDeps, id: string): Promise<Incident> {
  const [row] = await joined(deps).where(eq(incidents.id, id)).limit(1);
  if (!row) throw new NotFoundError(`Incident '${id}'`);
  return view(row);
}

/** Newest opened first; filters by product, environment (name or id) and open/resolved. */
export async function listIncidents(
  deps: InsightsDeps,
  query: {
    product?: string;
    environment?: string;
    status?: "open" | "resolved";
    limit: number;
    cursor?: string;
  },
) {
  const where: Array<SQL | undefined> = [];
  if (query.product) where.push(eq(incidents.product_id, (await findProduct(deps, query.product)).id));
  if (query.environment)
    where.push(eq(incidents.environment_id, (await findEnvironment(deps, query.environment)).id));
  if (query.status)
    where.push(query.status === "open" ? isNull(incidents.resolved_at) : isNotNull(incidents.resolved_at));
  if (query.cursor) where.push(afterCursor(query.cursor, incidents.opened_at, incidents.id));
  const rows = await joined(deps)
    .where(and(...where))
    .orderBy(desc(incidents.opened_at), desc(incidents.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ at: row.incident.opened_at, id: row.incident.id }), view);
}

async function findDeployment(deps: InsightsDeps, id: string) {
  const [row] = await deps.database.db.select().from(deployments).where(eq(deployments.id, id)).limit(1);
  if (!row) throw ValidationError.field(["body", "deployment_id"], `Unknown deployment '${id}'`);
  return row;
}

function assertOrder(openedAt: string, resolvedAt: string | null | undefined): void {
  if (resolvedAt && resolvedAt < openedAt)
    throw ValidationError.field(["body", "resolved_at"], "must not be before opened_at");
}

// An unknown product or environment in a body is a 422 at that field, not a 404 of the route.
async function resolveRef<T>(find: () => Promise<T>, field: string, ref: string): Promise<T> {
  try {
    return await find();
  } catch (error) {
    if (error instanceof NotFoundError)
      throw ValidationError.field(["body", field], `Unknown ${field} '${ref}'`);
    throw error;
  }
}

/**
 * Records an incident. Product and environment come from the body or, when a `deployment_id` is
 * given, from that deployment (the body must then agree with it).
 */
export async function createIncident(
  deps: InsightsDeps,
  actor: Actor,
  input: IncidentInput,
): Promise<Incident> {
  const deployment = input.deployment_id ? await findDeployment(deps, input.deployment_id) : undefined;
  const product = input.product
    ? await resolveRef(() => findProduct(deps, input.product as string), "product", input.product)
    : undefined;
  const environment = input.environment
    ? await resolveRef(
        () => findEnvironment(deps, input.environment as string),
        "environment",
        input.environment,
      )
    : undefined;
  const productId = product?.id ?? deployment?.product_id;
  const environmentId = environment?.id ?? deployment?.environment_id;
  if (!productId) throw ValidationError.field(["body", "product"], "required unless deployment_id is given");
  if (!environmentId)
    throw ValidationError.field(["body", "environment"], "required unless deployment_id is given");
  if (deployment && deployment.product_id !== productId)
    throw ValidationError.field(["body", "deployment_id"], "belongs to another product");
  if (deployment && deployment.environment_id !== environmentId)
    throw ValidationError.field(["body", "deployment_id"], "belongs to another environment");
  const now = deps.clock.now().toISOString();
  const openedAt = input.opened_at ?? now;
  assertOrder(openedAt, input.resolved_at);
  const row: IncidentRow = {
    id: randomUUID(),
    title: input.title,
    description: input.description ?? null,
    product_id: productId,
    environment_id: environmentId,
    deployment_id: deployment?.id ?? null,
    opened_at: openedAt,
    resolved_at: input.resolved_at ?? null,
    created_by: actor.principal.name,
    created_at: now,
    updated_at: now,
  };
  const db = deps.database.db;
  await db.batch([
    db.insert(incidents).values(row),
    refreshIncidentLinks(db, [row.deployment_id]),
    auditInsert(
      db,
      actor,
      {
        action: "incident.create",
        target_type: "incident",
        target_id: row.id,
        target_name: row.title,
        after: row,
      },
      now,
    ),
  ]);
  return getIncident(deps, row.id);
}

/** Resolves (or reopens with `resolved_at: null`), retitles, re-times or relinks an incident. */
export async function updateIncident(
  deps: InsightsDeps,
  actor: Actor,
  id: string,
  patch: IncidentPatch,
): Promise<Incident> {
  const [before] = await deps.database.db.select().from(incidents).where(eq(incidents.id, id)).limit(1);
  if (!before) throw new NotFoundError(`Incident '${id}'`);
  if (patch.deployment_id) {
    const deployment = await findDeployment(deps, patch.deployment_id);
    if (deployment.product_id !== before.product_id || deployment.environment_id !== before.environment_id)
      throw ValidationError.field(["body", "deployment_id"], "belongs to another product or environment");
  }
  const now = deps.clock.now().toISOString();
  const after: IncidentRow = {
    ...before,
    title: patch.title ?? before.title,
    description: patch.description === undefined ? before.description : patch.description,
    deployment_id: patch.deployment_id === undefined ? before.deployment_id : patch.deployment_id,
    opened_at: patch.opened_at ?? before.opened_at,
    resolved_at: patch.resolved_at === undefined ? before.resolved_at : patch.resolved_at,
    updated_at: now,
  };
  assertOrder(after.opened_at, after.resolved_at);
  const db = deps.database.db;
  const { id: _id, ...changes } = after;
  await db.batch([
    db.update(incidents).set(changes).where(eq(incidents.id, id)),
    refreshIncidentLinks(db, [before.deployment_id, after.deployment_id]),
    auditInsert(
      db,
      actor,
      {
        action: "incident.update",
        target_type: "incident",
        target_id: id,
        target_name: after.title,
        before,
        after,
      },
      now,
    ),
  ]);
  return getIncident(deps, id);
}
