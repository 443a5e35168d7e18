import { randomUUID } from "node:crypto";
import { asc, eq, sql } from "drizzle-orm";
import { type Actor, auditInsert } from "../audit/audit-service.ts";
import { findEnvironment } from "../catalog/environments-service.ts";
import type { CatalogDeps } from "../catalog/products-service.ts";
import { environments, versionApprovals } from "../db/schema/index.ts";
import { ForbiddenError, NotFoundError, ValidationError } from "../errors.ts";
import { EventBatch } from "../events/event-batch.ts";
import { type ApprovalDecision, type ApprovalType, approvalRefusal } from "./approval-types.ts";
import { findVersionWithProduct, type GovernanceDeps } from "./governance-deps.ts";

type ApprovalRow = typeof versionApprovals.$inferSelect;

export interface VersionApprovalView {
  id: string;
  version_id: string;
  type: ApprovalType;
  decision: ApprovalDecision;
  /** Environment name the decision is for; null: wherever the version goes. */
  environment: string | null;
  comment: string | null;
  approved_by: string;
  approver_role: string | null;
  created_at: string;
}

export interface VersionApprovalInput {
  type: ApprovalType;
  decision?: ApprovalDecision;
  environment?: string | null;
  comment?: string | null;
}

function view(row: ApprovalRow, environment: string | null): VersionApprovalView {
  return {
    id: row.id,
    version_id: row.version_id,
    type: row.type as ApprovalType,
    decision: row.decision as ApprovalDecision,
    environment,
    comment: row.comment,
    approved_by: row.approved_by,
    approver_role: row.approver_role,
    created_at: row.created_at,
  };
}

/** Every decision on the version, oldest first (the last of a type is the one that stands). */
export async function listVersionApprovals(
  deps: CatalogDeps,
  versionId: string,
): Promise<VersionApprovalView[]> {
  const rows = await deps.database.db
    .select({ approval: versionApprovals, environment: environments.name })
    .from(versionApprovals)
    .leftJoin(environments, eq(environments.id, versionApprovals.environment_id))
    .where(eq(versionApprovals.version_id, versionId))
    .orderBy(asc(versionApprovals.created_at), asc(sql`${versionApprovals}.rowid`));
  return rows.map((row) => view(row.approval, row.environment));
}

/** `GET /versions/{id}/approvals`: a 404 for an unknown version rather than an empty list. */
export async function getVersionApprovals(
  deps: CatalogDeps,
  versionId: string,
): Promise<VersionApprovalView[]> {
  await findVersionWithProduct(deps, versionId);
  return listVersionApprovals(deps, versionId);
}

/**
 * Records an approval or a rejection of one type by a user whose role may decide it, audited and
 * published (`version.approved` / `version.rejected`) in the same transaction.
 */
export async function decideVersion(
  deps: GovernanceDeps,
  actor: Actor,
  versionId: string,
  input: VersionApprovalInput,
): Promise<VersionApprovalView> {
  const refusal = approvalRefusal(actor.principal, input.type);
  if (refusal) throw new ForbiddenError(refusal);
  const { version, product } = await findVersionWithProduct(deps, versionId);
  const environment = input.environment ? await environmentField(deps, input.environment) : null;
  const now = deps.clock.now().toISOString();
  const row: ApprovalRow = {
    id: randomUUID(),
    product_id: product.id,
    version_id: version.id,
    type: input.type,
    decision: input.decision ?? "approved",
    environment_id: environment?.id ?? null,
    comment: input.comment ?? null,
    approved_by_id: actor.principal.id,
    approved_by: actor.principal.name,
    approver_role: actor.principal.role ?? null,
    created_at: now,
  };
  const approval = view(row, environment?.name ?? null);
  const batch = new EventBatch(deps.database.db);
  batch.add(batch.db.insert(versionApprovals).values(row));
  batch.add(
    auditInsert(
      batch.db,
      actor,
      {
        action: `version.${row.decision === "approved" ? "approve" : "reject"}`,
        target_type: "version",
        target_id: version.id,
        target_name: `${product.name} ${version.version}`,
        after: { ...approval },
      },
      now,
    ),
  );
  await deps.bus.publish(
    {
      type: `version.${approval.decision}`,
      occurred_at: now,
      product_id: product.id,
      product_name: product.name,
      ...(environment && {
        environment_id: environment.id,
        environment_name: environment.name,
        environment_type: environment.type,
      }),
      status: row.decision,
      data: { product, version, environment, approval },
    },
    batch,
  );
  await batch.commit();
  return approval;
}

/** An environment named in a request body: unknown is the body's fault (422), not a missing page. */
export async function environmentField(deps: CatalogDeps, ref: string, field = "environment") {
  try {
    return await findEnvironment(deps, ref);
  } catch (error) {
    if (error instanceof NotFoundError)
      throw ValidationError.field(["body", field], `Unknown environment '${ref}'`);
    throw error;
  }
}
