import { deployedAt, SUCCEEDED_STATUS } from "@versioner/schema";
import { sql } from "drizzle-orm";
import { deploymentRollbacks } from "../db/schema/index.ts";
import type { DomainEventBus, EventTransaction } from "../events/domain-events.ts";
import type { DeploymentRow, StateRow } from "../ingest/unit-of-work.ts";
import { appendDoraFact, doraFactMover, leadMs, markRolledBack } from "./dora-facts.ts";
import { isRollback, type ReplacedCell } from "./rollbacks.ts";

const cellVersionKey = (productId: string, environmentId: string, versionId: string) =>
  `${productId}\u0000${environmentId}\u0000${versionId}`;

/** Versions completed in each environment by events earlier in the same transaction (a batch). */
const completedInTransaction = new WeakMap<EventTransaction, Set<string>>();

function replacedCell(state: StateRow | undefined): ReplacedCell | null {
  if (!state?.current_deployment_id || !state.current_version_id || !state.current_version) return null;
  if (!state.current_deployed_at) return null;
  return {
    deployment_id: state.current_deployment_id,
    version_id: state.current_version_id,
    version: state.current_version,
    deployed_at: state.current_deployed_at,
  };
}

/**
 * Another completed deployment of the same version there. INDEXED BY keeps this on
 * deployments_lifecycle_idx (version, environment): left free, SQLite prefers the
 * covering DORA index and reads the whole history of the product in the environment.
 */
export function completedBeforeQuery(
  deployment: Pick<DeploymentRow, "id" | "product_id" | "environment_id" | "version_id">,
) {
  return sql`SELECT id FROM deployments INDEXED BY deployments_lifecycle_idx
    WHERE product_id = ${deployment.product_id} AND environment_id = ${deployment.environment_id}
      AND version_id = ${deployment.version_id} AND status = ${SUCCEEDED_STATUS} AND id <> ${deployment.id}
    LIMIT 1`;
}

async function ranThereBefore(tx: EventTransaction, deployment: DeploymentRow, planned: Set<string>) {
  if (planned.has(cellVersionKey(deployment.product_id, deployment.environment_id, deployment.version_id)))
    return true;
  // A version this transaction creates has no stored deployment: only the planned ones count.
  if (tx.createsVersion?.(deployment.version_id)) return false;
  const [row] = await tx.db.all<{ id: string }>(completedBeforeQuery(deployment));
  return row !== undefined;
}

/**
 * Decides inside the ingest transaction whether a completed deployment is a rollback (rollbacks.ts),
 * records the mark in the same batch, and publishes `deployment.rolled_back` so notification
 * channels can subscribe to it. It also keeps DORA's read model (dora-facts.ts) for every
 * finished deployment: the fact is appended, and moved with others (DORA_FACTS_PER_MOVE). A batch
 * sees its own earlier deployments.
 */
export function registerRollbackDetector(bus: DomainEventBus): void {
  const moveFacts = doraFactMover();
  bus.subscribe(async (event, tx) => {
    if (event.type === "deployment.failed") {
      tx.add(appendDoraFact(event.data.deployment, null));
      moveFacts(tx);
      return;
    }
    if (event.type !== "deployment.completed") return;
    const { data } = event;
    const { deployment } = data;
    let planned = completedInTransaction.get(tx);
    if (!planned) {
      planned = new Set();
      completedInTransaction.set(tx, planned);
    }
    const replaced = replacedCell(data.state_before);
    const candidate = {
      id: deployment.id,
      version_id: deployment.version_id,
      at: deployedAt(deployment),
    };
    const ranBefore = await ranThereBefore(tx, deployment, planned);
    const rolledBack = isRollback(replaced, candidate, ranBefore);
    tx.add(
      appendDoraFact(deployment, ranBefore ? null : leadMs(data.version.scm_committed_at, candidate.at)),
    );
    moveFacts(tx);
    planned.add(cellVersionKey(deployment.product_id, deployment.environment_id, deployment.version_id));
    if (!rolledBack || !replaced) return;
    const rollback = {
      deployment_id: deployment.id,
      replaced_deployment_id: replaced.deployment_id,
      product_id: deployment.product_id,
      environment_id: deployment.environment_id,
      rolled_back_from_version_id: replaced.version_id,
      rolled_back_from_version: replaced.version,
      detected_at: event.occurred_at,
    };
    // Later subscribers of this deployment.completed (the outbox writer) read it from the event.
    data.rollback = rollback;
    tx.add(tx.db.insert(deploymentRollbacks).values(rollback).onConflictDoNothing());
    for (const mark of markRolledBack(tx, replaced.deployment_id)) tx.add(mark);
    await bus.publish({ ...event, type: "deployment.rolled_back", data: { ...data, rollback } }, tx);
  });
}
