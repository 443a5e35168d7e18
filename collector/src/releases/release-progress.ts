import {
  deployedAt,
  type EnvironmentType,
  isFailed,
  isInProgress,
  isSucceeded,
  type Status,
  SUCCEEDED_STATUS,
} from "@versioner/schema";
import { and, desc, eq, inArray, ne, sql } from "drizzle-orm";
import { compareEnvironments } from "../catalog/environments-service.ts";
import type { CatalogDeps } from "../catalog/products-service.ts";
import type { Db } from "../db/client.ts";
import { currentState, deployments, environments, releases, releaseVersions } from "../db/schema/index.ts";
import {
  type BusEvent,
  type DeploymentEventData,
  type DomainEventBus,
  type EventTransaction,
  isDeploymentStatusEvent,
} from "../events/domain-events.ts";
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
  if (status === undefined) return "not_deployed";
  if (isSucceeded(status)) return "deployed";
  if (isInProgress(status)) return "in_progress";
  if (isFailed(status)) return "failed";
  return "not_deployed";
}

const cellKey = (versionId: string, environmentId: string) => `${versionId}\u0000${environmentId}`;

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

/** The (version, environment) cells where a version of these products runs now. */
async function runningCells(db: Db, productIds: string[]): Promise<Set<string>> {
  if (productIds.length === 0) return new Set();
  const rows = await db
    .select({ version_id: currentState.current_version_id, environment_id: currentState.environment_id })
    .from(currentState)
    .where(inArray(currentState.product_id, productIds));
  return new Set(
    rows.flatMap((row) => (row.version_id ? [cellKey(row.version_id, row.environment_id)] : [])),
  );
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
  const [latest, running] = await Promise.all([
    latestDeployments(
      db,
      memberRows.map((m) => m.version_id),
    ),
    runningCells(
      db,
      memberRows.map((m) => m.product_id),
    ),
  ]);
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
        at: deployment ? deployedAt(deployment) : null,
        running: running.has(cellKey(member.version_id, env.id)),
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
  environments: Map<string, EnvironmentRow>;
  /** Cells (version × environment) where an earlier event of this transaction completed a deployment. */
  ran: Set<string>;
}
const plannedByTransaction = new WeakMap<EventTransaction, Planned>();

function planned(tx: EventTransaction): Planned {
  let state = plannedByTransaction.get(tx);
  if (!state) {
    state = { releases: new Map(), environments: new Map(), ran: new Set() };
    plannedByTransaction.set(tx, state);
  }
  return state;
}

/** Releases that deployments still move: open ones, and completed ones a rollback reopens. */
const MOVABLE_STATUSES: readonly ReleaseStatus[] = [...OPEN_STATUSES, "completed"];

/**
 * Moves releases along as their member versions are deployed, inside the ingest transaction:
 * `in_progress` at the first member deployment, `completed` once every member version is the one
 * running in every target environment; a failed one publishes `release.member_failed`, and a
 * rollback of a member in a target environment publishes `release.member_rolled_back` and moves a
 * completed release back to `in_progress`.
 */
export function registerReleaseHandlers(bus: DomainEventBus): void {
  bus.subscribe(async (event, tx) => {
    // Only the status change itself moves a release; derived events (deployment.rolled_back) repeat it.
    // A refused deployment (deployment.preflight_failed) has no record at all.
    if (!isDeploymentStatusEvent(event) || event.type !== `deployment.${event.data.deployment.status}`)
      return;
    const { data } = event;
    const state = planned(tx);
    state.environments.set(data.environment.id, data.environment);
    const context = {
      product_id: data.product.id,
      product_name: data.product.name,
      environment_id: data.environment.id,
      environment_name: data.environment.name,
      environment_type: data.environment.type,
    };
    const step = { bus, tx, state, at: event.occurred_at, data, context };
    const { deployment } = data;
    const completed = isSucceeded(deployment.status);
    // The version this deployment replaced, when it did: one query then finds the releases of both.
    const replacedId =
      completed && data.previous_version_id !== deployment.version_id ? data.previous_version_id : null;
    const memberships = await releasesByMember(
      tx,
      state,
      replacedId ? [deployment.version_id, replacedId] : [deployment.version_id],
    );
    const of = (versionId: string | null | undefined) =>
      memberships.filter((m) => m.version_id === versionId).map((m) => m.release);
    await advanceMembers(step, of(deployment.version_id));
    if (completed) {
      if (replacedId) await reopenOnRollback(step, of(replacedId));
      state.ran.add(cellKey(deployment.version_id, deployment.environment_id));
    }
  });
}

/** One deployment event as the release handlers see it. */
interface DeploymentStep {
  bus: DomainEventBus;
  tx: EventTransaction;
  state: Planned;
  at: string;
  data: DeploymentEventData;
  /** The product and environment fields every release.* event of this deployment carries. */
  context: Pick<
    BusEvent,
    "product_id" | "product_name" | "environment_id" | "environment_name" | "environment_type"
  >;
}

/**
 * Whether any movable release has a member at all: kept with the configuration (adding a member
 * bumps the configuration generation; nothing else makes a release gain one or become movable).
 */
async function anyMovableMember(db: Db): Promise<boolean> {
  const [row] = await db
    .select({ release_id: releaseVersions.release_id })
    .from(releaseVersions)
    .innerJoin(releases, eq(releases.id, releaseVersions.release_id))
    .where(inArray(releases.status, [...MOVABLE_STATUSES]))
    .limit(1);
  return row !== undefined;
}

/**
 * The movable releases having any of `versionIds` as a member, as this transaction sees them (a
 * release changed by an earlier event of a batch has its planned status).
 */
async function releasesByMember(
  tx: EventTransaction,
  state: Planned,
  versionIds: string[],
): Promise<Array<{ version_id: string; release: ReleaseRow }>> {
  // A version this transaction creates is in no release yet (members are stored versions).
  const stored = versionIds.filter((id) => !tx.createsVersion?.(id));
  if (stored.length === 0) return [];
  // Most databases have no movable release with a member: ingest knows it from its configuration view.
  if (tx.config && !(await tx.config.get(anyMovableMember))) return [];
  // The one query a deployment of a stored version pays: indexed by version, usually empty.
  const rows = await tx.db
    .select({ version_id: releaseVersions.version_id, release: releases })
    .from(releaseVersions)
    .innerJoin(releases, eq(releases.id, releaseVersions.release_id))
    .where(and(inArray(releaseVersions.version_id, stored), inArray(releases.status, [...MOVABLE_STATUSES])));
  return rows.map((row) => ({ ...row, release: state.releases.get(row.release.id) ?? row.release }));
}

async function advanceMembers(step: DeploymentStep, withMember: ReleaseRow[]): Promise<void> {
  const { bus, tx, state, at, data, context } = step;
  const { deployment } = data;
  const member = { product: data.product, version: data.version, environment: data.environment, deployment };
  for (let release of withMember) {
    if (!OPEN_STATUSES.includes(release.status as ReleaseStatus)) continue;
    if (release.status === "draft") {
      release = { ...release, status: "in_progress", started_at: at, updated_at: at };
      tx.add(setStatus(tx, release));
      await bus.publish({ ...releaseEvent("release.in_progress", release, at, member), ...context }, tx);
    }
    if (deployment.status === "failed") {
      await bus.publish({ ...releaseEvent("release.member_failed", release, at, member), ...context }, tx);
    }
    if (isSucceeded(deployment.status) && (await isComplete(tx, release, state))) {
      release = { ...release, status: "completed", completed_at: at, updated_at: at };
      tx.add(setStatus(tx, release));
      await bus.publish({ ...releaseEvent("release.completed", release, at, member), ...context }, tx);
    }
    state.releases.set(release.id, release);
  }
}

/**
 * A completed deployment that replaced a member version in a target environment with a version
 * that ran there before (a rollback, as SPEC.md defines it; a new version is a roll-forward and
 * leaves the release alone) reopens a completed release and tells subscribers.
 */
async function reopenOnRollback(step: DeploymentStep, withReplaced: ReleaseRow[]): Promise<void> {
  const { bus, tx, state, at, data, context } = step;
  const { deployment, environment } = data;
  const affected = withReplaced.filter((release) => release.status !== "draft");
  if (affected.length === 0) return;
  // A backfilled deployment older than the current one replaced nothing.
  if ((await currentVersionId(tx, deployment.product_id, environment.id)) !== deployment.version_id) return;
  if (!(await ranBefore(tx, state, deployment))) return;
  const replaced = await data.previous_version?.();
  if (!replaced) return;
  const member = {
    product: data.product,
    // `version` is what runs now and `previous_version` the member it replaced, as in deployment.* events.
    version: data.version,
    member_version: replaced,
    previous_version: async () => replaced,
    environment,
    deployment,
  };
  for (let release of affected) {
    if (!(await targetIds(tx, release, state)).includes(environment.id)) continue;
    if (release.status === "completed") {
      release = { ...release, status: "in_progress", completed_at: null, updated_at: at };
      tx.add(reopen(tx, release));
    }
    await bus.publish({ ...releaseEvent("release.member_rolled_back", release, at, member), ...context }, tx);
    state.releases.set(release.id, release);
  }
}

/** Whether the deployed version completed a deployment to that environment before this one. */
async function ranBefore(tx: EventTransaction, state: Planned, deployment: DeploymentRow): Promise<boolean> {
  if (state.ran.has(cellKey(deployment.version_id, deployment.environment_id))) return true;
  const [row] = await tx.db
    .select({ id: deployments.id })
    .from(deployments)
    .where(
      and(
        eq(deployments.version_id, deployment.version_id),
        eq(deployments.environment_id, deployment.environment_id),
        eq(deployments.status, SUCCEEDED_STATUS),
        ne(deployments.id, deployment.id),
      ),
    )
    .limit(1);
  return row !== undefined;
}

/** The version running in a product × environment cell, including this transaction's own events. */
async function currentVersionId(tx: EventTransaction, productId: string, environmentId: string) {
  if (tx.state) return (await tx.state(productId, environmentId))?.current_version_id ?? null;
  const [row] = await tx.db
    .select({ current_version_id: currentState.current_version_id })
    .from(currentState)
    .where(and(eq(currentState.product_id, productId), eq(currentState.environment_id, environmentId)));
  return row?.current_version_id ?? null;
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

function reopen(tx: EventTransaction, release: ReleaseRow) {
  return tx.db
    .update(releases)
    .set({ status: release.status, completed_at: null, updated_at: release.updated_at })
    .where(and(eq(releases.id, release.id), eq(releases.status, "completed")));
}

async function targetIds(tx: EventTransaction, release: ReleaseRow, state: Planned): Promise<string[]> {
  const envRows = await tx.db.select().from(environments);
  for (const env of state.environments.values()) if (!envRows.some((e) => e.id === env.id)) envRows.push(env);
  return targets(release, envRows).map((env) => env.id);
}

/** Completed: every member version is the one running in every target environment now. */
async function isComplete(tx: EventTransaction, release: ReleaseRow, state: Planned): Promise<boolean> {
  const memberRows = await tx.db
    .select({ product_id: releaseVersions.product_id, version_id: releaseVersions.version_id })
    .from(releaseVersions)
    .where(eq(releaseVersions.release_id, release.id));
  const targetEnvIds = await targetIds(tx, release, state);
  // No member or no target environment: nothing says the release has shipped.
  if (memberRows.length === 0 || targetEnvIds.length === 0) return false;
  for (const member of memberRows) {
    for (const environmentId of targetEnvIds) {
      if ((await currentVersionId(tx, member.product_id, environmentId)) !== member.version_id) return false;
    }
  }
  return true;
}
