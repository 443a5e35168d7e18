import { isSucceeded } from "@versioner/schema";
/** What ran in an environment just before a deployment completed there. */
export interface ReplacedCell {
  deployment_id: string;
  version_id: string;
  version: string;
  deployed_at: string;
}

export interface CompletedDeployment {
  id: string;
  version_id: string;
  /** When it went live (completed_at). */
  at: string;
}

/**
 * Datadog's rule: a completed deployment is a rollback when its version differs from the version it
 * replaced in that environment and equals a version that completed there earlier. Redeploying the
 * current version is not one; a deployment that completes "in the past" (a late event that does not
 * become current) replaces nothing and is not one either.
 */
export function isRollback(
  replaced: ReplacedCell | null,
  deployment: CompletedDeployment,
  versionRanThereBefore: boolean,
): boolean {
  if (!replaced || replaced.deployment_id === deployment.id) return false;
  if (replaced.version_id === deployment.version_id) return false;
  if (deployment.at < replaced.deployed_at) return false;
  return versionRanThereBefore;
}

export interface HistoryEntry {
  id: string;
  version_id: string;
  version: string;
  status: string;
  at: string;
}

export interface RollbackMark {
  deployment_id: string;
  replaced_deployment_id: string;
  rolled_back_from_version: string;
}

/**
 * The rule applied to one product's history in one environment, in the order the deployments were
 * recorded: the reference the ingest-time detector (rollback-detector.ts) is tested against.
 */
export function rollbacksInHistory(history: HistoryEntry[]): RollbackMark[] {
  const marks: RollbackMark[] = [];
  const ran = new Set<string>();
  let current: ReplacedCell | null = null;
  for (const entry of history) {
    if (!isSucceeded(entry.status)) continue;
    const deployment = { id: entry.id, version_id: entry.version_id, at: entry.at };
    if (isRollback(current, deployment, ran.has(entry.version_id)) && current) {
      marks.push({
        deployment_id: entry.id,
        replaced_deployment_id: current.deployment_id,
        rolled_back_from_version: current.version,
      });
    }
    ran.add(entry.version_id);
    if (!current || entry.at >= current.deployed_at) {
      current = {
        deployment_id: entry.id,
        version_id: entry.version_id,
        version: entry.version,
        deployed_at: entry.at,
      };
    }
  }
  return marks;
}
