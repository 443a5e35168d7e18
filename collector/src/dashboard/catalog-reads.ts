import type { Product } from "@versioner/schema";
import type { CatalogDeps } from "../catalog/products-service.ts";
import { listProducts } from "../catalog/products-service.ts";
import { MAX_LIMIT } from "../db/pagination.ts";

/** Every product (the matrix needs their metadata for the team filter), page by page. */
export async function allProducts(deps: CatalogDeps): Promise<Product[]> {
  const products: Product[] = [];
  let cursor: string | undefined;
  do {
    const page = await listProducts(deps, { limit: MAX_LIMIT, cursor });
    products.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return products;
}
