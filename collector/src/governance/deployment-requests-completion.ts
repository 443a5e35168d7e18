import { and, eq } from "drizzle-orm";
import { auditInsert } from "../audit/audit-service.ts";
import { SYSTEM_PRINCIPAL } from "../auth/capabilities.ts";
import { deploymentRequests } from "../db/schema/index.ts";
import type { DomainEventBus, EventTransaction } from "../events/domain-events.ts";
import type { DeploymentRow } from "../ingest/unit-of-work.ts";
import {
  type RequestRow,
  type RequestSubject,
  requestEvent,
  requestView,
  slotsOf,
} from "./deployment-requests-service.ts";

/** Requests completed by earlier events of the same transaction (an ingest batch). */
const completedInTransaction = new WeakMap<EventTransaction, Set<string>>();

/**
 * Plans, in the publisher's transaction, `approved → completed` for every approved request of the
 * deployment's product × version × environment, and returns the completed rows. Requests in
 * another status are left alone: a deployment that went out without approval fulfils no request.
 */
export async function completeMatchingRequests(
  tx: EventTransaction,
  deployment: Pick<DeploymentRow, "id" | "product_id" | "version_id" | "environment_id">,
  at: string,
): Promise<RequestRow[]> {
  let done = completedInTransaction.get(tx);
  if (!done) {
    done = new Set();
    completedInTransaction.set(tx, done);
  }
  // A version this transaction creates has no request yet (requests name a stored version).
  if (tx.createsVersion?.(deployment.version_id)) return [];
  // Served by deployment_requests_subject_idx; almost always empty.
  const rows = await tx.db
    .select()
    .from(deploymentRequests)
    .where(
      and(
        eq(deploymentRequests.product_id, deployment.product_id),
        eq(deploymentRequests.version_id, deployment.version_id),
        eq(deploymentRequests.environment_id, deployment.environment_id),
        eq(deploymentRequests.status, "approved"),
      ),
    );
  const completed: RequestRow[] = [];
  for (const before of rows) {
    if (done.has(before.id)) continue;
    done.add(before.id);
    const after: RequestRow = {
      ...before,
      status: "completed",
      completed_at: at,
      completed_by_deployment_id: deployment.id,
      updated_at: at,
    };
    tx.add(tx.db.update(deploymentRequests).set(after).where(eq(deploymentRequests.id, before.id)));
    completed.push(after);
  }
  return completed;
}

/**
 * Completes approved deployment requests when their deployment completes, inside the ingest
 * transaction (like insights/rollback-detector.ts), audited as the system and published as
 * `deployment_request.completed`. Only an event that completed the deployment counts: a repeated
 * `completed` report of a deployment finished before the approval fulfils nothing.
 */
export function registerDeploymentRequestCompletion(bus: DomainEventBus): void {
  bus.subscribe(async (event, tx) => {
    if (event.type !== "deployment.completed") return;
    const { data } = event;
    const { deployment } = data;
    // The event's type is the deployment's status, so it is completed; an unchanged row (a late
    // report of a run that completed earlier) fulfils nothing.
    if (deployment.updated_at !== event.occurred_at) return;
    const completed = await completeMatchingRequests(tx, deployment, event.occurred_at);
    // Almost always empty: slotsOf answers an empty list without a query.
    const slots = await slotsOf(
      tx.db,
      completed.map((row) => row.id),
    );
    const subject: RequestSubject = {
      product: data.product,
      version: data.version,
      environment: data.environment,
    };
    for (const row of completed) {
      const view = requestView(row, subject, slots.get(row.id) ?? []);
      tx.add(
        auditInsert(
          tx.db,
          { principal: SYSTEM_PRINCIPAL, requestId: `deployment:${deployment.id}` },
          {
            action: "deployment_request.complete",
            target_type: "deployment_request",
            target_id: row.id,
            target_name: row.name,
            after: { ...view },
          },
          event.occurred_at,
        ),
      );
      await bus.publish(
        requestEvent("deployment_request.completed", view, subject, event.occurred_at, { deployment }),
        tx,
      );
    }
  });
}
