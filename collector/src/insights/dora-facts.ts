import { deployedAt } from "@versioner/schema";
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import type { CompiledStatement } from "../db/compiled-writes.ts";
import type { EventTransaction } from "../events/domain-events.ts";
import type { DeploymentRow } from "../ingest/unit-of-work.ts";

/** Commit → deployment in whole milliseconds; a commit time after the deployment (clock skew) is 0. */
export function leadMs(committedAt: string | null, deployedAt: string): number | null {
  if (!committedAt) return null;
  return Math.max(0, Date.parse(deployedAt) - Date.parse(committedAt));
}

/**
 * The dora_facts row of a finished deployment, written in the ingest transaction. Marks set by
 * others (rolled back, incident linked) survive a later event of the same deployment.
 */
export function upsertDoraFact(deployment: DeploymentRow, lead: number | null): CompiledStatement {
  return {
    sql: UPSERT_DORA_FACT,
    args: [
      deployment.id,
      deployment.product_id,
      deployment.environment_id,
      deployment.status,
      deployedAt(deployment),
      lead,
      deployment.id,
    ],
  };
}

/** One SQL text for every finished deployment (compiled once, like ingest's own writes). */
const UPSERT_DORA_FACT = `INSERT INTO dora_facts (deployment_id, product_id, environment_id, status, finished_at,
    lead_ms, rolled_back, incident_linked)
  VALUES (?, ?, ?, ?, ?, ?, 0, EXISTS (SELECT 1 FROM incidents WHERE deployment_id = ?))
  ON CONFLICT (deployment_id) DO UPDATE SET status = excluded.status, finished_at = excluded.finished_at,
    lead_ms = excluded.lead_ms`;

export function markRolledBack(tx: EventTransaction, deploymentId: string) {
  return tx.db.run(sql`UPDATE dora_facts SET rolled_back = 1 WHERE deployment_id = ${deploymentId}`);
}

/** After an incident names (or stops naming) deployments, in the same batch as that write. */
export function refreshIncidentLinks(db: Db, deploymentIds: Array<string | null>) {
  const ids = [...new Set(deploymentIds.filter((id): id is string => id !== null))];
  return db.run(sql`UPDATE dora_facts
    SET incident_linked = EXISTS (SELECT 1 FROM incidents i WHERE i.deployment_id = dora_facts.deployment_id)
    WHERE deployment_id IN ${ids.length > 0 ? ids : [""]}`);
}
