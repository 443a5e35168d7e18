import type { DoraMetrics, EnvironmentDiff, EnvironmentType, ProductDiff } from "@versioner/schema";
import { and, asc, eq, gte, inArray, isNotNull, lt, min, or, type SQL, sql } from "drizzle-orm";
import { findEnvironment } from "../catalog/environments-service.ts";
import { type CatalogDeps, findProduct } from "../catalog/products-service.ts";
import type { DoraConfig } from "../config.ts";
import {
  currentState,
  deploymentRollbacks,
  deployments,
  environments,
  incidents,
  products,
  versions,
} from "../db/schema/index.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import { compareLink } from "./compare-link.ts";
import { type Bucket, bucketsOf, computeDora, type DoraDeployment, restoreStreaks } from "./dora.ts";
import { type DiffCell, diffEnvironments } from "./environment-diff.ts";

export type InsightsDeps = CatalogDeps;

/** Which products an insight covers: one product (id or name) and/or a team (`extra_metadata.team`). */
export interface ProductFilter {
  product?: string;
  team?: string;
}

function productConditions(filter: ProductFilter): SQL | undefined {
  return and(
    filter.product ? or(eq(products.id, filter.product), eq(products.name, filter.product)) : undefined,
    filter.team ? sql`json_extract(${products.extra_metadata}, '$.team') = ${filter.team}` : undefined,
  );
}

/** When each version was first deployed anywhere (any status): the order the diff calls "ahead". */
async function firstDeployments(deps: InsightsDeps, versionIds: string[]): Promise<Map<string, string>> {
  if (versionIds.length === 0) return new Map();
  const rows = await deps.database.db
    .select({ version_id: deployments.version_id, at: min(deployments.created_at) })
    .from(deployments)
    .where(inArray(deployments.version_id, [...new Set(versionIds)]))
    .groupBy(deployments.version_id);
  return new Map(rows.map((row) => [row.version_id, row.at ?? ""]));
}

async function currentCells(deps: InsightsDeps, environmentId: string, filter: ProductFilter) {
  return deps.database.db
    .select({
      product_id: products.id,
      product_name: products.name,
      version_id: versions.id,
      version: versions.version,
      scm_sha: versions.scm_sha,
      scm_repository: versions.scm_repository,
      source_system: versions.source_system,
      version_created_at: versions.created_at,
      deployment_id: currentState.current_deployment_id,
      deployed_at: currentState.current_deployed_at,
    })
    .from(currentState)
    .innerJoin(products, eq(products.id, currentState.product_id))
    .innerJoin(versions, eq(versions.id, currentState.current_version_id))
    .where(and(eq(currentState.environment_id, environmentId), productConditions(filter)));
}

/** The products whose current versions differ between two environments (id or name each). */
export async function environmentDiff(
  deps: InsightsDeps,
  refA: string,
  refB: string,
  filter: ProductFilter,
): Promise<EnvironmentDiff> {
  const [envA, envB] = await Promise.all([findEnvironment(deps, refA), findEnvironment(deps, refB)]);
  const [rowsA, rowsB] = await Promise.all([
    currentCells(deps, envA.id, filter),
    currentCells(deps, envB.id, filter),
  ]);
  const first = await firstDeployments(
    deps,
    [...rowsA, ...rowsB].map((row) => row.version_id),
  );
  const cells = (rows: typeof rowsA): DiffCell[] =>
    rows.flatMap((row) =>
      row.deployment_id && row.deployed_at
        ? [
            {
              ...row,
              deployment_id: row.deployment_id,
              deployed_at: row.deployed_at,
              first_deployed_at: first.get(row.version_id) ?? row.deployed_at,
            },
          ]
        : [],
    );
  const { items, same } = diffEnvironments(cells(rowsA), cells(rowsB));
  const ref = (env: typeof envA) => ({ id: env.id, name: env.name, type: env.type as EnvironmentType });
  return {
    a: ref(envA),
    b: ref(envB),
    items,
    summary: {
      differs: items.filter((item) => item.status === "differs").length,
      only_in_a: items.filter((item) => item.status === "only_in_a").length,
      only_in_b: items.filter((item) => item.status === "only_in_b").length,
      same,
    },
  };
}

const versionColumns = {
  id: versions.id,
  version: versions.version,
  scm_sha: versions.scm_sha,
  scm_repository: versions.scm_repository,
  source_system: versions.source_system,
  build_number: versions.build_number,
  build_url: versions.build_url,
  status: versions.status,
  created_at: versions.created_at,
};

interface VersionRefRow {
  id: string;
  version: string;
  scm_sha: string | null;
  build_number: string | null;
  build_url: string | null;
  status: string | null;
  created_at: string;
}

function versionRef(row: VersionRefRow): VersionRefRow {
  const { id, version, scm_sha, build_number, build_url, status, created_at } = row;
  return { id, version, scm_sha, build_number, build_url, status, created_at };
}

/**
 * Two versions of one product: the compare link from `from` to `to`, and the versions recorded
 * between them (after the older, up to and including the newer, by the time the collector first
 * recorded each; rowid breaks ties of the same millisecond).
 */
export async function productDiff(
  deps: InsightsDeps,
  ref: string,
  fromVersion: string,
  toVersion: string,
): Promise<ProductDiff> {
  const product = await findProduct(deps, ref);
  const db = deps.database.db;
  const lookup = async (version: string) => {
    const [row] = await db
      .select({ ...versionColumns, rowid: sql<number>`${versions}.rowid` })
      .from(versions)
      .where(and(eq(versions.product_id, product.id), eq(versions.version, version)))
      .limit(1);
    if (!row) throw new NotFoundError(`Version '${version}' of ${product.name}`);
    return row;
  };
  const [from, to] = await Promise.all([lookup(fromVersion), lookup(toVersion)]);
  const key = (row: typeof from) => [row.created_at, row.rowid] as const;
  const before = (x: typeof from, y: typeof from) =>
    key(x)[0] < key(y)[0] || (key(x)[0] === key(y)[0] && key(x)[1] < key(y)[1]);
  const direction = from.id === to.id ? "same" : before(from, to) ? "forward" : "backward";
  const [older, newer] = direction === "backward" ? [to, from] : [from, to];
  const between =
    direction === "same"
      ? []
      : await db
          .select(versionColumns)
          .from(versions)
          .where(
            and(
              eq(versions.product_id, product.id),
              sql`(${versions.created_at}, ${versions}.rowid) > (${older.created_at}, ${older.rowid})`,
              sql`(${versions.created_at}, ${versions}.rowid) <= (${newer.created_at}, ${newer.rowid})`,
            ),
          )
          .orderBy(asc(versions.created_at), sql`${versions}.rowid`);
  const repository = to.scm_repository ?? from.scm_repository;
  const link =
    repository && from.scm_sha && to.scm_sha && from.scm_sha !== to.scm_sha
      ? compareLink(repository, from.scm_sha, to.scm_sha, to.source_system ?? from.source_system)
      : null;
  return {
    product_id: product.id,
    product_name: product.name,
    from: versionRef(from),
    to: versionRef(to),
    direction,
    compare_url: link,
    versions: between.map(versionRef),
  };
}

export interface DoraDeps extends InsightsDeps {
  config: { dora: DoraConfig };
}

export interface DoraQuery extends ProductFilter {
  /** Comma-separated environment names or ids; default: the configured production environments. */
  environment?: string;
  from?: string;
  to?: string;
  bucket: Bucket;
}

/** Longest series one request may ask for (e.g. 1000 days, 19 years of weeks). */
export const MAX_BUCKETS = 1000;
const DEFAULT_WINDOW_DAYS = 90;

async function productionEnvironments(deps: DoraDeps, refs: string | undefined) {
  if (refs) {
    const names = refs
      .split(",")
      .map((name) => name.trim())
      .filter(Boolean);
    const found = [];
    for (const name of names) {
      try {
        found.push(await findEnvironment(deps, name));
      } catch (error) {
        if (error instanceof NotFoundError)
          throw ValidationError.field(["query", "environment"], `Unknown environment '${name}'`);
        throw error;
      }
    }
    return found;
  }
  const { environments: named, environmentType } = deps.config.dora;
  const all = await deps.database.db.select().from(environments);
  // Named environments that do not exist yet measure nothing until their first deployment.
  return named
    ? all.filter((env) => named.includes(env.name))
    : all.filter((env) => env.type === environmentType);
}

/** null: every product; otherwise the ids the filter selects (possibly none). */
async function productIds(deps: InsightsDeps, filter: ProductFilter): Promise<string[] | null> {
  if (!filter.product && !filter.team) return null;
  if (filter.product) await findProduct(deps, filter.product);
  const rows = await deps.database.db
    .select({ id: products.id })
    .from(products)
    .where(productConditions(filter));
  return rows.map((row) => row.id);
}

function doraWindow(deps: DoraDeps, query: DoraQuery) {
  const to = query.to ?? deps.clock.now().toISOString();
  const from = query.from ?? new Date(Date.parse(to) - DEFAULT_WINDOW_DAYS * 86_400_000).toISOString();
  if (from >= to) throw ValidationError.field(["query", "from"], "must be before `to`");
  if (bucketsOf(from, to, query.bucket).length > MAX_BUCKETS)
    throw ValidationError.field(
      ["query", "bucket"],
      `the window holds more than ${MAX_BUCKETS} ${query.bucket}s`,
    );
  return { from, to };
}

/**
 * The deployments DORA counts: finished (completed or failed) in the production environments in
 * [from, to). One range search of deployments_dora_idx (product, environment, completed_at, and
 * the columns read, so the table is not visited) or deployments_environment_completed_idx, a
 * primary-key join for the commit time, and one version-index search per row for "first in
 * production" (plans pinned by query-plans.test.ts). Rollback and incident marks come from
 * separate small queries instead of two more searches per row.
 */
export function doraDeploymentsQuery(
  deps: InsightsDeps,
  window: { from: string; to: string },
  environmentIds: string[],
  products: string[] | null,
) {
  return deps.database.db
    .select({
      id: deployments.id,
      product_id: deployments.product_id,
      environment_id: deployments.environment_id,
      status: deployments.status,
      finished_at: deployments.completed_at,
      committed_at: versions.scm_committed_at,
      // The unary + keeps SQLite on deployments_version_idx (a version has a handful of rows):
      // left free, it picks the environment index and reads every production deployment per row.
      first_to_production: sql<number>`NOT EXISTS (SELECT 1 FROM deployments p WHERE p.version_id = ${deployments.version_id}
        AND p.status = 'completed' AND +p.environment_id IN ${environmentIds}
        AND (+p.completed_at < ${deployments.completed_at} OR (+p.completed_at = ${deployments.completed_at} AND p.id < ${deployments.id})))`,
    })
    .from(deployments)
    .innerJoin(versions, eq(versions.id, deployments.version_id))
    .where(
      and(
        products ? inArray(deployments.product_id, products) : undefined,
        inArray(deployments.environment_id, environmentIds),
        gte(deployments.completed_at, window.from),
        lt(deployments.completed_at, window.to),
        inArray(deployments.status, ["completed", "failed"]),
      ),
    );
}

/** Deployments of these products and environments replaced by a rollback (a rare event: few rows). */
export function rolledBackQuery(deps: InsightsDeps, environmentIds: string[], products: string[] | null) {
  return deps.database.db
    .select({ id: deploymentRollbacks.replaced_deployment_id })
    .from(deploymentRollbacks)
    .where(
      and(
        inArray(deploymentRollbacks.environment_id, environmentIds),
        products ? inArray(deploymentRollbacks.product_id, products) : undefined,
      ),
    );
}

/** Deployments of these products and environments named by an incident. */
export function incidentLinkedQuery(deps: InsightsDeps, environmentIds: string[], products: string[] | null) {
  return deps.database.db
    .selectDistinct({ id: incidents.deployment_id })
    .from(incidents)
    .where(
      and(
        inArray(incidents.environment_id, environmentIds),
        products ? inArray(incidents.product_id, products) : undefined,
        isNotNull(incidents.deployment_id),
      ),
    );
}

/** The first completed deployment at or after `at` that was not rolled back: the restore of a streak. */
export function nextGoodDeploymentQuery(
  deps: InsightsDeps,
  productId: string,
  environmentId: string,
  at: string,
) {
  return deps.database.db
    .select({ at: deployments.completed_at })
    .from(deployments)
    .where(
      and(
        eq(deployments.product_id, productId),
        eq(deployments.environment_id, environmentId),
        gte(deployments.completed_at, at),
        eq(deployments.status, "completed"),
        sql`NOT EXISTS (SELECT 1 FROM deployment_rollbacks r WHERE r.replaced_deployment_id = ${deployments.id})`,
      ),
    )
    .orderBy(asc(deployments.completed_at))
    .limit(1);
}

/** DORA's four keys for the production environments, a product and/or team, over a window. */
export async function doraMetrics(deps: DoraDeps, query: DoraQuery): Promise<DoraMetrics> {
  const window = doraWindow(deps, query);
  const envs = await productionEnvironments(deps, query.environment);
  const ids = await productIds(deps, query);
  const envIds = envs.map((env) => env.id);
  const measured = envIds.length > 0 && (ids === null || ids.length > 0);
  const [rows, rolledBack, linked] = measured
    ? await Promise.all([
        doraDeploymentsQuery(deps, window, envIds, ids),
        rolledBackQuery(deps, envIds, ids),
        incidentLinkedQuery(deps, envIds, ids),
      ])
    : [[], [], []];
  const rolledBackIds = new Set(rolledBack.map((row) => row.id));
  const linkedIds = new Set(linked.map((row) => row.id));
  const rowsOut: DoraDeployment[] = rows.map((row) => ({
    id: row.id,
    product_id: row.product_id,
    environment_id: row.environment_id,
    status: row.status as DoraDeployment["status"],
    finished_at: row.finished_at as string,
    committed_at: row.committed_at,
    rolled_back: rolledBackIds.has(row.id),
    incident_linked: linkedIds.has(row.id),
    first_to_production: Boolean(row.first_to_production),
  }));
  const streaks = restoreStreaks(rowsOut);
  for (const streak of streaks) {
    if (streak.restored_at) continue;
    const [next] = await nextGoodDeploymentQuery(deps, streak.product_id, streak.environment_id, window.to);
    streak.restored_at = next?.at ?? null;
  }
  const incidentRows = measured
    ? await deps.database.db
        .select({ id: incidents.id, opened_at: incidents.opened_at, resolved_at: incidents.resolved_at })
        .from(incidents)
        .where(
          and(
            ids ? inArray(incidents.product_id, ids) : undefined,
            inArray(incidents.environment_id, envIds),
            gte(incidents.opened_at, window.from),
            lt(incidents.opened_at, window.to),
          ),
        )
    : [];
  const report = computeDora({
    ...window,
    bucket: query.bucket,
    deployments: rowsOut,
    incidents: incidentRows,
    streaks,
  });
  return {
    window: { ...window, bucket: query.bucket },
    environments: envs.map((env) => ({ id: env.id, name: env.name })),
    filters: { product: query.product ?? null, team: query.team ?? null },
    ...report,
  };
}
