import type { DiffSide, EnvironmentDiffItem } from "@versioner/schema";
import { compareLink } from "./compare-link.ts";

/** The current version of one product in one environment, with what the diff needs to know of it. */
export interface DiffCell extends DiffSide {
  product_id: string;
  product_name: string;
  scm_repository: string | null;
  source_system: string | null;
  /** When the collector first recorded the version: breaks ties of `first_deployed_at`. */
  version_created_at: string;
}

/**
 * Which of two versions of a product is ahead: the one first deployed later (anywhere), then the
 * one recorded later; null when both say the same moment. Version strings are never compared:
 * `1.10` vs `1.9`, dates or SHAs have no order a string comparison would get right.
 */
export function aheadSide(a: DiffCell, b: DiffCell): "a" | "b" | null {
  if (a.version_id === b.version_id) return null;
  if (a.first_deployed_at !== b.first_deployed_at)
    return a.first_deployed_at > b.first_deployed_at ? "a" : "b";
  if (a.version_created_at !== b.version_created_at)
    return a.version_created_at > b.version_created_at ? "a" : "b";
  return null;
}

function side(cell: DiffCell | undefined): DiffSide | null {
  if (!cell) return null;
  return {
    version: cell.version,
    version_id: cell.version_id,
    scm_sha: cell.scm_sha,
    deployment_id: cell.deployment_id,
    deployed_at: cell.deployed_at,
    first_deployed_at: cell.first_deployed_at,
  };
}

function linkBetween(behind: DiffCell, ahead: DiffCell): string | null {
  if (!behind.scm_sha || !ahead.scm_sha || behind.scm_sha === ahead.scm_sha) return null;
  const repository = ahead.scm_repository ?? behind.scm_repository;
  if (!repository) return null;
  return compareLink(repository, behind.scm_sha, ahead.scm_sha, ahead.source_system ?? behind.source_system);
}

/**
 * Every product whose current versions in environments a and b differ, plus the products present
 * in one of them only, sorted by product name. Products running the same version on both sides
 * are counted as `same` and not listed.
 */
export function diffEnvironments(
  a: DiffCell[],
  b: DiffCell[],
): { items: EnvironmentDiffItem[]; same: number } {
  const left = new Map(a.map((cell) => [cell.product_id, cell]));
  const right = new Map(b.map((cell) => [cell.product_id, cell]));
  const items: EnvironmentDiffItem[] = [];
  let same = 0;
  for (const productId of new Set([...left.keys(), ...right.keys()])) {
    const x = left.get(productId);
    const y = right.get(productId);
    const named = (x ?? y) as DiffCell;
    if (x && y && x.version_id === y.version_id) {
      same += 1;
      continue;
    }
    const ahead = x && y ? aheadSide(x, y) : null;
    const compare_url = x && y && ahead ? (ahead === "a" ? linkBetween(y, x) : linkBetween(x, y)) : null;
    items.push({
      product_id: productId,
      product_name: named.product_name,
      status: x && y ? "differs" : x ? "only_in_a" : "only_in_b",
      a: side(x),
      b: side(y),
      ahead,
      compare_url,
    });
  }
  items.sort((p, q) => (p.product_name < q.product_name ? -1 : p.product_name > q.product_name ? 1 : 0));
  return { items, same };
}
