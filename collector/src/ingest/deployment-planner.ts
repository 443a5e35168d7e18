import {
  type DeploymentEvent,
  type DeploymentEventResponse,
  deployedAt,
  isSucceeded,
  movesForward,
  type Status,
} from "@versioner/schema";
import { deployments } from "../db/schema/index.ts";
import { merged } from "../merged.ts";
import { uuidv7 } from "../uuidv7.ts";
import type { PreflightVerdict } from "./admission.ts";
import { type EventPlan, planEnvironment } from "./catalog-planner.ts";
import {
  advancedFields,
  latestRecordId,
  lifecycleStep,
  startedFields,
  supersededFields,
} from "./lifecycle.ts";
import { deploymentResponse } from "./responses.ts";
import type {
  DeploymentRow,
  EnvironmentRow,
  LatestEvent,
  ProductRow,
  Statement,
  StateRow,
  UnitOfWork,
  VersionRow,
} from "./unit-of-work.ts";

/** What a deployment event brings to its plan, once its product and version are planned and it was admitted. */
export interface DeploymentInput {
  event: DeploymentEvent;
  /** Created by this event: it has no deployments yet. */
  versionIsNew: boolean;
  /** Undefined when the event names an environment not seen before. */
  environment: EnvironmentRow | undefined;
  /** Preflight's verdict, when the rules judged this event. */
  preflight: PreflightVerdict | undefined;
}

/**
 * Plans the environment, the deployment record and the `current_state` cell of a deployment
 * event, and publishes `deployment.<status>`; returns the record and the 200 body.
 */
export async function planDeploymentEvent(
  plan: EventPlan,
  input: DeploymentInput,
): Promise<{ recordId: string; environmentId: string; body: DeploymentEventResponse }> {
  const { unit, product, version, now } = plan;
  // The rules' verdict travels with the deployment (the hosted product's response shape).
  const event = input.preflight
    ? merged(input.event, {
        extra_metadata: { ...input.event.extra_metadata, preflight_status: input.preflight },
      })
    : input.event;
  const environment = input.environment ?? (await planEnvironment(unit, event.environment_name, now));
  // The version running there before this event, read through the unit so a batch's earlier
  // events count (and before planState moves the cell). Only notifications need its row, so
  // subscribers load it on demand, while this event is being published.
  const before = await unit.state(product.id, environment.id);
  const previousVersion = async () =>
    before?.current_version && before.current_version_id !== version.id
      ? ((await unit.version(product.id, before.current_version)) ?? null)
      : null;
  const deployment = await planDeployment(
    unit,
    { product, version, environment, versionIsNew: input.versionIsNew },
    event,
    now,
    plan.latestEvent,
  );
  await planState(unit, version, deployment);
  const body = deploymentResponse(deployment, product, version, environment, plan.eventId);
  await plan.bus.publish(
    {
      type: `deployment.${body.status}`,
      occurred_at: now,
      product_id: product.id,
      product_name: product.name,
      environment_id: environment.id,
      environment_name: environment.name,
      environment_type: environment.type,
      status: deployment.status,
      data: {
        product,
        version,
        environment,
        deployment,
        response: body,
        previous_version: previousVersion,
        // Releases check a rollback of a member with the id alone, without loading the row.
        previous_version_id: before?.current_version_id ?? null,
        // The cell before this event: rollback detection (insights/) compares against it.
        state_before: before,
      },
    },
    unit,
  );
  return { recordId: deployment.id, environmentId: environment.id, body };
}

interface DeploymentTarget {
  product: ProductRow;
  version: VersionRow;
  environment: EnvironmentRow;
  /** Created by this event: it has no deployments yet. */
  versionIsNew: boolean;
}

async function planDeployment(
  unit: UnitOfWork,
  target: DeploymentTarget,
  event: DeploymentEvent,
  now: string,
  latestEvent: () => Promise<LatestEvent | undefined>,
): Promise<DeploymentRow> {
  const { product, version, environment } = target;
  const matched = await unit.deploymentToAdvance(product.id, environment.id, version.id, event.invoke_id);
  const step = lifecycleStep({
    hasInvokeId: event.invoke_id !== undefined,
    matched,
    latestRecordId: await latestRecordId(matched, latestEvent),
  });
  if (step === "supersede" && matched) await closeSuperseded(unit, target, matched, now);
  const deployment =
    step === "advance" && matched
      ? advanceDeployment(unit, matched, event, now)
      : startDeployment(unit, target, event, now);
  // A run that completed this version here also ends the open deployment without invoke_id of the
  // same version, so none stays `started` after a later completion. A new version has none.
  // Stryker disable next-line ConditionalExpression: `versionIsNew` only spares the read, which finds nothing for a new version
  if (event.invoke_id !== undefined && isSucceeded(event.status) && !target.versionIsNew) {
    const open = await unit.deploymentToAdvance(product.id, environment.id, version.id, undefined);
    if (open) await closeSuperseded(unit, target, open, now);
  }
  return deployment;
}

function advanceDeployment(
  unit: UnitOfWork,
  matched: DeploymentRow,
  event: DeploymentEvent,
  now: string,
): DeploymentRow {
  // Out-of-order events (a late "started" after "completed") are logged but never move a record back.
  if (!movesForward(matched.status as Status, event.status)) return matched;
  const next: DeploymentRow = {
    ...matched,
    ...advancedFields(event, matched, now),
    deployed_by: event.deployed_by ?? matched.deployed_by,
    deployed_by_email: event.deployed_by_email ?? matched.deployed_by_email,
    deployed_by_name: event.deployed_by_name ?? matched.deployed_by_name,
    deploy_url: event.deploy_url ?? matched.deploy_url,
  };
  const { id, ...changes } = next;
  unit.updateById(deployments, changes, id);
  unit.rememberDeployment(next);
  return next;
}

function startDeployment(
  unit: UnitOfWork,
  target: DeploymentTarget,
  event: DeploymentEvent,
  now: string,
): DeploymentRow {
  const row: DeploymentRow = {
    id: uuidv7(),
    product_id: target.product.id,
    version_id: target.version.id,
    environment_id: target.environment.id,
    ...startedFields(event, now),
    deployed_by: event.deployed_by ?? null,
    deployed_by_email: event.deployed_by_email ?? null,
    deployed_by_name: event.deployed_by_name ?? null,
    deploy_url: event.deploy_url ?? null,
  };
  unit.insert(deployments, row);
  unit.rememberDeployment(row);
  return row;
}

async function closeSuperseded(
  unit: UnitOfWork,
  target: DeploymentTarget,
  open: DeploymentRow,
  now: string,
): Promise<void> {
  const closed: DeploymentRow = { ...open, ...supersededFields(now) };
  unit.updateById(deployments, supersededFields(now), open.id);
  unit.rememberDeployment(closed);
  // Only a back-dated cell can still show it as the latest attempt; keep that cell truthful.
  if ((await unit.state(target.product.id, target.environment.id))?.last_deployment_id === open.id)
    await planState(unit, target.version, closed);
}

// The upsert decides in SQL, so two collectors on one database cannot move the cell backwards:
// "current" only moves to a later completed deployment, "last" only to a later attempt.
async function planState(unit: UnitOfWork, version: VersionRow, deployment: DeploymentRow): Promise<void> {
  const at = deployedAt(deployment);
  const completed = isSucceeded(deployment.status);
  const before = await unit.state(deployment.product_id, deployment.environment_id);
  const takeCurrent =
    completed &&
    (!before?.current_deployed_at ||
      at >= before.current_deployed_at ||
      before.current_deployment_id === deployment.id);
  const takeLast = !before || before.last_deployment_id === deployment.id || at >= before.last_at;
  const row = {
    product_id: deployment.product_id,
    environment_id: deployment.environment_id,
    current_deployment_id: takeCurrent ? deployment.id : (before?.current_deployment_id ?? null),
    current_version_id: takeCurrent ? version.id : (before?.current_version_id ?? null),
    current_version: takeCurrent ? version.version : (before?.current_version ?? null),
    current_deployed_at: takeCurrent ? at : (before?.current_deployed_at ?? null),
    current_deployed_by: takeCurrent ? deployment.deployed_by : (before?.current_deployed_by ?? null),
    last_deployment_id: takeLast ? deployment.id : (before?.last_deployment_id ?? deployment.id),
    last_version: takeLast ? version.version : (before?.last_version ?? version.version),
    last_status: takeLast ? deployment.status : (before?.last_status ?? deployment.status),
    last_at: takeLast ? at : (before?.last_at ?? at),
    // The event being planned becomes the cell's latest when the unit stores it (rememberEvent).
    latest_event_id: before?.latest_event_id ?? null,
  };
  unit.planCell(row, takeCurrent, cellWrite);
}

/**
 * A cell's upsert from the last row a unit planned for it. The current columns are sent only when
 * an event of the unit made its current deployment (else NULL: SQL keeps the stored ones).
 */
function cellWrite(row: StateRow, movesCurrent: boolean): Statement {
  return {
    sql: UPSERT_STATE,
    args: [
      row.product_id,
      row.environment_id,
      movesCurrent ? row.current_deployment_id : null,
      movesCurrent ? row.current_version_id : null,
      movesCurrent ? row.current_version : null,
      movesCurrent ? row.current_deployed_at : null,
      movesCurrent ? row.current_deployed_by : null,
      row.last_deployment_id,
      row.last_version,
      row.last_status,
      row.last_at,
      row.latest_event_id,
    ],
  };
}

// Column order in the SET list matters: SQLite evaluates every CASE against the old row, so
// these conditions see the values from before the update.
const takeNewCurrent =
  "excluded.current_deployed_at IS NOT NULL AND (current_state.current_deployed_at IS NULL OR excluded.current_deployed_at >= current_state.current_deployed_at OR excluded.current_deployment_id = current_state.current_deployment_id)";
const takeNewLast =
  "excluded.last_deployment_id = current_state.last_deployment_id OR excluded.last_at >= current_state.last_at";

/**
 * The cell's upsert, one SQL text for every event (its values are the twelve columns in order).
 * `latest_event_id` always takes the new value: the unit sets it to the last event it stores in the
 * cell (UnitOfWork.rememberEvent), and a later transaction's events are newer.
 */
const UPSERT_STATE = `
  INSERT INTO current_state (product_id, environment_id, current_deployment_id, current_version_id, current_version,
    current_deployed_at, current_deployed_by, last_deployment_id, last_version, last_status, last_at, latest_event_id)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (product_id, environment_id) DO UPDATE SET
    current_deployment_id = CASE WHEN ${takeNewCurrent} THEN excluded.current_deployment_id ELSE current_state.current_deployment_id END,
    current_version_id = CASE WHEN ${takeNewCurrent} THEN excluded.current_version_id ELSE current_state.current_version_id END,
    current_version = CASE WHEN ${takeNewCurrent} THEN excluded.current_version ELSE current_state.current_version END,
    current_deployed_by = CASE WHEN ${takeNewCurrent} THEN excluded.current_deployed_by ELSE current_state.current_deployed_by END,
    current_deployed_at = CASE WHEN ${takeNewCurrent} THEN excluded.current_deployed_at ELSE current_state.current_deployed_at END,
    last_version = CASE WHEN ${takeNewLast} THEN excluded.last_version ELSE current_state.last_version END,
    last_status = CASE WHEN ${takeNewLast} THEN excluded.last_status ELSE current_state.last_status END,
    last_at = CASE WHEN ${takeNewLast} THEN excluded.last_at ELSE current_state.last_at END,
    last_deployment_id = CASE WHEN ${takeNewLast} THEN excluded.last_deployment_id ELSE current_state.last_deployment_id END,
    latest_event_id = excluded.latest_event_id`;
