import {
  type DoraMetrics,
  type EnvironmentDiff,
  type EnvironmentType,
  type ProductDiff,
  SUCCEEDED_STATUS,
} from "@versioner/schema";
import { and, asc, eq, gte, inArray, lt, min, or, type SQL, sql } from "drizzle-orm";
import { findEnvironment } from "../catalog/environments-service.ts";
import { type CatalogDeps, findProduct } from "../catalog/products-service.ts";
import type { DoraConfig } from "../config.ts";
import {
  currentState,
  deployments,
  environments,
  incidents,
  products,
  versions,
} from "../db/schema/index.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import { canonicalTimeZone } from "../time-zone.ts";
import { compareLink } from "./compare-link.ts";
import {
  aggregateDays,
  type Bucket,
  bucketsOf,
  computeDora,
  type FactColumns,
  restoreStreaks,
  sortColumns,
  strictlyOrdered,
} from "./dora.ts";
import { moveDoraFacts } from "./dora-facts.ts";
import { type DiffCell, diffEnvironments } from "./environment-diff.ts";
import { type PackedFacts, unpackFacts } from "./packed-facts.ts";

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
  /** IANA time zone whose local midnights start the buckets. */
  tz: string;
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
  // Longer than MAX_BUCKETS of the longest bucket (25 h days, 32-day months) is too many without
  // counting them one by one.
  const longest = { day: 25, week: 7 * 25, month: 32 * 24 }[query.bucket] * 3_600_000;
  const span = Date.parse(to) - Date.parse(from);
  if (span > (MAX_BUCKETS + 1) * longest || bucketsOf(from, to, query.bucket, query.tz).length > MAX_BUCKETS)
    throw ValidationError.field(
      ["query", "bucket"],
      `the window holds more than ${MAX_BUCKETS} ${query.bucket}s`,
    );
  return { from, to };
}

// The production deployments DORA counts: finished (completed or failed) in [from, to), read from
// the dora_facts read model (dora-facts.ts) through its covering index: no per-deployment lookup.
function finishedIn(
  window: { from: string; to: string },
  environmentIds: string[],
  products: string[] | null,
) {
  return sql`${products ? sql`f.product_id IN ${products} AND ` : sql``}f.environment_id IN ${environmentIds}
    AND f.finished_at >= ${window.from} AND f.finished_at < ${window.to}`;
}

/**
 * The finished production deployments of [from, to), one row per product × environment with the
 * facts packed by group_concat in index order: a year of a busy product is one string, where as
 * many rows would cost far more to step through and convert (docs/insight.md#speed). Each fact is
 * its `packed` column (finished_at, the flags digit and lead_ms; see the schema), read from the
 * covering index. The ids (36 characters a fact) are read only `withIds`: only deployments of one
 * millisecond need them.
 */
export function doraFactsQuery(
  deps: InsightsDeps,
  window: { from: string; to: string },
  environmentIds: string[],
  products: string[] | null,
  withIds = false,
) {
  return deps.database.db.all<PackedFacts>(sql`SELECT f.product_id, f.environment_id,
      ${withIds ? sql`group_concat(f.deployment_id)` : sql`NULL`} AS ids,
      count(*) AS count, group_concat(f.packed) AS facts
    FROM dora_facts f
    WHERE ${finishedIn(window, environmentIds, products)}
    GROUP BY f.product_id, f.environment_id`);
}

/**
 * The facts of [from, to) as columns per product × environment, each in finishing order. The index
 * order is finishing order but for deployments of one millisecond (ordered by status there, by id
 * in finishing order): such a pair is read again with its ids and sorted.
 */
export async function readDoraFacts(
  deps: InsightsDeps,
  window: { from: string; to: string },
  environmentIds: string[],
  products: string[] | null,
): Promise<FactColumns[]> {
  const columns = (await doraFactsQuery(deps, window, environmentIds, products)).map(unpackFacts);
  const sorted = await Promise.all(
    columns.map(async (pair) => {
      if (strictlyOrdered(pair.finished)) return pair;
      const [row] = await doraFactsQuery(deps, window, [pair.environment_id], [pair.product_id], true);
      return row ? sortColumns(unpackFacts(row), (row.ids ?? "").split(",")) : null;
    }),
  );
  return sorted.filter((pair) => pair !== null);
}

/** The first completed deployment at or after `at` that was not rolled back: the restore of a streak. */
export function nextGoodDeploymentQuery(
  deps: InsightsDeps,
  productId: string,
  environmentId: string,
  at: string,
) {
  return deps.database.db.all<{ at: string }>(sql`SELECT finished_at AS at FROM dora_facts
    WHERE product_id = ${productId} AND environment_id = ${environmentId} AND finished_at >= ${at}
      AND status = ${SUCCEEDED_STATUS} AND rolled_back = 0
    ORDER BY finished_at LIMIT 1`);
}

/** DORA's four keys for the production environments, a product and/or team, over a window. */
export async function doraMetrics(deps: DoraDeps, request: DoraQuery): Promise<DoraMetrics> {
  const tz = canonicalTimeZone(request.tz);
  if (!tz) throw ValidationError.field(["query", "tz"], "must be an IANA time zone name, e.g. Europe/Paris");
  const query = { ...request, tz };
  const window = doraWindow(deps, query);
  const envs = await productionEnvironments(deps, query.environment);
  const ids = await productIds(deps, query);
  const envIds = envs.map((env) => env.id);
  const measured = envIds.length > 0 && (ids === null || ids.length > 0);
  // The facts ingest appended since its last move, moved now: the read sees every finished deployment.
  if (measured) await moveDoraFacts(deps.database);
  const facts = measured ? await readDoraFacts(deps, window, envIds, ids) : [];
  const streaks = restoreStreaks(facts);
  for (const streak of streaks) {
    if (streak.restored_at !== null) continue;
    const [next] = await nextGoodDeploymentQuery(deps, streak.product_id, streak.environment_id, window.to);
    streak.restored_at = next ? Date.parse(next.at) : null;
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
    timeZone: query.tz,
    days: aggregateDays(facts, window.from, window.to, query.tz),
    incidents: incidentRows,
    streaks,
  });
  return {
    window: { ...window, bucket: query.bucket, tz: query.tz },
    environments: envs.map((env) => ({ id: env.id, name: env.name })),
    filters: { product: query.product ?? null, team: query.team ?? null },
    ...report,
  };
}
