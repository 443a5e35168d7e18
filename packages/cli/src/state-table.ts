import type { StateResponse } from "@versioner/schema";
import { alignColumns } from "./text-table.ts";

/** Marker after a version whose environment has a deployment in progress. */
const IN_PROGRESS_MARKER = "▶";
/** Marker after a version whose latest deployment attempt failed or was aborted. */
const FAILED_MARKER = "✗";

/**
 * Renders `GET /state` as an aligned text table: one row per product, one column per environment,
 * each cell the current version plus `▶<version>` (in progress) or `✗<version>` (failed) markers.
 */
export function formatStateTable(state: StateResponse): string {
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
    return [product.name, ...cells];
  });
  const used = (marker: string) => rows.some((row) => row.some((text) => text.includes(marker)));
  const notes = [
    ...(used(IN_PROGRESS_MARKER) ? [`${IN_PROGRESS_MARKER} deployment in progress`] : []),
    ...(used(FAILED_MARKER) ? [`${FAILED_MARKER} last attempt failed`] : []),
  ];
  const legend = notes.length > 0 ? [`\n${notes.join("   ")}`] : [];
  return `${[...alignColumns([header, ...rows]), ...legend].join("\n")}\n`;
}
