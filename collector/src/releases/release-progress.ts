import type { EnvironmentType, Status } from "@versioner/schema";
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { compareEnvironments } from "../catalog/environments-service.ts";
import type { CatalogDeps } from "../catalog/products-service.ts";
import type { Db } from "../db/client.ts";
import { deployments, environments, releases, releaseVersions } from "../db/schema/index.ts";
import type { DomainEventBus, EventTransaction } from "../events/domain-events.ts";
import { deploymentTime } from "../ingest/ingest-service.ts";
import {
  findRelease,
  members,
  OPEN_STATUSES,
  type ReleaseRow,
  type ReleaseStatus,
  releaseEvent,
  releaseView,
} from "./releases-service.ts";

type DeploymentRow = typeof deployments.$inferSelect;
type EnvironmentRow = typeof environments.$inferSelect;

export const CELL_STATUSES = ["deployed", "in_progress", "failed", "not_deployed"] as const;
export type CellStatus = (typeof CELL_STATUSES)[number];

/** A member version's state in one environment, from its latest deployment attempt there. */
function cellStatus(status: string | undefined): CellStatus {
  if (status === "completed") return "deployed";
  if (status === "pending" || status === "started") return "in_progress";
  if (status === "failed" || status === "aborted") return "failed";
  return "not_deployed";
}

const cellKey = (versionId: string, environmentId: string) => `${versionId}\u0000${environmentId}`;

// A deployment planned in this transaction was received after every stored one of the same
// time, so it wins ties.
function isLaterOrSame(planned: DeploymentRow, stored: DeploymentRow): boolean {
  return planned.created_at >= stored.created_at;
}

/** The latest deployment of each (version, environment), optionally limited to some environments. */
async function latestDeployments(
  db: Db,
  versionIds: string[],
  environmentIds?: string[],
): Promise<Map<string, DeploymentRow>> {
  const latest = new Map<string, DeploymentRow>();
  if (versionIds.length === 0) return latest;
  const rows = await db
    .select()
    .from(deployments)
    .where(
      and(
        inArray(deployments.version_id, versionIds),
        environmentIds ? inArray(deployments.environment_id, environmentIds) : undefined,
      ),
    )
    // rowid follows insertion order: it breaks ties between deployments of the same millisecond.
    .orderBy(desc(deployments.created_at), desc(sql`rowid`));
  for (const row of rows) {
    const key = cellKey(row.version_id, row.environment_id);
    if (!latest.has(key)) latest.set(key, row);
  }
  return latest;
}

/** Targets: the release's named environments, or every production-type environment. */
function targets(release: ReleaseRow, envs: EnvironmentRow[]): EnvironmentRow[] {
  return release.target_environment_ids.length > 0
    ? envs.filter((env) => release.target_environment_ids.includes(env.id))
    : envs.filter((env) => env.type === "production");
}

/** The member products × environments grid of a release. */
export async function getProgress(deps: CatalogDeps, ref: string) {
  const release = await findRelease(deps, ref);
  const db = deps.database.db;
  const [memberRows, envRows] = await Promise.all([
    members(deps, release.id),
    db.select().from(environments),
  ]);
  const envs = envRows.sort(compareEnvironments);
  const targetIds = new Set(targets(release, envs).map((env) => env.id));
  const latest = await latestDeployments(
    db,
    memberRows.map((m) => m.version_id),
  );
  const summary: Record<CellStatus, number> = { deployed: 0, in_progress: 0, failed: 0, not_deployed: 0 };
  const products = memberRows.map((member) => ({
    product_id: member.product_id,
    product_name: member.product_name,
    version_id: member.version_id,
    version: member.version,
    cells: envs.map((env) => {
      const deployment = latest.get(cellKey(member.version_id, env.id));
      const status = cellStatus(deployment?.status);
      if (targetIds.has(env.id)) summary[status] += 1;
      return {
        environment_id: env.id,
        environment_name: env.name,
        status,
        deployment_id: deployment?.id ?? null,
        deployment_status: (deployment?.status as Status | undefined) ?? null,
        at: deployment ? deploymentTime(deployment) : null,
      };
    }),
  }));
  const names = new Map(envs.map((env) => [env.id, env.name]));
  return {
    release: releaseView(release, names),
    environments: envs.map((env) => ({
      id: env.id,
      name: env.name,
      type: env.type as EnvironmentType,
      target: targetIds.has(env.id),
    })),
    products,
    summary,
  };
}

/** What one ingest transaction has planned so far, so a batch sees its own earlier events. */
interface Planned {
  releases: Map<string, ReleaseRow>;
  deployments: Map<string, DeploymentRow>;
  environments: Map<string, EnvironmentRow>;
}
const plannedByTransaction = new WeakMap<EventTransaction, Planned>();

function planned(tx: EventTransaction): Planned {
  let state = plannedByTransaction.get(tx);
  if (!state) {
    state = { releases: new Map(), deployments: new Map(), environments: new Map() };
    plannedByTransaction.set(tx, state);
  }
  return state;
}

interface DeploymentEventData {
  deployment: DeploymentRow;
  environment: EnvironmentRow;
  version: { id: string; version: string };
  product: { id: string; name: string };
}

/**
 * Moves releases along as their member versions are deployed, inside the ingest transaction:
 * `in_progress` at the first member deployment, `completed` once every member's latest
 * deployment to every target environment completed; a failed one publishes `release.member_failed`.
 */
export function registerReleaseHandlers(bus: DomainEventBus): void {
  bus.subscribe(async (event, tx) => {
    if (!event.type.startsWith("deployment.")) return;
    const data = event.data as unknown as DeploymentEventData;
    // Only the status change itself moves a release; derived events (deployment.rolled_back) repeat it.
    if (event.type !== `deployment.${data.deployment.status}`) return;
    const state = planned(tx);
    const { deployment, environment } = data;
    state.deployments.set(cellKey(deployment.version_id, deployment.environment_id), deployment);
    state.environments.set(environment.id, environment);

    // The one query every deployment pays: indexed by version, usually empty.
    const rows = await tx.db
      .select({ release: releases })
      .from(releaseVersions)
      .innerJoin(releases, eq(releases.id, releaseVersions.release_id))
      .where(
        and(
          eq(releaseVersions.version_id, deployment.version_id),
          inArray(releases.status, [...OPEN_STATUSES]),
        ),
      );
    const at = event.occurred_at;
    const member = { product: data.product, version: data.version, environment, deployment };
    const context = {
      product_id: data.product.id,
      product_name: data.product.name,
      environment_id: environment.id,
      environment_name: environment.name,
      environment_type: environment.type,
    };
    for (const { release: stored } of rows) {
      let release = state.releases.get(stored.id) ?? stored;
      if (!OPEN_STATUSES.includes(release.status as ReleaseStatus)) continue;
      if (release.status === "draft") {
        release = { ...release, status: "in_progress", started_at: at, updated_at: at };
        tx.add(setStatus(tx, release));
        await bus.publish({ ...releaseEvent("release.in_progress", release, at, member), ...context }, tx);
      }
      if (deployment.status === "failed") {
        await bus.publish({ ...releaseEvent("release.member_failed", release, at, member), ...context }, tx);
      }
      if (deployment.status === "completed" && (await isComplete(tx, release, state))) {
        release = { ...release, status: "completed", completed_at: at, updated_at: at };
        tx.add(setStatus(tx, release));
        await bus.publish({ ...releaseEvent("release.completed", release, at, member), ...context }, tx);
      }
      state.releases.set(release.id, release);
    }
  });
}

// Guarded by the open statuses, so a release cancelled meanwhile by another process stays cancelled.
function setStatus(tx: EventTransaction, release: ReleaseRow) {
  return tx.db
    .update(releases)
    .set({
      status: release.status,
      started_at: release.started_at,
      completed_at: release.completed_at,
      updated_at: release.updated_at,
    })
    .where(and(eq(releases.id, release.id), inArray(releases.status, [...OPEN_STATUSES])));
}

async function isComplete(tx: EventTransaction, release: ReleaseRow, state: Planned): Promise<boolean> {
  const memberRows = await tx.db
    .select({ version_id: releaseVersions.version_id })
    .from(releaseVersions)
    .where(eq(releaseVersions.release_id, release.id));
  const envRows = await tx.db.select().from(environments);
  for (const env of state.environments.values()) if (!envRows.some((e) => e.id === env.id)) envRows.push(env);
  const targetIds = targets(release, envRows).map((env) => env.id);
  // No member or no target environment: nothing says the release has shipped.
  if (memberRows.length === 0 || targetIds.length === 0) return false;
  const versionIds = memberRows.map((m) => m.version_id);
  const latest = await latestDeployments(tx.db, versionIds, targetIds);
  for (const [key, row] of state.deployments) {
    const stored = latest.get(key);
    if (!stored || stored.id === row.id || isLaterOrSame(row, stored)) latest.set(key, row);
  }
  return versionIds.every((versionId) =>
    targetIds.every((envId) => latest.get(cellKey(versionId, envId))?.status === "completed"),
  );
}
