import {
  type BuildEvent,
  type DeploymentEvent,
  type EventKind,
  inferEnvironmentType,
  movesForward,
  type Status,
} from "@versioner/schema";
import { environments, products, versions } from "../db/schema/index.ts";
import type { DomainEventBus } from "../events/domain-events.ts";
import { uuidv7 } from "../uuidv7.ts";
import { completedAt, startedAt } from "./lifecycle.ts";
import type { EnvironmentRow, LatestEvent, ProductRow, UnitOfWork, VersionRow } from "./unit-of-work.ts";

// What any event plans for the catalog it names: the product, version and environment are created
// on first sight, and a version learns what later events tell about it.

/**
 * What the planner of an event's kind (build-planner.ts, deployment-planner.ts) is given once the
 * event's product and version are planned. Passed as it is, beside what only that kind needs: one
 * object built as `{ ...this, event, … }` per event would cost a hidden class each (merged.ts).
 */
export interface EventPlan {
  unit: UnitOfWork;
  bus: DomainEventBus;
  product: ProductRow;
  version: VersionRow;
  eventId: string;
  now: string;
  latestEvent: () => Promise<LatestEvent | undefined>;
}

export function planProduct(unit: UnitOfWork, name: string, now: string): ProductRow {
  const row: ProductRow = {
    id: uuidv7(),
    name,
    description: null,
    extra_metadata: {},
    created_at: now,
    updated_at: now,
  };
  unit.insert(products, row);
  unit.rememberProduct(row);
  return row;
}

export function planVersionInsert(
  unit: UnitOfWork,
  product: ProductRow,
  event: BuildEvent | DeploymentEvent,
  kind: EventKind,
  now: string,
): VersionRow {
  const build = kind === "build" ? (event as BuildEvent) : undefined;
  const row: VersionRow = {
    id: uuidv7(),
    product_id: product.id,
    version: event.version,
    scm_sha: event.scm_sha ?? null,
    scm_repository: event.scm_repository ?? null,
    scm_branch: event.scm_branch ?? null,
    scm_committed_at: event.scm_committed_at ?? null,
    build_number: event.build_number ?? null,
    build_url: event.build_url ?? null,
    source_system: event.source_system ?? null,
    invoke_id: build ? (event.invoke_id ?? null) : null,
    built_by: build?.built_by ?? null,
    built_by_email: build?.built_by_email ?? null,
    built_by_name: build?.built_by_name ?? null,
    // A version first seen in a deployment has no build status until a build event says one.
    status: build ? build.status : null,
    started_at: build ? startedAt(build, null, now) : null,
    completed_at: build ? completedAt(build, null, now) : null,
    extra_metadata: build?.extra_metadata ?? {},
    created_at: now,
    updated_at: now,
  };
  unit.insert(versions, row);
  unit.rememberVersion(row);
  return row;
}

export function planVersionUpdate(
  unit: UnitOfWork,
  current: VersionRow,
  event: BuildEvent | DeploymentEvent,
  kind: EventKind,
  now: string,
): VersionRow {
  const next: VersionRow = { ...current };
  // Identity never changes, but an abbreviated SHA may be completed by a longer one.
  if (event.scm_sha && (!current.scm_sha || event.scm_sha.length > current.scm_sha.length))
    next.scm_sha = event.scm_sha;
  next.scm_repository = current.scm_repository ?? event.scm_repository ?? null;
  next.scm_branch = current.scm_branch ?? event.scm_branch ?? null;
  // A deployment event may bring the commit time a build event never sent (lead time needs it).
  next.scm_committed_at = current.scm_committed_at ?? event.scm_committed_at ?? null;
  if (kind === "build") {
    const build = event as BuildEvent;
    if (movesForward(current.status as Status | null, build.status)) {
      next.status = build.status;
      next.started_at = startedAt(build, current.started_at, now);
      next.completed_at = completedAt(build, current.completed_at, now);
    }
    next.scm_repository = event.scm_repository ?? next.scm_repository;
    next.scm_branch = event.scm_branch ?? next.scm_branch;
    next.scm_committed_at = build.scm_committed_at ?? current.scm_committed_at;
    next.build_number = build.build_number ?? current.build_number;
    next.build_url = build.build_url ?? current.build_url;
    next.source_system = build.source_system ?? current.source_system;
    next.invoke_id = build.invoke_id ?? current.invoke_id;
    next.built_by = build.built_by ?? current.built_by;
    next.built_by_email = build.built_by_email ?? current.built_by_email;
    next.built_by_name = build.built_by_name ?? current.built_by_name;
    next.extra_metadata = { ...current.extra_metadata, ...build.extra_metadata };
  }
  if (JSON.stringify(next) === JSON.stringify(current)) return current;
  next.updated_at = now;
  const { id, ...changes } = next;
  unit.updateById(versions, changes, id);
  unit.rememberVersion(next);
  return next;
}

export async function planEnvironment(unit: UnitOfWork, name: string, now: string): Promise<EnvironmentRow> {
  const row: EnvironmentRow = {
    id: uuidv7(),
    name,
    type: inferEnvironmentType(name),
    description: null,
    metadata: {},
    sort_order: (await unit.maxSortOrder()) + 10,
    created_at: now,
    updated_at: now,
  };
  unit.insert(environments, row);
  unit.rememberEnvironment(row);
  return row;
}
