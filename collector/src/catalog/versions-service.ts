import type { Build, Status, Version } from "@versioner/schema";
import { and, desc, eq, or, type SQL, sql } from "drizzle-orm";
import { buttonsForVersions } from "../buttons/button-renderer.ts";
import { afterCursor, toPage } from "../db/pagination.ts";
import { builds, products, SHA_ABBREVIATION, versions } from "../db/schema/index.ts";
import { NotFoundError } from "../errors.ts";
import { merged } from "../merged.ts";
import type { CatalogDeps } from "./products-service.ts";

type VersionRow = typeof versions.$inferSelect;

// Each listed row is merged, not `{ ...row, key }`: a map per row on Node 20 (merged.ts).
function view(row: { version: VersionRow; product_name: string }): Version {
  return merged(row.version, { product_name: row.product_name, status: row.version.status as Status | null });
}

/**
 * Versions whose SHA is `sha`, or starts with it when it is an abbreviation (7 to 39 characters),
 * ignoring case. Both seek `versions_scm_sha_idx` by its own expression (the SHA's first 7
 * characters, lower-cased; a shorter SHA is all of it), then compare the rest: a `LIKE` on the
 * column read every version.
 */
export function shaMatches(scmSha: string): SQL {
  const sha = scmSha.toLowerCase();
  const key = sql`lower(substr(${versions.scm_sha}, 1, ${sql.raw(String(SHA_ABBREVIATION))})) = ${sha.slice(0, SHA_ABBREVIATION)}`;
  const rest =
    sha.length >= SHA_ABBREVIATION && sha.length < 40
      ? sql`lower(substr(${versions.scm_sha}, 1, ${sha.length})) = ${sha}`
      : sql`lower(${versions.scm_sha}) = ${sha}`;
  return sql`(${key} AND ${rest})`;
}

/** Newest first; `scm_sha` matches a full SHA or an abbreviation of at least 7 characters. */
export async function listVersions(
  deps: CatalogDeps,
  query: { product?: string; scm_sha?: string; limit: number; cursor?: string },
) {
  const where: SQL[] = [];
  if (query.product) where.push(or(eq(products.name, query.product), eq(products.id, query.product)) as SQL);
  if (query.scm_sha) where.push(shaMatches(query.scm_sha));
  if (query.cursor) where.push(afterCursor(query.cursor, versions.created_at, versions.id));
  const rows = await deps.database.db
    .select({ version: versions, product_name: products.name })
    .from(versions)
    .innerJoin(products, eq(products.id, versions.product_id))
    .where(and(...where))
    .orderBy(desc(versions.created_at), desc(versions.id))
    .limit(query.limit + 1);
  const result = toPage(
    rows,
    query.limit,
    (row) => ({ at: row.version.created_at, id: row.version.id }),
    view,
  );
  const buttons = await buttonsForVersions(deps.database.db, result.items);
  return { ...result, items: result.items.map((v) => merged(v, { buttons: buttons.get(v.id) ?? [] })) };
}

/** A version with its build records, newest first. */
export async function getVersion(deps: CatalogDeps, id: string): Promise<Version & { builds: Build[] }> {
  const [row] = await deps.database.db
    .select({ version: versions, product_name: products.name })
    .from(versions)
    .innerJoin(products, eq(products.id, versions.product_id))
    .where(eq(versions.id, id))
    .limit(1);
  if (!row) throw new NotFoundError(`Version '${id}'`);
  const buildRows = await deps.database.db
    .select()
    .from(builds)
    .where(eq(builds.version_id, id))
    .orderBy(desc(builds.created_at), desc(builds.id));
  const version = view(row);
  const buttons = await buttonsForVersions(deps.database.db, [version]);
  return {
    ...version,
    buttons: buttons.get(version.id) ?? [],
    builds: buildRows.map(({ extra_metadata: _m, updated_at: _u, ...b }) => ({
      ...b,
      status: b.status as Status,
    })),
  };
}
