import type { StateResponse } from "@versioner/schema";
import { alignColumns } from "./text-table.ts";

/** Marker after a version whose environment has a deployment in progress. */
const IN_PROGRESS_MARKER = "▶";
/** Marker after a version whose latest deployment attempt failed or was aborted. */
const FAILED_MARKER = "✗";
/** Marker after a product whose current versions differ across the environments shown. */
const DRIFT_MARKER = "≠";

/**
 * `GET /state` with the `drift` flag the collector sets on each product (absent from older
 * collectors and the hosted API, where no product is marked).
 */
export type StateWithDrift = Omit<StateResponse, "products"> & {
  products: Array<StateResponse["products"][number] & { drift?: boolean }>;
};

/**
 * Renders `GET /state` as an aligned text table: one row per product, one column per environment,
 * each cell the current version plus `▶<version>` (in progress) or `✗<version>` (failed) markers,
 * and `≠` after a product whose versions drift across the environments shown.
 */
export function formatStateTable(state: StateWithDrift): string {
  if (state.products.length === 0) return "No deployments recorded yet.\n";
  const header = ["PRODUCT", ...state.environments.map((environment) => environment.name)];
  const rows = state.products.map((product) => {
    const cells = state.environments.map((environment) => {
      const cell = product.cells.find((candidate) => candidate.environment_id === environment.id);
      const parts = [cell?.current?.version ?? "-"];
      if (cell?.in_progress) parts.push(`${IN_PROGRESS_MARKER}${cell.in_progress.version}`);
      if (cell?.failed) parts.push(`${FAILED_MARKER}${cell.failed.version}`);
      return parts.join(" ");
    });
    return [product.drift ? `${product.name} ${DRIFT_MARKER}` : product.name, ...cells];
  });
  const used = (marker: string) => rows.some((row) => row.some((text) => text.includes(marker)));
  const notes = [
    ...(used(DRIFT_MARKER) ? [`${DRIFT_MARKER} versions differ across these environments`] : []),
    ...(used(IN_PROGRESS_MARKER) ? [`${IN_PROGRESS_MARKER} deployment in progress`] : []),
    ...(used(FAILED_MARKER) ? [`${FAILED_MARKER} last attempt failed`] : []),
  ];
  const legend = notes.length > 0 ? [`\n${notes.join("   ")}`] : [];
  return `${[...alignColumns([header, ...rows]), ...legend].join("\n")}\n`;
}
