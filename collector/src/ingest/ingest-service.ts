import {
  type BatchResponse,
  type BuildEvent,
  BuildEventInput,
  type BuildEventResponse,
  type DeploymentEvent,
  DeploymentEventInput,
  type DeploymentEventResponse,
  type EventKind,
  fastEventInput,
  type Status,
} from "@versioner/schema";
import type { Actor } from "../audit/audit-service.ts";
import type { Clock } from "../clock.ts";
import type { DatabaseRuntime } from "../database-runtime.ts";
import type { Database } from "../db/client.ts";
import { events } from "../db/schema/index.ts";
import { DomainError } from "../errors.ts";
import type { DomainEventBus } from "../events/domain-events.ts";
import type { CollectorMetrics, IngestOutcome } from "../metrics/collector-metrics.ts";
import { uuidv7 } from "../uuidv7.ts";
import { parseOrThrow, toErrorBody } from "../validation.ts";
import { admit, assertSameSha, assertStorable } from "./admission.ts";
import { planBuildEvent } from "./build-planner.ts";
import { type EventPlan, planProduct, planVersionInsert, planVersionUpdate } from "./catalog-planner.ts";
import { planDeploymentEvent } from "./deployment-planner.ts";
import { eventStream, requestHash } from "./lifecycle.ts";
import { repeatedEvent } from "./repeats.ts";
import type { LatestEvent, PrefetchNames, UnitOfWork } from "./unit-of-work.ts";

// Orchestration only: the rules are in lifecycle.ts and admission.ts, the writes in the planners,
// the 200 bodies in responses.ts (docs/architecture.md, "How an event flows").

export interface IngestDeps {
  database: Database;
  runtime: Pick<DatabaseRuntime, "committer">;
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
    return runInUnit(
      deps,
      (unit) => recordOne(deps, unit, { kind: "build", event }, raw, idempotencyKey),
      namesIn([{ event }]),
    ) as Promise<IngestResult<BuildEventResponse>>;
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
    return runInUnit(
      deps,
      (unit) => recordOne(deps, unit, { kind: "deployment", event }, raw, idempotencyKey, caller),
      namesIn([{ event }]),
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
    response = await runInUnit(
      deps,
      async (unit) => {
        planned = [];
        const results: BatchResponse["results"] = [];
        for (const [index, item] of items.entries()) {
          await unit.breathe();
          const count: (typeof planned)[number] = { kind: item.kind, status: "invalid", outcome: "rejected" };
          planned.push(count);
          try {
            const prefix = ["body", "events", index, "event"];
            const input = parseEvent(item, prefix);
            count.status = input.event.status;
            assertStorable(item.kind, item.event, prefix);
            const result = await recordOne(deps, unit, input, item.event, item.idempotency_key, caller);
            count.outcome = result.replayed ? "replayed" : "recorded";
            results.push({ index, status: 200, body: result.body });
          } catch (error) {
            if (!(error instanceof DomainError)) throw error;
            results.push({ index, status: error.status, body: toErrorBody(error) });
          }
        }
        const accepted = results.filter((r) => r.status === 200).length;
        return { results, accepted, rejected: results.length - accepted };
      },
      namesIn(items),
    );
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

/**
 * A batch item's event, read by its kind's fast path (fast-parse.ts) or, when that does not accept
 * it, parsed by zod, which words the errors.
 */
function parseEvent({ kind, event }: BatchItem, prefix: Array<string | number>): KindedEvent {
  return kind === "build"
    ? { kind, event: fastEventInput.build(event) ?? parseOrThrow(BuildEventInput, event, prefix) }
    : { kind, event: fastEventInput.deployment(event) ?? parseOrThrow(DeploymentEventInput, event, prefix) };
}

/** The products, versions (by product) and environments events name (as sent: prefetch only). */
function namesIn(items: Array<{ event: Record<string, unknown> }>): PrefetchNames {
  const names: PrefetchNames = { products: [], versions: [], environments: [], cells: [] };
  for (const { event } of items) {
    const product = event.product_name;
    const environment = event.environment_name;
    if (typeof product === "string") {
      names.products.push(product);
      if (typeof event.version === "string") names.versions.push({ product, version: event.version });
      if (typeof environment === "string") names.cells.push({ product, environment });
    }
    if (typeof environment === "string") names.environments.push(environment);
  }
  return names;
}

// Planned through a unit of work and applied in one batch, possibly together with the events of
// concurrent requests (group-commit.ts).
function runInUnit<T>(
  deps: IngestDeps,
  plan: (unit: UnitOfWork) => Promise<T>,
  names: PrefetchNames,
): Promise<T> {
  return deps.runtime.committer.submit(plan, names);
}

/** One event as parsed, with its kind: the planners it goes to differ. */
export type KindedEvent =
  | { kind: "build"; event: BuildEvent }
  | { kind: "deployment"; event: DeploymentEvent };

/**
 * The steps of one event inside a unit of work: a repeat answers from the stored event; every check
 * that can reject it runs before anything is planned; then the planners add its writes, and the
 * append-only event row closes it.
 */
async function recordOne(
  deps: IngestDeps,
  unit: UnitOfWork,
  input: KindedEvent,
  raw: RawEvent,
  idempotencyKey: string | undefined,
  caller?: IngestCaller,
): Promise<IngestResult<BuildEventResponse | DeploymentEventResponse>> {
  const { kind, event } = input;
  const received = deps.clock.now();
  const now = received.toISOString();
  const hash = requestHash(kind, event);
  const existingProduct = await unit.productByName(event.product_name);
  const existingVersion = existingProduct ? await unit.version(existingProduct.id, event.version) : undefined;
  const existingEnvironment =
    input.kind === "deployment" ? await unit.environmentByName(input.event.environment_name) : undefined;
  // Read at most once, and only when a rule needs it: repeats without a key, and the lifecycle
  // of an event without invoke_id that found an open record.
  const stream = eventStream(kind, existingProduct, existingVersion, existingEnvironment);
  let latest: Promise<LatestEvent | undefined> | undefined;
  const latestEvent = () => {
    latest ??= stream ? unit.latestEvent(stream) : Promise.resolve(undefined);
    return latest;
  };

  // 1. Repeats return the original response and write nothing.
  const repeat = await repeatedEvent(unit, {
    hash,
    idempotencyKey,
    receivedAt: received,
    hasInvokeId: event.invoke_id !== undefined,
    windowSeconds: deps.dedupWindowSeconds,
    latestEvent,
  });
  if (repeat) return { body: repeat.response as unknown as BuildEventResponse, replayed: true };

  // 2. Every check that can reject the event runs before anything is planned.
  if (existingVersion) assertSameSha(existingVersion, event.product_name, event.scm_sha);
  const preflight =
    input.kind === "deployment"
      ? await admit(unit, input.event, {
          database: deps.database,
          bus: deps.bus,
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
  const eventId = uuidv7();
  const plan: EventPlan = { unit, bus: deps.bus, product, version, eventId, now, latestEvent };
  const planned =
    input.kind === "build"
      ? await planBuildEvent(plan, { event: input.event, productExisted: existingProduct !== undefined })
      : await planDeploymentEvent(plan, {
          event: input.event,
          versionIsNew: !existingVersion,
          environment: existingEnvironment,
          preflight,
        });

  const eventRow = {
    id: eventId,
    kind,
    idempotency_key: idempotencyKey ?? null,
    body_hash: hash,
    product_id: product.id,
    version_id: version.id,
    environment_id: planned.environmentId,
    record_id: planned.recordId,
    status: event.status,
    payload: raw,
    response: planned.body as unknown as Record<string, unknown>,
    received_at: now,
  };
  unit.insert(events, eventRow);
  unit.rememberEvent(eventRow);
  return { body: planned.body, replayed: false };
}
