import { randomUUID } from "node:crypto";
import {
  type BatchResponse,
  type BuildEvent,
  BuildEventInput,
  type BuildEventResponse,
  type DeploymentEvent,
  DeploymentEventInput,
  type DeploymentEventResponse,
  deployedAt,
  ERROR_CODES,
  type EventKind,
  fieldsProblem,
  inferEnvironmentType,
  type Status,
  statusRank,
} from "@versioner/schema";
import { sql } from "drizzle-orm";
import { type Actor, auditInsert } from "../audit/audit-service.ts";
import { buttonsForVersions } from "../buttons/button-renderer.ts";
import type { Clock } from "../clock.ts";
import type { Database } from "../db/client.ts";
import { builds, deployments, environments, events, products, versions } from "../db/schema/index.ts";
import { ConflictError, DomainError, ValidationError } from "../errors.ts";
import type { DomainEventBus } from "../events/domain-events.ts";
import {
  PreflightBlockedError,
  type PreflightReads,
  type PreflightSubject,
  planPreflightFailure,
  preflightStatus,
  runPreflight,
} from "../governance/preflight.ts";
import { parseOrThrow, toErrorBody } from "../http/validation.ts";
import type { CollectorMetrics, IngestOutcome } from "../metrics/collector-metrics.ts";
import { groupCommitterFor } from "./group-commit.ts";
import {
  type LatestEvent,
  legacyRequestHash,
  lifecycleStep,
  repeatsLatest,
  requestHash,
} from "./lifecycle.ts";
import type {
  DeploymentRow,
  EnvironmentRow,
  EventStream,
  ProductRow,
  UnitOfWork,
  VersionRow,
} from "./unit-of-work.ts";

export interface IngestDeps {
  database: Database;
  clock: Clock;
  dedupWindowSeconds: number;
  /** Receives `build.<status>` and `deployment.<status>` inside the ingest transaction. */
  bus: DomainEventBus;
  /** Counts each event by kind, status and outcome once its fate is known (after the commit). */
  metrics: CollectorMetrics;
}

export interface IngestResult<T> {
  body: T;
  /** True when the event was a repeat and the original response was returned. */
  replayed: boolean;
}

export type RawEvent = Record<string, unknown>;

/** Who sent the events: preflight names them on a refusal and lets `rules.manage` skip the rules. */
export type IngestCaller = Actor;

/** Records a build event: product and version auto-created, one build record per run. */
export async function ingestBuild(
  deps: IngestDeps,
  event: BuildEvent,
  raw: RawEvent,
  idempotencyKey?: string,
): Promise<IngestResult<BuildEventResponse>> {
  return counted(deps, "build", event.status, () => {
    assertStorable("build", raw, ["body"]);
    return runInUnit(deps, (unit) => recordOne(deps, unit, "build", event, raw, idempotencyKey)) as Promise<
      IngestResult<BuildEventResponse>
    >;
  });
}

/** Records a deployment event: product, version and environment auto-created; lifecycle advanced. */
export async function ingestDeployment(
  deps: IngestDeps,
  event: DeploymentEvent,
  raw: RawEvent,
  idempotencyKey?: string,
  caller?: IngestCaller,
): Promise<IngestResult<DeploymentEventResponse>> {
  return counted(deps, "deployment", event.status, () => {
    assertStorable("deployment", raw, ["body"]);
    return runInUnit(deps, (unit) =>
      recordOne(deps, unit, "deployment", event, raw, idempotencyKey, caller),
    ) as Promise<IngestResult<DeploymentEventResponse>>;
  });
}

/** Runs one event's ingest and counts its outcome; a plan may run twice in a group, so never inside it. */
async function counted<T extends IngestResult<unknown>>(
  deps: IngestDeps,
  kind: EventKind,
  status: Status,
  ingest: () => Promise<T>,
): Promise<T> {
  try {
    const result = await ingest();
    deps.metrics.ingestEvent(kind, status, result.replayed ? "replayed" : "recorded");
    return result;
  } catch (error) {
    deps.metrics.ingestEvent(kind, status, error instanceof DomainError ? "rejected" : "error");
    throw error;
  }
}

export interface BatchItem {
  kind: EventKind;
  idempotency_key?: string;
  event: RawEvent;
}

/**
 * Records up to 1000 events in one transaction. Each event succeeds or fails on its own
 * (a rejected event plans no writes but, when a rule refused it, the record of the refusal);
 * the accepted ones are applied together.
 */
export async function ingestBatch(
  deps: IngestDeps,
  items: BatchItem[],
  caller?: IngestCaller,
): Promise<BatchResponse> {
  // Each item's kind, its status as parsed ("invalid" when it did not parse) and its outcome: counted
  // once the batch is committed (a plan may run twice in a group, so `planned` restarts with it).
  let planned: Array<{ kind: EventKind; status: Status | "invalid"; outcome: IngestOutcome }> = [];
  let response: BatchResponse;
  try {
    response = await runInUnit(deps, async (unit) => {
      planned = [];
      const results: BatchResponse["results"] = [];
      for (const [index, item] of items.entries()) {
        const count: (typeof planned)[number] = { kind: item.kind, status: "invalid", outcome: "rejected" };
        planned.push(count);
        try {
          const prefix = ["body", "events", index, "event"];
          const event =
            item.kind === "build"
              ? parseOrThrow(BuildEventInput, item.event, prefix)
              : parseOrThrow(DeploymentEventInput, item.event, prefix);
          count.status = event.status;
          assertStorable(item.kind, item.event, prefix);
          const result = await recordOne(
            deps,
            unit,
            item.kind,
            event,
            item.event,
            item.idempotency_key,
            caller,
          );
          count.outcome = result.replayed ? "replayed" : "recorded";
          results.push({ index, status: 200, body: result.body });
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          results.push({ index, status: error.status, body: toErrorBody(error) });
        }
      }
      const accepted = results.filter((r) => r.status === 200).length;
      return { results, accepted, rejected: results.length - accepted };
    });
  } catch (error) {
    // Items after the one that failed were never parsed.
    for (const [index, item] of items.entries()) {
      deps.metrics.ingestEvent(item.kind, planned[index]?.status ?? "invalid", "error");
    }
    throw error;
  }
  for (const count of planned) deps.metrics.ingestEvent(count.kind, count.status, count.outcome);
  return response;
}

const KNOWN_FIELDS: Record<EventKind, ReadonlySet<string>> = {
  build: new Set(Object.keys(BuildEventInput.shape)),
  deployment: new Set(Object.keys(DeploymentEventInput.shape)),
};

/**
 * The raw body is stored as the event's payload, fields the schema does not know included (the
 * known ones passed the schema's rules): refuse one that could not be serialized (nested too
 * deep) or read back (a lone surrogate).
 */
function assertStorable(kind: EventKind, raw: RawEvent, prefix: Array<string | number>): void {
  // Stryker disable next-line MethodExpression: the known fields passed the schema, which refuses the same depth and lone surrogates; only unknown ones need the walk
  const unknown = Object.keys(raw).filter((field) => !KNOWN_FIELDS[kind].has(field));
  const problem = fieldsProblem(Object.fromEntries(unknown.map((field) => [field, raw[field]])));
  if (problem) throw ValidationError.field([...prefix, ...problem.path], problem.message);
}

// Planned through a unit of work and applied in one batch, possibly together with the events of
// concurrent requests (group-commit.ts).
function runInUnit<T>(deps: IngestDeps, plan: (unit: UnitOfWork) => Promise<T>): Promise<T> {
  return groupCommitterFor(deps.database).submit(plan);
}

async function recordOne(
  deps: IngestDeps,
  unit: UnitOfWork,
  kind: EventKind,
  event: BuildEvent | DeploymentEvent,
  raw: RawEvent,
  idempotencyKey: string | undefined,
  caller?: IngestCaller,
): Promise<IngestResult<BuildEventResponse | DeploymentEventResponse>> {
  const received = deps.clock.now();
  const now = received.toISOString();
  const hash = requestHash(kind, event);
  const environmentName = "environment_name" in event ? event.environment_name : undefined;
  const existingProduct = await unit.productByName(event.product_name);
  const existingVersion = existingProduct ? await unit.version(existingProduct.id, event.version) : undefined;
  const existingEnvironment =
    environmentName === undefined ? undefined : await unit.environmentByName(environmentName);
  // Read at most once, and only when a rule needs it: repeats without a key, and the lifecycle
  // of an event without invoke_id that found an open record.
  const stream = eventStream(kind, existingProduct, existingVersion, existingEnvironment);
  let latest: Promise<LatestEvent | undefined> | undefined;
  const latestEvent = () => {
    latest ??= stream ? unit.latestEvent(stream) : Promise.resolve(undefined);
    return latest;
  };

  // 1. Repeats return the original response and write nothing.
  if (idempotencyKey) {
    const stored = await unit.eventByIdempotencyKey(idempotencyKey);
    if (stored) {
      if ((stored.body_hash ?? legacyRequestHash(stored)) !== hash) {
        throw new ConflictError(
          ERROR_CODES.IDEMPOTENCY_KEY_REUSED,
          `Idempotency-Key '${idempotencyKey}' was already used for another request (a ${stored.kind} event with a different body); send a new key for a new event`,
        );
      }
      return { body: stored.response as unknown as BuildEventResponse, replayed: true };
    }
  } else {
    const previous = await latestEvent();
    if (previous && (await isRepeat(deps, unit, previous, hash, received, event.invoke_id !== undefined))) {
      const stored = await unit.eventById(previous.id);
      // Stryker disable next-line ConditionalExpression: the latest event was read from the events table or planned in this unit, so it is found
      if (stored) return { body: stored.response as unknown as BuildEventResponse, replayed: true };
    }
  }

  // 2. Every check that can reject the event runs before anything is planned.
  if (existingVersion) assertSameSha(existingVersion, event.product_name, event.scm_sha);
  const preflight =
    kind === "deployment"
      ? await admit(deps, unit, event as DeploymentEvent, {
          product: existingProduct,
          version: existingVersion,
          environment: existingEnvironment,
          caller,
          now,
          latestEvent,
        })
      : undefined;

  // 3. Plan the writes.
  const product = existingProduct ?? planProduct(unit, event.product_name, now);
  const version = existingVersion
    ? planVersionUpdate(unit, existingVersion, event, kind, now)
    : planVersionInsert(unit, product, event, kind, now);

  const eventId = randomUUID();
  let body: BuildEventResponse | DeploymentEventResponse;
  let environmentId: string | null = null;
  let recordId: string;
  if (kind === "build") {
    const build = await planBuild(unit, version, event as BuildEvent, now, latestEvent);
    recordId = build.id;
    body = {
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
      // A product created by this event has no buttons yet: skip the lookup.
      buttons: existingProduct
        ? ((await buttonsForVersions(unit.db, [{ ...version, product_name: product.name }])).get(
            version.id,
          ) ?? [])
        : [],
    };
    await deps.bus.publish(
      {
        type: `build.${build.status}`,
        occurred_at: now,
        product_id: product.id,
        product_name: product.name,
        status: build.status,
        data: { product, version, build, response: body },
      },
      unit,
    );
  } else {
    // The rules' verdict travels with the deployment (the hosted product's response shape).
    const deploymentEvent = preflight
      ? {
          ...(event as DeploymentEvent),
          extra_metadata: { ...event.extra_metadata, preflight_status: preflight },
        }
      : (event as DeploymentEvent);
    const environment =
      existingEnvironment ?? (await planEnvironment(unit, deploymentEvent.environment_name, now));
    environmentId = environment.id;
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
      { product, version, environment, versionIsNew: !existingVersion },
      deploymentEvent,
      now,
      latestEvent,
    );
    await planState(unit, version, deployment);
    recordId = deployment.id;
    body = deploymentResponse(deployment, product, version, environment, eventId);
    await deps.bus.publish(
      {
        type: `deployment.${deployment.status}`,
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
  }

  const eventRow = {
    id: eventId,
    kind,
    idempotency_key: idempotencyKey ?? null,
    body_hash: hash,
    product_id: product.id,
    version_id: version.id,
    environment_id: environmentId,
    record_id: recordId,
    status: event.status,
    payload: raw,
    response: body as unknown as Record<string, unknown>,
    received_at: now,
  };
  unit.add(unit.db.insert(events).values(eventRow));
  unit.rememberEvent(eventRow);
  return { body, replayed: false };
}

interface Admission {
  product: ProductRow | undefined;
  version: VersionRow | undefined;
  environment: EnvironmentRow | undefined;
  caller: IngestCaller | undefined;
  now: string;
  latestEvent: () => Promise<LatestEvent | undefined>;
}

/**
 * Preflight (docs/governance.md): only an event that would start a deployment is judged (pending,
 * started, or a one-shot `completed` with no open deployment); the later events of an admitted
 * one never are. A refusal plans its own record and throws; otherwise returns what the 200 carries.
 */
async function admit(deps: IngestDeps, unit: UnitOfWork, event: DeploymentEvent, admission: Admission) {
  const { product, version, environment, caller, now } = admission;
  if (event.status !== "pending" && event.status !== "started" && event.status !== "completed")
    return undefined;
  if (product && version && environment) {
    const matched = await unit.deploymentToAdvance(product.id, environment.id, version.id, event.invoke_id);
    // A completion with an open record finishes an admitted deployment, even one ingest supersedes.
    if (matched && event.status === "completed") return undefined;
    const step = lifecycleStep({
      hasInvokeId: event.invoke_id !== undefined,
      matched,
      latestRecordId: await latestRecordId(matched, admission.latestEvent),
    });
    if (step === "advance") return undefined;
  }
  const subject: PreflightSubject = {
    productName: event.product_name,
    versionName: event.version,
    environmentName: event.environment_name,
    productId: product?.id,
    versionId: version?.id,
    environmentId: environment?.id,
  };
  // Break-glass: honoured only for a caller who could turn the rules off anyway, and audited.
  if (event.skip_preflight_checks && caller?.principal.capabilities.has("rules.manage")) {
    unit.add(
      auditInsert(
        unit.db,
        caller,
        {
          action: "preflight.skip",
          target_type: "deployment",
          target_name: `${event.product_name} ${event.version} → ${event.environment_name}`,
          after: {
            product: event.product_name,
            version: event.version,
            environment: event.environment_name,
            status: event.status,
          },
        },
        now,
      ),
    );
    return { status: "skipped", rules_evaluated: [] };
  }
  const outcome = await runPreflight(subject, unitReads(deps, unit), new Date(now));
  if (outcome.block) {
    await planPreflightFailure(unit, deps.bus, subject, outcome.block, caller?.principal.name ?? null, now);
    throw new PreflightBlockedError(outcome.block);
  }
  return preflightStatus(outcome);
}

/** Preflight's reads through the unit of work, so a batch's earlier events count. */
function unitReads(deps: IngestDeps, unit: UnitOfWork): PreflightReads {
  return {
    database: deps.database,
    environmentId: async (name) => (await unit.environmentByName(name))?.id,
    async latestAttempt(productId, environmentId) {
      const state = await unit.state(productId, environmentId);
      return state
        ? {
            deployment_id: state.last_deployment_id,
            version: state.last_version,
            status: state.last_status,
            at: state.last_at,
          }
        : undefined;
    },
  };
}

/**
 * The record the latest event of the stream touched. Only the lifecycle of a matched open record
 * needs it, so it is read only then.
 */
async function latestRecordId(
  matched: object | undefined,
  latestEvent: () => Promise<LatestEvent | undefined>,
): Promise<string | undefined> {
  // Stryker disable next-line ConditionalExpression: only spares a read; lifecycleStep starts a record when none matched, whatever the latest event
  if (!matched) return undefined;
  // Stryker disable next-line OptionalChaining: the event that made the matched record is in the same stream, so the stream has a latest event
  return (await latestEvent())?.record_id;
}

/** SHAs match when equal, or when one is an abbreviation (≥7 characters) of the other. */
function sameSha(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x === y) return true;
  const [short, long] = x.length < y.length ? [x, y] : [y, x];
  return short.length >= 7 && long.startsWith(short);
}

function assertSameSha(version: VersionRow, productName: string, sha: string | undefined): void {
  if (sha && version.scm_sha && !sameSha(version.scm_sha, sha)) {
    throw new ConflictError(
      ERROR_CODES.VERSION_SHA_CONFLICT,
      `Version ${version.version} of ${productName} already exists with different SHA (registered ${version.scm_sha}, received ${sha})`,
    );
  }
}

function eventStream(
  kind: EventKind,
  product: ProductRow | undefined,
  version: VersionRow | undefined,
  environment: EnvironmentRow | undefined,
): EventStream | undefined {
  if (kind === "build") return version ? { version_id: version.id } : undefined;
  return product && environment ? { product_id: product.id, environment_id: environment.id } : undefined;
}

async function isRepeat(
  deps: IngestDeps,
  unit: UnitOfWork,
  latest: LatestEvent,
  hash: string,
  receivedAt: Date,
  hasInvokeId: boolean,
): Promise<boolean> {
  let latestHash = latest.body_hash;
  if (latestHash === null) {
    const row = await unit.eventById(latest.id);
    // Stryker disable next-line ConditionalExpression: the latest event was read from the events table or planned in this unit, so it is found
    latestHash = row ? legacyRequestHash(row) : null;
  }
  return repeatsLatest({
    hash,
    latestHash,
    latestReceivedAt: latest.received_at,
    receivedAt,
    hasInvokeId,
    windowSeconds: deps.dedupWindowSeconds,
  });
}

function planProduct(unit: UnitOfWork, name: string, now: string): ProductRow {
  const row: ProductRow = {
    id: randomUUID(),
    name,
    description: null,
    extra_metadata: {},
    created_at: now,
    updated_at: now,
  };
  unit.add(unit.db.insert(products).values(row));
  unit.rememberProduct(row);
  return row;
}

function planVersionInsert(
  unit: UnitOfWork,
  product: ProductRow,
  event: BuildEvent | DeploymentEvent,
  kind: EventKind,
  now: string,
): VersionRow {
  const build = kind === "build" ? (event as BuildEvent) : undefined;
  const row: VersionRow = {
    id: randomUUID(),
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
  unit.add(unit.db.insert(versions).values(row));
  unit.rememberVersion(row);
  return row;
}

function planVersionUpdate(
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
    const advance =
      current.status === null || statusRank(build.status) >= statusRank(current.status as Status);
    if (advance) {
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
  unit.add(unit.db.update(versions).set(changes).where(sql`${versions.id} = ${id}`));
  unit.rememberVersion(next);
  return next;
}

async function planBuild(
  unit: UnitOfWork,
  version: VersionRow,
  event: BuildEvent,
  now: string,
  latestEvent: () => Promise<LatestEvent | undefined>,
) {
  const matched = await unit.buildToAdvance(version.id, event.invoke_id);
  const step = lifecycleStep({
    hasInvokeId: event.invoke_id !== undefined,
    matched,
    latestRecordId: await latestRecordId(matched, latestEvent),
  });
  if (step === "advance" && matched) {
    if (statusRank(event.status) < statusRank(matched.status as Status)) return matched;
    const next = {
      ...matched,
      status: event.status,
      build_number: event.build_number ?? matched.build_number,
      build_url: event.build_url ?? matched.build_url,
      source_system: event.source_system ?? matched.source_system,
      built_by: event.built_by ?? matched.built_by,
      started_at: startedAt(event, matched.started_at, now),
      completed_at: completedAt(event, matched.completed_at, now),
      extra_metadata: { ...matched.extra_metadata, ...event.extra_metadata },
      updated_at: now,
    };
    const { id, ...changes } = next;
    unit.add(unit.db.update(builds).set(changes).where(sql`${builds.id} = ${id}`));
    unit.rememberBuild(next);
    return next;
  }
  if (step === "supersede" && matched) {
    const closed = { ...matched, ...supersededFields(now) };
    unit.add(unit.db.update(builds).set(supersededFields(now)).where(sql`${builds.id} = ${matched.id}`));
    unit.rememberBuild(closed);
  }
  const row = {
    id: randomUUID(),
    version_id: version.id,
    status: event.status,
    build_number: event.build_number ?? null,
    build_url: event.build_url ?? null,
    invoke_id: event.invoke_id ?? null,
    source_system: event.source_system ?? null,
    built_by: event.built_by ?? null,
    started_at: startedAt(event, null, now),
    completed_at: completedAt(event, null, now),
    extra_metadata: event.extra_metadata ?? {},
    created_at: now,
    updated_at: now,
  };
  unit.add(unit.db.insert(builds).values(row));
  unit.rememberBuild(row);
  return row;
}

/** An open record that a newer attempt replaced: it will never report its end, so it ends here. */
function supersededFields(now: string) {
  return { status: "aborted", completed_at: now, updated_at: now } as const;
}

async function planEnvironment(unit: UnitOfWork, name: string, now: string): Promise<EnvironmentRow> {
  const row: EnvironmentRow = {
    id: randomUUID(),
    name,
    type: inferEnvironmentType(name),
    description: null,
    metadata: {},
    sort_order: (await unit.maxSortOrder()) + 10,
    created_at: now,
    updated_at: now,
  };
  unit.add(unit.db.insert(environments).values(row));
  unit.rememberEnvironment(row);
  return row;
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
  if (event.invoke_id !== undefined && event.status === "completed" && !target.versionIsNew) {
    const open = await unit.deploymentToAdvance(product.id, environment.id, version.id, undefined);
    if (open) await closeSuperseded(unit, target, open, now);
  }
  return deployment;
}

interface DeploymentTarget {
  product: ProductRow;
  version: VersionRow;
  environment: EnvironmentRow;
  /** Created by this event: it has no deployments yet. */
  versionIsNew: boolean;
}

function advanceDeployment(
  unit: UnitOfWork,
  matched: DeploymentRow,
  event: DeploymentEvent,
  now: string,
): DeploymentRow {
  // Out-of-order events (a late "started" after "completed") are logged but never move a record back.
  if (statusRank(event.status) < statusRank(matched.status as Status)) return matched;
  const next: DeploymentRow = {
    ...matched,
    status: event.status,
    deployed_by: event.deployed_by ?? matched.deployed_by,
    deployed_by_email: event.deployed_by_email ?? matched.deployed_by_email,
    deployed_by_name: event.deployed_by_name ?? matched.deployed_by_name,
    deploy_url: event.deploy_url ?? matched.deploy_url,
    source_system: event.source_system ?? matched.source_system,
    started_at: startedAt(event, matched.started_at, now),
    completed_at: completedAt(event, matched.completed_at, now),
    extra_metadata: { ...matched.extra_metadata, ...event.extra_metadata },
    updated_at: now,
  };
  const { id, ...changes } = next;
  unit.add(unit.db.update(deployments).set(changes).where(sql`${deployments.id} = ${id}`));
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
    id: randomUUID(),
    product_id: target.product.id,
    version_id: target.version.id,
    environment_id: target.environment.id,
    status: event.status,
    deployed_by: event.deployed_by ?? null,
    deployed_by_email: event.deployed_by_email ?? null,
    deployed_by_name: event.deployed_by_name ?? null,
    deploy_url: event.deploy_url ?? null,
    source_system: event.source_system ?? null,
    invoke_id: event.invoke_id ?? null,
    started_at: startedAt(event, null, now),
    completed_at: completedAt(event, null, now),
    extra_metadata: event.extra_metadata ?? {},
    created_at: now,
    updated_at: now,
  };
  unit.add(unit.db.insert(deployments).values(row));
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
  unit.add(unit.db.update(deployments).set(supersededFields(now)).where(sql`${deployments.id} = ${open.id}`));
  unit.rememberDeployment(closed);
  // Only a back-dated cell can still show it as the latest attempt; keep that cell truthful.
  if ((await unit.state(target.product.id, target.environment.id))?.last_deployment_id === open.id)
    await planState(unit, target.version, closed);
}

/** When a deployment went live (completed), or its latest known moment otherwise. */
export function deploymentTime(
  row: Pick<DeploymentRow, "completed_at" | "started_at" | "created_at">,
): string {
  return deployedAt(row);
}

// The upsert decides in SQL, so two collectors on one database cannot move the cell backwards:
// "current" only moves to a later completed deployment, "last" only to a later attempt.
async function planState(unit: UnitOfWork, version: VersionRow, deployment: DeploymentRow): Promise<void> {
  const at = deploymentTime(deployment);
  const completed = deployment.status === "completed";
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
  };
  unit.rememberState(row);
  const c = completed
    ? { id: deployment.id, version_id: version.id, version: version.version, at, by: deployment.deployed_by }
    : null;
  unit.add(
    unit.db.run(sql`
      INSERT INTO current_state (product_id, environment_id, current_deployment_id, current_version_id, current_version,
        current_deployed_at, current_deployed_by, last_deployment_id, last_version, last_status, last_at)
      VALUES (${deployment.product_id}, ${deployment.environment_id}, ${c?.id ?? null}, ${c?.version_id ?? null},
        ${c?.version ?? null}, ${c?.at ?? null}, ${c?.by ?? null}, ${deployment.id}, ${version.version},
        ${deployment.status}, ${at})
      ON CONFLICT (product_id, environment_id) DO UPDATE SET
        current_deployment_id = CASE WHEN ${takeNewCurrent} THEN excluded.current_deployment_id ELSE current_state.current_deployment_id END,
        current_version_id = CASE WHEN ${takeNewCurrent} THEN excluded.current_version_id ELSE current_state.current_version_id END,
        current_version = CASE WHEN ${takeNewCurrent} THEN excluded.current_version ELSE current_state.current_version END,
        current_deployed_by = CASE WHEN ${takeNewCurrent} THEN excluded.current_deployed_by ELSE current_state.current_deployed_by END,
        current_deployed_at = CASE WHEN ${takeNewCurrent} THEN excluded.current_deployed_at ELSE current_state.current_deployed_at END,
        last_version = CASE WHEN ${takeNewLast} THEN excluded.last_version ELSE current_state.last_version END,
        last_status = CASE WHEN ${takeNewLast} THEN excluded.last_status ELSE current_state.last_status END,
        last_at = CASE WHEN ${takeNewLast} THEN excluded.last_at ELSE current_state.last_at END,
        last_deployment_id = CASE WHEN ${takeNewLast} THEN excluded.last_deployment_id ELSE current_state.last_deployment_id END
    `),
  );
}

// Column order in the SET list matters: SQLite evaluates every CASE against the old row, so
// these conditions see the values from before the update.
const takeNewCurrent = sql.raw(
  "excluded.current_deployed_at IS NOT NULL AND (current_state.current_deployed_at IS NULL OR excluded.current_deployed_at >= current_state.current_deployed_at OR excluded.current_deployment_id = current_state.current_deployment_id)",
);
const takeNewLast = sql.raw(
  "excluded.last_deployment_id = current_state.last_deployment_id OR excluded.last_at >= current_state.last_at",
);

function startedAt(event: BuildEvent | DeploymentEvent, current: string | null, now: string): string | null {
  if (event.started_at) return current ?? event.started_at;
  if (current) return current;
  return event.status === "started" ? now : null;
}

function completedAt(
  event: BuildEvent | DeploymentEvent,
  current: string | null,
  now: string,
): string | null {
  if (event.status === "pending" || event.status === "started") return current;
  return event.completed_at ?? now;
}

function deploymentResponse(
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
    deployed_at: deploymentTime(deployment),
    completed_at: deployment.completed_at,
    deployed_by: deployment.deployed_by,
    deployed_by_email: deployment.deployed_by_email,
    deployed_by_name: deployment.deployed_by_name,
    deploy_url: deployment.deploy_url,
    source_system: deployment.source_system,
    extra_metadata: deployment.extra_metadata,
  };
}
