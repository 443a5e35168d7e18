import { type Deployment, deployedAt, normalizeStatus, type Status } from "@versioner/schema";
import { and, desc, eq, gte, lte, or, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { afterCursor, toPage } from "../db/pagination.ts";
import { deploymentRollbacks, deployments, environments, products, versions } from "../db/schema/index.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import { merged } from "../merged.ts";
import type { CatalogDeps } from "./products-service.ts";

export interface DeploymentQuery {
  product?: string;
  environment?: string;
  version?: string;
  status?: string;
  since?: string;
  until?: string;
  limit: number;
  cursor?: string;
}

// The deployment as a rollback, and as the deployment a rollback replaced.
const asRollback = alias(deploymentRollbacks, "as_rollback");
const asReplaced = alias(deploymentRollbacks, "as_replaced");

const columns = {
  deployment: deployments,
  product_name: products.name,
  version: versions.version,
  environment_name: environments.name,
  rolled_back_from: asRollback.rolled_back_from_version,
  rolled_back_from_deployment_id: asRollback.replaced_deployment_id,
  rolled_back_by_deployment_id: asReplaced.deployment_id,
};

type Joined = {
  deployment: typeof deployments.$inferSelect;
  product_name: string;
  version: string;
  environment_name: string;
  rolled_back_from: string | null;
  rolled_back_from_deployment_id: string | null;
  rolled_back_by_deployment_id: string | null;
};

// Merged, not `{ ...row.deployment, key }`: a map per listed row on Node 20 (merged.ts).
function view(row: Joined): Deployment {
  return merged(row.deployment, {
    status: row.deployment.status as Status,
    product_name: row.product_name,
    version: row.version,
    environment_name: row.environment_name,
    deployed_at: deployedAt(row.deployment),
    is_rollback: row.rolled_back_from_deployment_id !== null,
    rolled_back_from: row.rolled_back_from,
    rolled_back_from_deployment_id: row.rolled_back_from_deployment_id,
    rolled_back: row.rolled_back_by_deployment_id !== null,
    rolled_back_by_deployment_id: row.rolled_back_by_deployment_id,
  });
}

function joined() {
  return (deps: CatalogDeps) =>
    deps.database.db
      .select(columns)
      .from(deployments)
      .innerJoin(products, eq(products.id, deployments.product_id))
      .innerJoin(versions, eq(versions.id, deployments.version_id))
      .innerJoin(environments, eq(environments.id, deployments.environment_id))
      .leftJoin(asRollback, eq(asRollback.deployment_id, deployments.id))
      .leftJoin(asReplaced, eq(asReplaced.replaced_deployment_id, deployments.id));
}

/** Newest first; filters by product and environment (name or id), version, status (any alias) and time. */
export async function listDeployments(deps: CatalogDeps, query: DeploymentQuery) {
  const where: SQL[] = [];
  if (query.product) where.push(or(eq(products.name, query.product), eq(products.id, query.product)) as SQL);
  if (query.environment) {
    where.push(or(eq(environments.name, query.environment), eq(environments.id, query.environment)) as SQL);
  }
  if (query.version) where.push(eq(versions.version, query.version));
  if (query.status) {
    const status = normalizeStatus(query.status);
    if (!status) throw ValidationError.field(["query", "status"], `Unknown status '${query.status}'`);
    where.push(eq(deployments.status, status));
  }
  if (query.since) where.push(gte(deployments.created_at, query.since));
  if (query.until) where.push(lte(deployments.created_at, query.until));
  if (query.cursor) where.push(afterCursor(query.cursor, deployments.created_at, deployments.id));
  const rows = await joined()(deps)
    .where(and(...where))
    .orderBy(desc(deployments.created_at), desc(deployments.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ at: row.deployment.created_at, id: row.deployment.id }), view);
}

export async function getDeployment(deps: CatalogDeps, id: string): Promise<Deployment> {
  const [row] = await joined()(deps).where(eq(deployments.id, id)).limit(1);
  if (!row) throw new NotFoundError(`Deployment '${id}'`);
  return view(row);
}
