import { createHash } from "node:crypto";
import {
  type EnvironmentType,
  hasDrift,
  isFailed,
  isInProgress,
  type StateCell,
  type StateResponse,
  type Status,
} from "@versioner/schema";
import { asc, eq } from "drizzle-orm";
import { buttonsForState, cellKey } from "../buttons/button-renderer.ts";
import type { Database } from "../db/client.ts";
import { currentState, deploymentRollbacks, environments, products, settings } from "../db/schema/index.ts";
import { compareEnvironments } from "./environments-service.ts";
import type { CatalogDeps } from "./products-service.ts";

/**
 * The product × environment matrix, read from the current-state table the ingest
 * transaction maintains: three small queries, whatever the size of the history.
 */
export async function getState(deps: Pick<CatalogDeps, "database">): Promise<StateResponse> {
  const db = deps.database.db;
  const [envRows, productRows, cellRows] = await Promise.all([
    db.select().from(environments),
    db.select({ id: products.id, name: products.name }).from(products).orderBy(asc(products.name)),
    db
      .select({ cell: currentState, rolled_back_from: deploymentRollbacks.rolled_back_from_version })
      .from(currentState)
      .leftJoin(
        deploymentRollbacks,
        eq(deploymentRollbacks.deployment_id, currentState.current_deployment_id),
      ),
  ]);
  const rollbacks = new Map(
    cellRows.flatMap(({ cell, rolled_back_from }) =>
      rolled_back_from ? [[cellKey(cell.product_id, cell.environment_id), rolled_back_from]] : [],
    ),
  );
  const stateRows = cellRows.map(({ cell }) => cell);
  const envs = envRows.sort(compareEnvironments);
  const buttons = await buttonsForState(db, productRows, stateRows);
  const cells = new Map(stateRows.map((row) => [cellKey(row.product_id, row.environment_id), row]));
  return {
    environments: envs.map((e) => ({ id: e.id, name: e.name, type: e.type as EnvironmentType })),
    products: productRows.map((product) =>
      withDrift({
        id: product.id,
        name: product.name,
        cells: envs.map(
          (env): StateCell => ({
            environment_id: env.id,
            environment_name: env.name,
            ...describeCell(
              cells.get(cellKey(product.id, env.id)),
              rollbacks.get(cellKey(product.id, env.id)),
            ),
            buttons: buttons.get(cellKey(product.id, env.id)) ?? [],
          }),
        ),
      }),
    ),
  };
}

type CurrentStateRow = typeof currentState.$inferSelect;

/** What runs in one cell, what is under way there and whether the latest attempt failed. */
export function describeCell(
  row: CurrentStateRow | undefined,
  rollback?: Parameters<typeof rolledBackFrom>[0],
): Pick<StateCell, "current" | "in_progress" | "failed"> {
  const lastStatus = row?.last_status as Status | undefined;
  return {
    current:
      row?.current_deployment_id && row.current_version_id && row.current_version && row.current_deployed_at
        ? {
            version: row.current_version,
            version_id: row.current_version_id,
            deployment_id: row.current_deployment_id,
            deployed_at: row.current_deployed_at,
            deployed_by: row.current_deployed_by,
            ...rolledBackFrom(rollback),
          }
        : null,
    in_progress:
      row && lastStatus && isInProgress(lastStatus)
        ? {
            version: row.last_version,
            deployment_id: row.last_deployment_id,
            status: lastStatus,
            since: row.last_at,
          }
        : null,
    failed:
      row && lastStatus && isFailed(lastStatus)
        ? {
            version: row.last_version,
            deployment_id: row.last_deployment_id,
            status: lastStatus,
            at: row.last_at,
          }
        : null,
  };
}

// Present only on a rollback, so the matrix of a history without rollbacks keeps its shape.
function rolledBackFrom(version: string | undefined): { rolled_back_from?: string } {
  return version ? { rolled_back_from: version } : {};
}

/** The serialized matrix and the change generation it was built at. */
type StateProduct = StateResponse["products"][number];

function withDrift(product: Omit<StateProduct, "drift">): StateProduct {
  return { id: product.id, name: product.name, drift: hasDrift(product.cells), cells: product.cells };
}

/** `GET /state` filters; each is a list (repeat the query parameter), empty or absent = all. */
export interface StateFilters {
  /** Product names or ids: which rows. */
  product?: string[];
  /** Environment names or ids: which columns. */
  environment?: string[];
  /** Environment types: which columns (with `environment`, a column must match both). */
  type?: EnvironmentType[];
}

const given = (list: readonly string[] | undefined): list is readonly string[] =>
  list !== undefined && list.length > 0;

/**
 * The matrix narrowed to the rows and columns asked for. Every product named stays as a row even
 * with no deployment in the shown columns; drift is recomputed over the shown cells only.
 */
export function filterState(state: StateResponse, filters: StateFilters): StateResponse {
  const { product, environment, type } = filters;
  const environments = state.environments.filter(
    (env) =>
      (!given(environment) || environment.includes(env.name) || environment.includes(env.id)) &&
      (!given(type) || type.includes(env.type)),
  );
  const shown = new Set(environments.map((env) => env.id));
  return {
    environments,
    products: state.products
      .filter((row) => !given(product) || product.includes(row.name) || product.includes(row.id))
      .map((row) => withDrift({ ...row, cells: row.cells.filter((cell) => shown.has(cell.environment_id)) })),
  };
}

function hasFilters(filters: StateFilters): boolean {
  return given(filters.product) || given(filters.environment) || given(filters.type);
}

/** The serialized matrix, the change generation it was built at, and an ETag for both with the filters. */
export interface StateDocument {
  generation: string;
  body: string;
  etag: string;
}

interface CachedState {
  generation: string;
  state: StateResponse;
  body: string;
  /** Filtered bodies of this generation by filter key: a polling dashboard asks the same again. */
  filtered: Map<string, string>;
}

// Distinct filters kept per generation; past it the map starts over (filters are cheap to redo).
const MAX_FILTERED = 64;

/**
 * `/state` as JSON text, rebuilt only when something it shows has changed. Triggers bump the
 * `state_generation` counter in every transaction that touches products, environments, state
 * cells, versions, buttons or variables (migration 0001), so the check is one tiny read and is
 * right across processes. The generation is read before the matrix: a change landing in between
 * makes the stored document newer than its generation, which only costs one extra rebuild.
 * One per DatabaseRuntime (database-runtime.ts), shared by `GET /state` and the dashboard.
 */
export class StateDocuments {
  #cached: CachedState | undefined;

  constructor(private readonly database: Database) {}

  async get(filters: StateFilters = {}): Promise<StateDocument> {
    const generation = await readStateGeneration(this.database);
    let cached = this.#cached;
    if (!cached || cached.generation !== generation) {
      const state = await getState({ database: this.database });
      cached = { generation, state, body: JSON.stringify(state), filtered: new Map() };
      this.#cached = cached;
    }
    if (!hasFilters(filters)) return { generation, body: cached.body, etag: `"state-${generation}"` };
    // Filtered from the cached matrix, and kept until the generation moves. The ETag names the
    // filters, so no filtered and unfiltered (or differently filtered) answers ever share one.
    const key = filterKey(filters);
    let body = cached.filtered.get(key);
    if (body === undefined) {
      body = JSON.stringify(filterState(cached.state, filters));
      if (cached.filtered.size >= MAX_FILTERED) cached.filtered.clear();
      cached.filtered.set(key, body);
    }
    return { generation, body, etag: `"state-${generation}-${key}"` };
  }
}

function filterKey(filters: StateFilters): string {
  const canonical = JSON.stringify(
    (["product", "environment", "type"] as const).map((name) => [...new Set(filters[name] ?? [])].sort()),
  );
  return createHash("sha256").update(canonical).digest("base64url").slice(0, 16);
}

/**
 * The change counter the triggers of migration 0001 bump with every change to what `/state`
 * shows; anything derived from the matrix (its ETag, badges) can use it as a version.
 */
export async function readStateGeneration(database: Database): Promise<string> {
  const [row] = await database.db
    .select({ value: settings.value })
    .from(settings)
    .where(eq(settings.key, "state_generation"))
    .limit(1);
  return row?.value ?? "none";
}
