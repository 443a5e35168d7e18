import {
  type BuildEventResponse,
  type Button,
  type DeploymentEventResponse,
  deployedAt,
  type Status,
} from "@versioner/schema";
import type { BuildRow, DeploymentRow, EnvironmentRow, ProductRow, VersionRow } from "./unit-of-work.ts";

// The 200 bodies of ingest, from the rows the unit of work planned. They are stored in the event
// row, so a repeat answers with the very same bytes.

export function buildResponse(
  build: BuildRow,
  product: ProductRow,
  version: VersionRow,
  eventId: string,
  buttons: Button[],
): BuildEventResponse {
  return {
    id: build.id,
    build_id: build.id,
    event_id: eventId,
    version_id: version.id,
    product_id: product.id,
    product_name: product.name,
    version: version.version,
    status: build.status as Status,
    scm_sha: version.scm_sha,
    build_number: build.build_number,
    build_url: build.build_url,
    started_at: build.started_at,
    completed_at: build.completed_at,
    created_at: build.created_at,
    buttons,
  };
}

export function deploymentResponse(
  deployment: DeploymentRow,
  product: ProductRow,
  version: VersionRow,
  environment: EnvironmentRow,
  eventId: string,
): DeploymentEventResponse {
  return {
    id: deployment.id,
    deployment_id: deployment.id,
    event_id: eventId,
    product_id: product.id,
    product_name: product.name,
    version_id: version.id,
    version: version.version,
    environment_id: environment.id,
    environment_name: environment.name,
    status: deployment.status as Status,
    deployed_at: deployedAt(deployment),
    completed_at: deployment.completed_at,
    deployed_by: deployment.deployed_by,
    deployed_by_email: deployment.deployed_by_email,
    deployed_by_name: deployment.deployed_by_name,
    deploy_url: deployment.deploy_url,
    source_system: deployment.source_system,
    extra_metadata: deployment.extra_metadata,
  };
}
