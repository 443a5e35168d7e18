import { randomUUID } from "node:crypto";
import { ERROR_CODES, type Product } from "@versioner/schema";
import { asc, eq, inArray, or } from "drizzle-orm";
import { type Actor, auditInsert } from "../audit/audit-service.ts";
import type { Clock } from "../clock.ts";
import type { Database } from "../db/client.ts";
import { afterCursor, toPage } from "../db/pagination.ts";
import {
  builds,
  currentState,
  deploymentButtons,
  deploymentRollbacks,
  deployments,
  doraFacts,
  doraPendingFacts,
  events,
  incidents,
  products,
  releaseVersions,
  variables,
  versions,
} from "../db/schema/index.ts";
import { ConflictError, DomainError, NotFoundError } from "../errors.ts";

export interface CatalogDeps {
  database: Database;
  clock: Clock;
}

type ProductRow = typeof products.$inferSelect;

export async function listProducts(deps: CatalogDeps, query: { limit: number; cursor?: string }) {
  // Products list alphabetically; the cursor holds the last name seen.
  const rows = await deps.database.db
    .select()
    .from(products)
    .where(query.cursor ? afterCursor(query.cursor, products.name, products.id, "asc") : undefined)
    .orderBy(asc(products.name), asc(products.id))
    .limit(query.limit + 1);
  return toPage(
    rows,
    query.limit,
    (row) => ({ at: row.name, id: row.id }),
    (row): Product => row,
  );
}

/** Finds a product by id or by name. */
export async function findProduct(deps: CatalogDeps, ref: string): Promise<ProductRow> {
  const [row] = await deps.database.db
    .select()
    .from(products)
    .where(or(eq(products.id, ref), eq(products.name, ref)))
    .limit(1);
  if (!row) throw new NotFoundError(`Product '${ref}'`);
  return row;
}

export async function createProduct(
  deps: CatalogDeps,
  actor: Actor,
  input: { name: string; description?: string | null; extra_metadata?: Record<string, unknown> },
): Promise<Product> {
  return deps.database.writeLock.run(async () => {
    await assertNameFree(deps, input.name);
    const now = deps.clock.now().toISOString();
    const row: ProductRow = {
      id: randomUUID(),
      name: input.name,
      description: input.description ?? null,
      extra_metadata: input.extra_metadata ?? {},
      created_at: now,
      updated_at: now,
    };
    const db = deps.database.db;
    await db.batch([
      db.insert(products).values(row),
      auditInsert(
        db,
        actor,
        {
          action: "product.create",
          target_type: "product",
          target_id: row.id,
          target_name: row.name,
          after: row,
        },
        now,
      ),
    ]);
    return row;
  });
}

/** Edits description and metadata, or renames; a rename keeps every version and deployment. */
export async function updateProduct(
  deps: CatalogDeps,
  actor: Actor,
  ref: string,
  input: { name?: string; description?: string | null; extra_metadata?: Record<string, unknown> },
): Promise<Product> {
  return deps.database.writeLock.run(async () => {
    const current = await findProduct(deps, ref);
    if (input.name !== undefined && input.name !== current.name) await assertNameFree(deps, input.name);
    const next: ProductRow = {
      ...current,
      name: input.name ?? current.name,
      description: input.description === undefined ? current.description : input.description,
      extra_metadata: input.extra_metadata ?? current.extra_metadata,
      updated_at: deps.clock.now().toISOString(),
    };
    const db = deps.database.db;
    await db.batch([
      db.update(products).set(next).where(eq(products.id, current.id)),
      auditInsert(
        db,
        actor,
        {
          action: "product.update",
          target_type: "product",
          target_id: current.id,
          target_name: next.name,
          before: current,
          after: next,
        },
        next.updated_at,
      ),
    ]);
    return next;
  });
}

/**
 * Deletes a product with its versions, builds, deployments, state cells, event log rows,
 * buttons, product variables and release memberships.
 * `confirm` must repeat the product's name, so a wrong id cannot wipe history by accident.
 */
export async function deleteProduct(
  deps: CatalogDeps,
  actor: Actor,
  ref: string,
  confirm: string | undefined,
): Promise<void> {
  await deps.database.writeLock.run(async () => {
    const product = await findProduct(deps, ref);
    if (confirm !== product.name) {
      throw new DomainError(
        409,
        ERROR_CODES.CONFIRMATION_REQUIRED,
        `Deleting '${product.name}' removes all its versions and deployments. Repeat with ?confirm=${encodeURIComponent(product.name)}`,
      );
    }
    const db = deps.database.db;
    const versionIds = db
      .select({ id: versions.id })
      .from(versions)
      .where(eq(versions.product_id, product.id));
    await db.batch([
      // By its versions: every event names one, and `events` is indexed by version, not by product.
      db.delete(events).where(inArray(events.version_id, versionIds)),
      db.delete(releaseVersions).where(eq(releaseVersions.product_id, product.id)),
      db.delete(deploymentButtons).where(eq(deploymentButtons.product_id, product.id)),
      db.delete(variables).where(eq(variables.product_id, product.id)),
      db.delete(currentState).where(eq(currentState.product_id, product.id)),
      db.delete(incidents).where(eq(incidents.product_id, product.id)),
      db.delete(deploymentRollbacks).where(eq(deploymentRollbacks.product_id, product.id)),
      db.delete(doraFacts).where(eq(doraFacts.product_id, product.id)),
      db.delete(doraPendingFacts).where(eq(doraPendingFacts.product_id, product.id)),
      db.delete(deployments).where(eq(deployments.product_id, product.id)),
      db.delete(builds).where(inArray(builds.version_id, versionIds)),
      db.delete(versions).where(eq(versions.product_id, product.id)),
      db.delete(products).where(eq(products.id, product.id)),
      auditInsert(
        db,
        actor,
        {
          action: "product.delete",
          target_type: "product",
          target_id: product.id,
          target_name: product.name,
          before: product,
        },
        deps.clock.now().toISOString(),
      ),
    ]);
  });
}

async function assertNameFree(deps: CatalogDeps, name: string): Promise<void> {
  const [taken] = await deps.database.db
    .select({ id: products.id })
    .from(products)
    .where(eq(products.name, name))
    .limit(1);
  if (taken) throw new ConflictError(ERROR_CODES.NAME_TAKEN, `A product named '${name}' already exists`);
}
