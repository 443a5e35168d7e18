import type { EnvironmentDiff, EnvironmentType, ProductDiff } from "@versioner/schema";
import { and, asc, eq, inArray, min, or, type SQL, sql } from "drizzle-orm";
import { findEnvironment } from "../catalog/environments-service.ts";
import { type CatalogDeps, findProduct } from "../catalog/products-service.ts";
import { currentState, deployments, products, versions } from "../db/schema/index.ts";
import { NotFoundError } from "../errors.ts";
import { compareLink } from "./compare-link.ts";
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
