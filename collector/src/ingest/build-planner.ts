import { type BuildEvent, type BuildEventResponse, movesForward, type Status } from "@versioner/schema";
import { buttonsForVersions } from "../buttons/button-renderer.ts";
import { builds } from "../db/schema/index.ts";
import { merged } from "../merged.ts";
import { uuidv7 } from "../uuidv7.ts";
import type { EventPlan } from "./catalog-planner.ts";
import {
  advancedFields,
  latestRecordId,
  lifecycleStep,
  startedFields,
  supersededFields,
} from "./lifecycle.ts";
import { buildResponse } from "./responses.ts";
import type { BuildRow, LatestEvent, UnitOfWork, VersionRow } from "./unit-of-work.ts";

/**
 * Plans the build record of a build event and publishes `build.<status>`; returns the record and
 * the 200 body, in the shape a deployment event's plan has: a build lands in no environment.
 */
export async function planBuildEvent(
  plan: EventPlan,
  input: {
    event: BuildEvent;
    /** False when this event created the product: it has no buttons yet. */
    productExisted: boolean;
  },
): Promise<{ recordId: string; environmentId: null; body: BuildEventResponse }> {
  const { unit, product, version, now } = plan;
  const build = await planBuild(unit, version, input.event, now, plan.latestEvent);
  // A product created by this event has no buttons yet: skip the lookup.
  const buttons = input.productExisted
    ? ((await buttonsForVersions(unit.db, [merged(version, { product_name: product.name })])).get(
        version.id,
      ) ?? [])
    : [];
  const body = buildResponse(build, product, version, plan.eventId, buttons);
  await plan.bus.publish(
    {
      type: `build.${body.status}`,
      occurred_at: now,
      product_id: product.id,
      product_name: product.name,
      status: build.status,
      data: { product, version, build, response: body },
    },
    unit,
  );
  return { recordId: build.id, environmentId: null, body };
}

async function planBuild(
  unit: UnitOfWork,
  version: VersionRow,
  event: BuildEvent,
  now: string,
  latestEvent: () => Promise<LatestEvent | undefined>,
): Promise<BuildRow> {
  const matched = await unit.buildToAdvance(version.id, event.invoke_id);
  const step = lifecycleStep({
    hasInvokeId: event.invoke_id !== undefined,
    matched,
    latestRecordId: await latestRecordId(matched, latestEvent),
  });
  if (step === "advance" && matched) {
    if (!movesForward(matched.status as Status, event.status)) return matched;
    const next: BuildRow = {
      ...matched,
      ...advancedFields(event, matched, now),
      build_number: event.build_number ?? matched.build_number,
      build_url: event.build_url ?? matched.build_url,
      built_by: event.built_by ?? matched.built_by,
    };
    const { id, ...changes } = next;
    unit.updateById(builds, changes, id);
    unit.rememberBuild(next);
    return next;
  }
  if (step === "supersede" && matched) {
    const closed = { ...matched, ...supersededFields(now) };
    unit.updateById(builds, supersededFields(now), matched.id);
    unit.rememberBuild(closed);
  }
  const row: BuildRow = {
    id: uuidv7(),
    version_id: version.id,
    ...startedFields(event, now),
    build_number: event.build_number ?? null,
    build_url: event.build_url ?? null,
    built_by: event.built_by ?? null,
  };
  unit.insert(builds, row);
  unit.rememberBuild(row);
  return row;
}
