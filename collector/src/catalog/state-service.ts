import type { EnvironmentType, StateCell, StateResponse, Status } from "@versioner/schema";
import { asc, eq } from "drizzle-orm";
import { buttonsForState, cellKey } from "../buttons/button-renderer.ts";
import type { Database } from "../db/client.ts";
import { currentState, environments, products, settings } from "../db/schema/index.ts";
import { compareEnvironments } from "./environments-service.ts";
import type { CatalogDeps } from "./products-service.ts";

/**
 * The product × environment matrix, read from the current-state table the ingest
 * transaction maintains: three small queries, whatever the size of the history.
 */
export async function getState(deps: CatalogDeps): Promise<StateResponse> {
  const db = deps.database.db;
  const [envRows, productRows, stateRows] = await Promise.all([
    db.select().from(environments),
    db.select({ id: products.id, name: products.name }).from(products).orderBy(asc(products.name)),
    db.select().from(currentState),
  ]);
  const envs = envRows.sort(compareEnvironments);
  const buttons = await buttonsForState(db, productRows, stateRows);
  const cells = new Map(stateRows.map((row) => [cellKey(row.product_id, row.environment_id), row]));
  return {
    environments: envs.map((e) => ({ id: e.id, name: e.name, type: e.type as EnvironmentType })),
    products: productRows.map((product) => ({
      id: product.id,
      name: product.name,
      cells: envs.map((env): StateCell => {
        const row = cells.get(cellKey(product.id, env.id));
        return {
          environment_id: env.id,
          environment_name: env.name,
          ...describeCell(row),
          buttons: buttons.get(cellKey(product.id, env.id)) ?? [],
        };
      }),
    })),
  };
}

type CurrentStateRow = typeof currentState.$inferSelect;

/** What runs in one cell, what is under way there and whether the latest attempt failed. */
export function describeCell(
  row: CurrentStateRow | undefined,
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
          }
        : null,
    in_progress:
      row && (lastStatus === "pending" || lastStatus === "started")
        ? {
            version: row.last_version,
            deployment_id: row.last_deployment_id,
            status: lastStatus,
            since: row.last_at,
          }
        : null,
    failed:
      row && (lastStatus === "failed" || lastStatus === "aborted")
        ? {
            version: row.last_version,
            deployment_id: row.last_deployment_id,
            status: lastStatus,
            at: row.last_at,
          }
        : null,
  };
}

/** The serialized matrix and the change generation it was built at. */
export interface StateDocument {
  generation: string;
  body: string;
}

const documents = new WeakMap<Database, StateDocument>();

/**
 * `/state` as JSON text, rebuilt only when something it shows has changed. Triggers bump the
 * `state_generation` counter in every transaction that touches products, environments, state
 * cells, versions, buttons or variables (migration 0001), so the check is one tiny read and is
 * right across processes. The generation is read before the matrix: a change landing in between
 * makes the stored document newer than its generation, which only costs one extra rebuild.
 */
export async function getStateDocument(deps: CatalogDeps): Promise<StateDocument> {
  const generation = await readStateGeneration(deps.database);
  const cached = documents.get(deps.database);
  if (cached && cached.generation === generation) return cached;
  const document = { generation, body: JSON.stringify(await getState(deps)) };
  documents.set(deps.database, document);
  return document;
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
