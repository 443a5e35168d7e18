import { randomUUID } from "node:crypto";
import { ERROR_CODES } from "@versioner/schema";
import { and, desc, eq, inArray, or, type SQL } from "drizzle-orm";
import { type Actor, auditInsert } from "../audit/audit-service.ts";
import { type CatalogDeps, findProduct } from "../catalog/products-service.ts";
import type { Db } from "../db/client.ts";
import { afterCursor, toPage } from "../db/pagination.ts";
import {
  deploymentRequestSlots,
  deploymentRequests,
  environments,
  products,
  versions,
} from "../db/schema/index.ts";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "../errors.ts";
import type { DeploymentRequestEvent } from "../events/domain-events.ts";
import { EventBatch } from "../events/event-batch.ts";
import {
  APPROVAL_TYPES,
  type ApprovalDecision,
  type ApprovalType,
  approvalRefusal,
} from "./approval-types.ts";
import { environmentField } from "./approvals-service.ts";
import type { GovernanceDeps } from "./governance-deps.ts";

export const DEPLOYMENT_REQUEST_STATUSES = [
  "draft",
  "in_progress",
  "approved",
  "rejected",
  "completed",
  "cancelled",
] as const;
export type DeploymentRequestStatus = (typeof DEPLOYMENT_REQUEST_STATUSES)[number];
export const SLOT_STATUSES = ["pending", "approved", "rejected"] as const;
export type SlotStatus = (typeof SLOT_STATUSES)[number];

export type RequestRow = typeof deploymentRequests.$inferSelect;
type SlotRow = typeof deploymentRequestSlots.$inferSelect;
type EnvironmentRow = typeof environments.$inferSelect;

export interface SlotView {
  type: ApprovalType;
  status: SlotStatus;
  decided_by: string | null;
  decided_role: string | null;
  comment: string | null;
  decided_at: string | null;
}

export interface DeploymentRequestView {
  id: string;
  name: string;
  description: string | null;
  product: string;
  product_id: string;
  version: string;
  version_id: string;
  environment: string;
  environment_id: string;
  status: DeploymentRequestStatus;
  slots: SlotView[];
  created_by: string;
  created_at: string;
  updated_at: string;
  submitted_at: string | null;
  decided_at: string | null;
  completed_at: string | null;
  completed_by_deployment_id: string | null;
  cancelled_at: string | null;
}

/** The product, version and environment rows a request is about. */
export interface RequestSubject {
  product: typeof products.$inferSelect;
  version: typeof versions.$inferSelect;
  environment: EnvironmentRow;
}

const slotOrder = (slot: { type: string }) => APPROVAL_TYPES.indexOf(slot.type as ApprovalType);

function slotView(slot: SlotRow): SlotView {
  return {
    type: slot.type as ApprovalType,
    status: slot.status as SlotStatus,
    decided_by: slot.decided_by,
    decided_role: slot.decided_role,
    comment: slot.comment,
    decided_at: slot.decided_at,
  };
}

export function requestView(
  row: RequestRow,
  subject: RequestSubject,
  slots: SlotRow[],
): DeploymentRequestView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    product: subject.product.name,
    product_id: row.product_id,
    version: subject.version.version,
    version_id: row.version_id,
    environment: subject.environment.name,
    environment_id: row.environment_id,
    status: row.status as DeploymentRequestStatus,
    slots: [...slots].sort((a, b) => slotOrder(a) - slotOrder(b)).map(slotView),
    created_by: row.created_by,
    created_at: row.created_at,
    updated_at: row.updated_at,
    submitted_at: row.submitted_at,
    decided_at: row.decided_at,
    completed_at: row.completed_at,
    completed_by_deployment_id: row.completed_by_deployment_id,
    cancelled_at: row.cancelled_at,
  };
}

/** The event a change publishes: scoped to the request's product and environment, like a deployment. */
export function requestEvent(
  type: DeploymentRequestEvent["type"],
  view: DeploymentRequestView,
  subject: RequestSubject,
  at: string,
  data: Pick<DeploymentRequestEvent["data"], "slot" | "deployment"> = {},
): DeploymentRequestEvent {
  return {
    type,
    occurred_at: at,
    product_id: subject.product.id,
    product_name: subject.product.name,
    environment_id: subject.environment.id,
    environment_name: subject.environment.name,
    environment_type: subject.environment.type,
    status: view.status,
    data: { ...subject, deployment_request: view, ...data },
  };
}

const joined = (db: Db) =>
  db
    .select({ request: deploymentRequests, product: products, version: versions, environment: environments })
    .from(deploymentRequests)
    .innerJoin(products, eq(products.id, deploymentRequests.product_id))
    .innerJoin(versions, eq(versions.id, deploymentRequests.version_id))
    .innerJoin(environments, eq(environments.id, deploymentRequests.environment_id));

export async function slotsOf(db: Db, requestIds: string[]): Promise<Map<string, SlotRow[]>> {
  const bySlot = new Map<string, SlotRow[]>();
  // Stryker disable next-line ConditionalExpression: only saves the query, which finds no slots for no ids
  if (requestIds.length === 0) return bySlot;
  const rows = await db
    .select()
    .from(deploymentRequestSlots)
    .where(inArray(deploymentRequestSlots.request_id, requestIds));
  for (const row of rows) bySlot.set(row.request_id, [...(bySlot.get(row.request_id) ?? []), row]);
  return bySlot;
}

interface Loaded extends RequestSubject {
  request: RequestRow;
  slots: SlotRow[];
}

async function loadRequest(db: Db, id: string): Promise<Loaded> {
  const [row] = await joined(db).where(eq(deploymentRequests.id, id)).limit(1);
  if (!row) throw new NotFoundError(`Deployment request '${id}'`);
  return { ...row, slots: (await slotsOf(db, [id])).get(id) ?? [] };
}

const viewOf = (loaded: Loaded) => requestView(loaded.request, loaded, loaded.slots);

/** Newest first; product and environment filters take names or ids. */
export async function listDeploymentRequests(
  deps: CatalogDeps,
  query: {
    status?: DeploymentRequestStatus;
    product?: string;
    environment?: string;
    limit: number;
    cursor?: string;
  },
) {
  const where: SQL[] = [];
  if (query.status) where.push(eq(deploymentRequests.status, query.status));
  if (query.product) where.push(or(eq(products.name, query.product), eq(products.id, query.product)) as SQL);
  if (query.environment) {
    where.push(or(eq(environments.name, query.environment), eq(environments.id, query.environment)) as SQL);
  }
  if (query.cursor)
    where.push(afterCursor(query.cursor, deploymentRequests.created_at, deploymentRequests.id));
  const db = deps.database.db;
  const rows = await joined(db)
    .where(and(...where))
    .orderBy(desc(deploymentRequests.created_at), desc(deploymentRequests.id))
    .limit(query.limit + 1);
  const slots = await slotsOf(
    db,
    rows.map((row) => row.request.id),
  );
  return toPage(
    rows,
    query.limit,
    (row) => ({ at: row.request.created_at, id: row.request.id }),
    (row) => requestView(row.request, row, slots.get(row.request.id) ?? []),
  );
}

export async function getDeploymentRequest(deps: CatalogDeps, id: string): Promise<DeploymentRequestView> {
  return viewOf(await loadRequest(deps.database.db, id));
}

export interface DeploymentRequestInput {
  product: string;
  version: string;
  environment: string;
  name?: string;
  description?: string | null;
  approval_types: ApprovalType[];
}

/** Resolves the body's product, version and environment; an unknown one is a 422 naming its field. */
async function resolveSubject(deps: CatalogDeps, input: DeploymentRequestInput): Promise<RequestSubject> {
  const product = await findProduct(deps, input.product).catch((error: unknown) => {
    if (error instanceof NotFoundError)
      throw ValidationError.field(["body", "product"], `Unknown product '${input.product}'`);
    throw error;
  });
  const [version] = await deps.database.db
    .select()
    .from(versions)
    .where(and(eq(versions.product_id, product.id), eq(versions.version, input.version)))
    .limit(1);
  if (!version) {
    throw ValidationError.field(
      ["body", "version"],
      `Unknown version '${input.version}' of '${product.name}'`,
    );
  }
  return { product, version, environment: await environmentField(deps, input.environment) };
}

/** A new request in `draft`, with one pending slot per approval type. */
export async function createDeploymentRequest(
  deps: GovernanceDeps,
  actor: Actor,
  input: DeploymentRequestInput,
): Promise<DeploymentRequestView> {
  const subject = await resolveSubject(deps, input);
  const now = deps.clock.now().toISOString();
  const request: RequestRow = {
    id: randomUUID(),
    name: input.name ?? `${subject.product.name} ${subject.version.version} to ${subject.environment.name}`,
    description: input.description ?? null,
    product_id: subject.product.id,
    version_id: subject.version.id,
    environment_id: subject.environment.id,
    status: "draft",
    created_by_id: actor.principal.id,
    created_by: actor.principal.name,
    submitted_at: null,
    decided_at: null,
    completed_at: null,
    completed_by_deployment_id: null,
    cancelled_at: null,
    created_at: now,
    updated_at: now,
  };
  const slots: SlotRow[] = [...new Set(input.approval_types)].map((type) => ({
    request_id: request.id,
    type,
    status: "pending",
    decided_by_id: null,
    decided_by: null,
    decided_role: null,
    comment: null,
    decided_at: null,
  }));
  const view = requestView(request, subject, slots);
  const batch = new EventBatch(deps.database.db);
  batch.add(batch.db.insert(deploymentRequests).values(request));
  for (const slot of slots) batch.add(batch.db.insert(deploymentRequestSlots).values(slot));
  batch.add(requestAudit(batch.db, actor, "create", view, null, now));
  await deps.bus.publish(requestEvent("deployment_request.created", view, subject, now), batch);
  await batch.commit();
  return view;
}

function requestAudit(
  db: Db,
  actor: Actor,
  verb: string,
  after: DeploymentRequestView,
  before: DeploymentRequestView | null,
  at: string,
) {
  return auditInsert(
    db,
    actor,
    {
      action: `deployment_request.${verb}`,
      target_type: "deployment_request",
      target_id: after.id,
      target_name: after.name,
      before: before ? { ...before } : null,
      after: { ...after },
    },
    at,
  );
}

function refuseTransition(loaded: Loaded, what: string): never {
  throw new ConflictError(
    ERROR_CODES.CONFLICT,
    `Deployment request '${loaded.request.name}' is ${loaded.request.status}: ${what}`,
  );
}

/**
 * One read-check-write step of a request's lifecycle under the write lock: `plan` returns the
 * changed request (and slot), whose update, audit entry and events commit in one transaction.
 */
async function transition(
  deps: GovernanceDeps,
  actor: Actor,
  id: string,
  plan: (
    loaded: Loaded,
    now: string,
  ) => {
    request: RequestRow;
    slot?: SlotRow;
    verb: string;
    events: string[];
  } | null,
): Promise<DeploymentRequestView> {
  return deps.database.writeLock.run(async () => {
    const db = deps.database.db;
    const loaded = await loadRequest(db, id);
    const now = deps.clock.now().toISOString();
    const change = plan(loaded, now);
    if (!change) return viewOf(loaded);
    const { slot } = change;
    const slots = slot ? loaded.slots.map((s) => (s.type === slot.type ? slot : s)) : loaded.slots;
    const before = viewOf(loaded);
    const after = requestView(change.request, loaded, slots);
    const batch = new EventBatch(db);
    batch.add(db.update(deploymentRequests).set(change.request).where(eq(deploymentRequests.id, id)));
    if (slot) {
      batch.add(
        db
          .update(deploymentRequestSlots)
          .set(slot)
          .where(and(eq(deploymentRequestSlots.request_id, id), eq(deploymentRequestSlots.type, slot.type))),
      );
    }
    batch.add(requestAudit(db, actor, change.verb, after, before, now));
    const data = slot ? { slot: slotView(slot) } : {};
    for (const type of change.events) {
      await deps.bus.publish(requestEvent(`deployment_request.${type}`, after, loaded, now, data), batch);
    }
    await batch.commit();
    return after;
  });
}

/** draft → in_progress: the slots are now open for decisions. */
export function submitDeploymentRequest(deps: GovernanceDeps, actor: Actor, id: string) {
  return transition(deps, actor, id, (loaded, now) => {
    if (loaded.request.status !== "draft") refuseTransition(loaded, "only a draft can be submitted");
    return {
      request: { ...loaded.request, status: "in_progress", submitted_at: now, updated_at: now },
      verb: "submit",
      events: ["submitted"],
    };
  });
}

/** Any request not yet completed may be cancelled; cancelling a cancelled one changes nothing. */
export function cancelDeploymentRequest(deps: GovernanceDeps, actor: Actor, id: string) {
  return transition(deps, actor, id, (loaded, now) => {
    if (loaded.request.status === "cancelled") return null;
    if (loaded.request.status === "completed")
      refuseTransition(loaded, "a completed request cannot be cancelled");
    return {
      request: { ...loaded.request, status: "cancelled", cancelled_at: now, updated_at: now },
      verb: "cancel",
      events: ["cancelled"],
    };
  });
}

/**
 * Decides one slot of an in-progress request, as a user whose role maps to its type. Every slot
 * approved makes the request `approved`; one rejection makes it `rejected` (a new request is
 * needed). An approved slot may still be turned into a rejection while the request is open.
 */
export function decideSlot(
  deps: GovernanceDeps,
  actor: Actor,
  id: string,
  type: ApprovalType,
  input: { decision: ApprovalDecision; comment?: string | null },
) {
  const refusal = approvalRefusal(actor.principal, type);
  if (refusal) throw new ForbiddenError(refusal);
  return transition(deps, actor, id, (loaded, now) => {
    const current = loaded.slots.find((s) => s.type === type);
    if (!current)
      throw new NotFoundError(`Approval slot '${type}' of deployment request '${loaded.request.name}'`);
    if (loaded.request.status === "draft") refuseTransition(loaded, "submit it before deciding its slots");
    if (loaded.request.status !== "in_progress")
      refuseTransition(loaded, "its slots can no longer be decided");
    if (current.status === input.decision) {
      // A pending slot is never "decided" again, so a slot in the decision's status names its decider.
      throw new ConflictError(
        ERROR_CODES.CONFLICT,
        `The '${type}' slot is already ${current.status} (by ${current.decided_by})`,
      );
    }
    const slot: SlotRow = {
      ...current,
      status: input.decision,
      decided_by_id: actor.principal.id,
      decided_by: actor.principal.name,
      decided_role: actor.principal.role ?? null,
      comment: input.comment ?? null,
      decided_at: now,
    };
    const statuses = loaded.slots.map((s) => (s.type === type ? slot.status : s.status));
    const outcome = statuses.includes("rejected")
      ? "rejected"
      : statuses.every((s) => s === "approved")
        ? "approved"
        : null;
    const request: RequestRow = outcome
      ? { ...loaded.request, status: outcome, decided_at: now, updated_at: now }
      : { ...loaded.request, updated_at: now };
    return {
      request,
      slot,
      verb: input.decision === "approved" ? "approve_slot" : "reject_slot",
      events: outcome ? ["slot_decided", outcome] : ["slot_decided"],
    };
  });
}
