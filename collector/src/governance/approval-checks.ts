import { and, desc, eq, notInArray, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { deploymentRequestSlots, deploymentRequests, versionApprovals } from "../db/schema/index.ts";
import type { ApprovalType } from "./approval-types.ts";

export { APPROVAL_TYPES, type ApprovalType } from "./approval-types.ts";

/** What a deployment is about; a version or environment the caller could not resolve is null. */
export interface ApprovalSubject {
  productId: string;
  versionId: string | null;
  environmentId: string | null;
}

export interface VersionApprovalStatus {
  satisfied: boolean;
  missing: ApprovalType[];
  current: ApprovalType[];
  rejected: ApprovalType[];
}

export interface DeploymentRequestStatus {
  satisfied: boolean;
  request: { id: string; status: string } | null;
  missing: ApprovalType[];
}

/** Statuses after which a request no longer speaks for the deployment. */
export const CLOSED_REQUEST_STATUSES = ["completed", "cancelled"] as const;

/**
 * The approval types standing on the version. A type stands when an approval of it (granted for
 * `prerequisiteEnvironmentId` when one is given, anywhere otherwise) is newer than every rejection
 * of it; a rejection for another environment does not count against it, one without an
 * environment does. `rejected` are the types whose newest relevant decision is a rejection.
 */
export async function versionApprovalStatus(
  database: Pick<Database, "db">,
  subject: Pick<ApprovalSubject, "versionId">,
  required: readonly ApprovalType[],
  prerequisiteEnvironmentId?: string | null,
): Promise<VersionApprovalStatus> {
  const rows = subject.versionId
    ? await database.db
        .select({
          type: versionApprovals.type,
          decision: versionApprovals.decision,
          environment_id: versionApprovals.environment_id,
        })
        .from(versionApprovals)
        .where(eq(versionApprovals.version_id, subject.versionId))
        // rowid breaks ties between decisions made in the same millisecond: insertion order.
        .orderBy(versionApprovals.created_at, sql`rowid`)
    : [];
  const environment = prerequisiteEnvironmentId ?? null;
  // Walk oldest to newest; the last word per type wins.
  const standing = new Map<string, "approved" | "rejected">();
  for (const row of rows) {
    if (row.decision === "rejected") {
      if (environment === null || row.environment_id === null || row.environment_id === environment)
        standing.set(row.type, "rejected");
    } else if (environment === null || row.environment_id === environment) {
      standing.set(row.type, "approved");
    }
  }
  const current = typesWith(standing, "approved");
  const missing = required.filter((type) => !current.includes(type));
  return { satisfied: missing.length === 0, missing, current, rejected: typesWith(standing, "rejected") };
}

function typesWith(standing: Map<string, string>, value: string): ApprovalType[] {
  return [...standing].filter(([, v]) => v === value).map(([type]) => type as ApprovalType);
}

/**
 * The newest request for the product × version × environment that is neither completed nor
 * cancelled, and whether it lets the deployment through: status `approved` with every
 * `required` type among its approved slots.
 */
export async function deploymentRequestStatus(
  database: Pick<Database, "db">,
  subject: ApprovalSubject,
  required: readonly ApprovalType[],
): Promise<DeploymentRequestStatus> {
  const request = await openRequestFor(database, subject);
  if (!request) return { satisfied: false, request: null, missing: [...required] };
  const slots = await database.db
    .select({ type: deploymentRequestSlots.type, status: deploymentRequestSlots.status })
    .from(deploymentRequestSlots)
    .where(eq(deploymentRequestSlots.request_id, request.id));
  const approved = new Set(slots.filter((slot) => slot.status === "approved").map((slot) => slot.type));
  const missing = required.filter((type) => !approved.has(type));
  return { satisfied: request.status === "approved" && missing.length === 0, request, missing };
}

async function openRequestFor(
  database: Pick<Database, "db">,
  subject: ApprovalSubject,
): Promise<{ id: string; status: string } | null> {
  // Stryker disable next-line ConditionalExpression,LogicalOperator: a null id matches no row (= NULL is never true); the guard narrows the type and saves the query
  if (!subject.versionId || !subject.environmentId) return null;
  const [row] = await database.db
    .select({ id: deploymentRequests.id, status: deploymentRequests.status })
    .from(deploymentRequests)
    .where(
      and(
        eq(deploymentRequests.product_id, subject.productId),
        eq(deploymentRequests.version_id, subject.versionId),
        eq(deploymentRequests.environment_id, subject.environmentId),
        notInArray(deploymentRequests.status, [...CLOSED_REQUEST_STATUSES]),
      ),
    )
    .orderBy(desc(deploymentRequests.created_at), desc(sql`rowid`))
    .limit(1);
  return row ?? null;
}
