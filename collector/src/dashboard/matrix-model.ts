import type { EnvironmentType, Product, StateCell, StateResponse } from "@versioner/schema";
import { ENVIRONMENT_TYPES, hasDrift } from "@versioner/schema";

/** The matrix filters, as kept in the page's URL (and remembered per user). */
export interface MatrixFilters {
  /** Substring of the product name, case-insensitive. */
  product: string;
  /** Environment names to show; empty shows all. */
  environments: string[];
  types: EnvironmentType[];
  /** Value of the products' `team` metadata; empty shows all. */
  team: string;
  /** Highlight rows whose versions differ across the shown environments (on unless drift=0). */
  drift: boolean;
}

export function parseFilters(query: URLSearchParams): MatrixFilters {
  return {
    product: (query.get("product") ?? "").trim(),
    environments: query.getAll("environment").filter(Boolean),
    types: query
      .getAll("type")
      .filter((t): t is EnvironmentType => (ENVIRONMENT_TYPES as readonly string[]).includes(t)),
    team: (query.get("team") ?? "").trim(),
    // The form sends a hidden drift=0 before the checkbox's drift=1: unchecked leaves only the 0.
    drift: !query.getAll("drift").includes("0") || query.getAll("drift").includes("1"),
  };
}

/** The filters as a query string, in a stable order ("" when nothing is filtered). */
export function filtersQuery(filters: MatrixFilters): string {
  const query = new URLSearchParams();
  if (filters.product) query.set("product", filters.product);
  for (const env of filters.environments) query.append("environment", env);
  for (const type of filters.types) query.append("type", type);
  if (filters.team) query.set("team", filters.team);
  if (!filters.drift) query.set("drift", "0");
  return query.toString();
}

export interface MatrixColumn {
  id: string;
  name: string;
  type: EnvironmentType;
  /** Latest activity (deployment or attempt) in this environment, across every product. */
  activeAt: string | null;
}

export interface MatrixRow {
  id: string;
  name: string;
  team: string | null;
  cells: StateCell[];
  /** Versions differ across the shown environments that run something. */
  drift: boolean;
}

export interface FailedCell {
  product: string;
  environment: string;
  version: string;
  deploymentId: string;
  at: string;
}

export interface Matrix {
  columns: MatrixColumn[];
  rows: MatrixRow[];
  failures: FailedCell[];
  totals: { products: number; environments: number };
}

function teamOf(product: Product | undefined): string | null {
  const team = product?.extra_metadata?.team;
  return typeof team === "string" && team ? team : null;
}

function latest(...times: Array<string | null | undefined>): string | null {
  return times.reduce<string | null>((max, t) => (t && (!max || t > max) ? t : max), null);
}

/** The state, cut down to the filters: the model the matrix page renders. */
export function buildMatrix(
  state: StateResponse,
  products: readonly Product[],
  filters: MatrixFilters,
): Matrix {
  const byId = new Map(products.map((p) => [p.id, p]));
  const shownEnvs = state.environments
    .map((env, index) => ({ env, index }))
    .filter(
      ({ env }) =>
        (filters.environments.length === 0 || filters.environments.includes(env.name)) &&
        (filters.types.length === 0 || filters.types.includes(env.type)),
    );
  const needle = filters.product.toLowerCase();
  const rows: MatrixRow[] = [];
  for (const product of state.products) {
    if (needle && !product.name.toLowerCase().includes(needle)) continue;
    const team = teamOf(byId.get(product.id));
    if (filters.team && team !== filters.team) continue;
    const cells = shownEnvs.flatMap(({ index }) => {
      const cell = product.cells[index];
      return cell ? [cell] : [];
    });
    rows.push({ id: product.id, name: product.name, team, cells, drift: hasDrift(cells) });
  }
  const columns = shownEnvs.map(({ env, index }) => ({
    ...env,
    activeAt: latest(
      ...state.products.flatMap((p) => {
        const cell = p.cells[index];
        return [cell?.current?.deployed_at, cell?.in_progress?.since, cell?.failed?.at];
      }),
    ),
  }));
  const failures = rows
    .flatMap((row) =>
      row.cells.flatMap((cell) =>
        cell.failed
          ? [
              {
                product: row.name,
                environment: cell.environment_name,
                version: cell.failed.version,
                deploymentId: cell.failed.deployment_id,
                at: cell.failed.at,
              },
            ]
          : [],
      ),
    )
    .sort((a, b) => b.at.localeCompare(a.at));
  return {
    columns,
    rows,
    failures,
    totals: { products: state.products.length, environments: state.environments.length },
  };
}

/** The distinct `team` metadata values of the products, for the team filter. */
export function teamsOf(products: readonly Product[]): string[] {
  return [...new Set(products.flatMap((p) => teamOf(p) ?? []))].sort();
}
