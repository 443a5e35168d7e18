import { eq } from "drizzle-orm";
import type { CatalogDeps } from "../catalog/products-service.ts";
import { products, versions } from "../db/schema/index.ts";
import { NotFoundError } from "../errors.ts";
import type { DomainEventBus } from "../events/domain-events.ts";

/** What the approvals and deployment-request services need: the catalog's deps and the event bus. */
export interface GovernanceDeps extends CatalogDeps {
  bus: DomainEventBus;
}

export type VersionRow = typeof versions.$inferSelect;
export type ProductRow = typeof products.$inferSelect;

/** A version by id with its product; a 404 names the id. */
export async function findVersionWithProduct(
  deps: CatalogDeps,
  id: string,
): Promise<{ version: VersionRow; product: ProductRow }> {
  const [row] = await deps.database.db
    .select({ version: versions, product: products })
    .from(versions)
    .innerJoin(products, eq(products.id, versions.product_id))
    .where(eq(versions.id, id))
    .limit(1);
  if (!row) throw new NotFoundError(`Version '${id}'`);
  return row;
}
