import { deployedAt } from "@versioner/schema";
import { sql } from "drizzle-orm";
import type { Database, Db } from "../db/client.ts";
import type { CompiledStatement } from "../db/compiled-writes.ts";
import type { EventTransaction } from "../events/domain-events.ts";
import type { DeploymentRow } from "../ingest/unit-of-work.ts";

/** Commit → deployment in whole milliseconds; a commit time after the deployment (clock skew) is 0. */
export function leadMs(committedAt: string | null, deployedAt: string): number | null {
  if (!committedAt) return null;
  return Math.max(0, Date.parse(deployedAt) - Date.parse(committedAt));
}

/**
 * How many facts a collector appends to `dora_pending_facts` before the ingest transaction that
 * appends the last of them moves them all into `dora_facts`. The move's cost lands on that one
 * transaction: replaying the bench's single events (groups of about 23 over 80 cells), a move of
 * 1,000 facts added about 6 ms to the 99th percentile of a group's time in the write thread, one
 * of 250 1–3 ms, for nearly the same pages (6.46 and 6.69 per event, 8.37 without). Facts wait at
 * most until then, or until the next DORA read moves them first.
 */
export const DORA_FACTS_PER_MOVE = 250;

/**
 * The fact of a finished deployment, appended in the ingest transaction to `dora_pending_facts`
 * (the schema says why) on its way into `dora_facts`.
 */
export function appendDoraFact(deployment: DeploymentRow, lead: number | null): CompiledStatement {
  return {
    sql: APPEND_DORA_FACT,
    args: [
      deployment.id,
      deployment.product_id,
      deployment.environment_id,
      deployment.status,
      deployedAt(deployment),
      lead,
    ],
  };
}

/** One SQL text for every finished deployment (compiled once, like ingest's own writes). */
const APPEND_DORA_FACT = `INSERT INTO dora_pending_facts (deployment_id, product_id, environment_id, status,
    finished_at, lead_ms, rolled_back)
  VALUES (?, ?, ?, ?, ?, ?, 0)`;

/**
 * Moves every pending fact into `dora_facts`, in the order they were appended: a later fact of a
 * deployment replaces its status, finish and lead time, and the marks set by others survive it (a
 * rollback marks both tables, so a new row brings its mark; incident writes keep the links, read
 * from `incidents` for a new row). Then the pending facts are gone. Both in one transaction.
 */
export const MOVE_DORA_FACTS: readonly CompiledStatement[] = [
  {
    sql: `INSERT INTO dora_facts (deployment_id, product_id, environment_id, status, finished_at, lead_ms,
    rolled_back, incident_linked)
  SELECT p.deployment_id, p.product_id, p.environment_id, p.status, p.finished_at, p.lead_ms, p.rolled_back,
    EXISTS (SELECT 1 FROM incidents i WHERE i.deployment_id = p.deployment_id)
  FROM dora_pending_facts p WHERE true ORDER BY p.seq
  ON CONFLICT (deployment_id) DO UPDATE SET status = excluded.status, finished_at = excluded.finished_at,
    lead_ms = excluded.lead_ms`,
    args: [],
  },
  { sql: "DELETE FROM dora_pending_facts", args: [] },
];

/**
 * Counts the facts this process appended and, once DORA_FACTS_PER_MOVE are waiting, adds the move
 * to the transaction of the one that reached it. Another collector's facts move with ours; a
 * transaction that does not commit only makes the next move larger.
 */
export function doraFactMover() {
  let appended = 0;
  return (tx: EventTransaction) => {
    if (++appended < DORA_FACTS_PER_MOVE) return;
    appended = 0;
    for (const statement of MOVE_DORA_FACTS) tx.add(statement);
  };
}

/**
 * Moves the pending facts before a read of `dora_facts` (the DORA metrics), so the read sees every
 * finished deployment. Writes only when a fact is pending.
 */
export async function moveDoraFacts(database: Database): Promise<void> {
  const [pending] = await database.db.all<{ any: number }>(
    sql`SELECT EXISTS (SELECT 1 FROM dora_pending_facts) AS "any"`,
  );
  if (!pending?.any) return;
  await database.writeLock.run(() => database.client.batch([...MOVE_DORA_FACTS], "write"));
}

/** Sets the mark on the deployment's fact, moved or still pending (statements of the same transaction). */
export function markRolledBack(tx: EventTransaction, deploymentId: string) {
  return [
    tx.db.run(sql`UPDATE dora_facts SET rolled_back = 1 WHERE deployment_id = ${deploymentId}`),
    tx.db.run(sql`UPDATE dora_pending_facts SET rolled_back = 1 WHERE deployment_id = ${deploymentId}`),
  ];
}

/**
 * After an incident names (or stops naming) deployments, in the same batch as that write. A fact
 * still pending needs nothing: its move reads the link from `incidents`.
 */
export function refreshIncidentLinks(db: Db, deploymentIds: Array<string | null>) {
  const ids = [...new Set(deploymentIds.filter((id): id is string => id !== null))];
  return db.run(sql`UPDATE dora_facts
    SET incident_linked = EXISTS (SELECT 1 FROM incidents i WHERE i.deployment_id = dora_facts.deployment_id)
    WHERE deployment_id IN ${ids.length > 0 ? ids : [""]}`);
}
