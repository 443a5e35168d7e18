import type { EnvironmentType, StateCell, StateResponse, Status } from "@versioner/schema";
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
export async function getState(deps: CatalogDeps): Promise<StateResponse> {
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
    products: productRows.map((product) => ({
      id: product.id,
      name: product.name,
      cells: envs.map((env): StateCell => {
        const row = cells.get(cellKey(product.id, env.id));
        const lastStatus = row?.last_status as Status | undefined;
        return {
          environment_id: env.id,
          environment_name: env.name,
          current:
            row?.current_deployment_id &&
            row.current_version_id &&
            row.current_version &&
            row.current_deployed_at
              ? {
                  version: row.current_version,
                  version_id: row.current_version_id,
                  deployment_id: row.current_deployment_id,
                  deployed_at: row.current_deployed_at,
                  deployed_by: row.current_deployed_by,
                  ...rolledBackFrom(rollbacks.get(cellKey(product.id, env.id))),
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
          buttons: buttons.get(cellKey(product.id, env.id)) ?? [],
        };
      }),
    })),
  };
}

// Present only on a rollback, so the matrix of a history without rollbacks keeps its shape.
function rolledBackFrom(version: string | undefined): { rolled_back_from?: string } {
  return version ? { rolled_back_from: version } : {};
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
  const [row] = await deps.database.db
    .select({ value: settings.value })
    .from(settings)
    .where(eq(settings.key, "state_generation"))
    .limit(1);
  const generation = row?.value ?? "none";
  const cached = documents.get(deps.database);
  if (cached && cached.generation === generation) return cached;
  const document = { generation, body: JSON.stringify(await getState(deps)) };
  documents.set(deps.database, document);
  return document;
}
