import {
  BuildEventInput,
  DeploymentEventInput,
  type Environment,
  inferEnvironmentType,
  MAX_BATCH_EVENTS,
  Name,
  type ValidationIssue,
} from "@versioner/schema";
import type { z } from "zod";
import type { Actor } from "../audit/audit-service.ts";
import {
  createEnvironment,
  findEnvironment,
  getEnvironment,
  updateEnvironment,
} from "../catalog/environments-service.ts";
import type { CatalogDeps } from "../catalog/products-service.ts";
import { ConflictError, type DomainError, NotFoundError, ValidationError } from "../errors.ts";
import { type BatchItem, type IngestDeps, ingestBatch } from "../ingest/ingest-service.ts";
import { parseOrThrow, toErrorBody, toIssues } from "../validation.ts";
import { type Mapping, type MappingOptions, mapCDEvent } from "./cdevents-mapping.ts";
import {
  type CDEvent,
  CDEventEnvelope,
  cdeventSchema,
  eventVersionMatches,
  isMappedType,
  type MappedType,
  parseEventType,
  SPEC_RELEASES,
  type SpecVersion,
  specVersionOf,
} from "./cdevents-schema.ts";
import type { ReceivedCloudEvent, ReceivedRequest } from "./cloudevents-http.ts";

export interface CdeventsDeps {
  ingest: IngestDeps;
  catalog: CatalogDeps;
  mapping: MappingOptions;
}

/** Identifies the CloudEvent an outcome belongs to. */
export interface EventRef {
  id: string;
  source: string;
  type: string;
}

/** What became of one CloudEvent: 200 mapped, 202 ignored, or an error of the API's contract. */
export interface EventOutcome {
  status: number;
  body: Record<string, unknown>;
  /** Set for failures, so a single-event request can answer with the error contract itself. */
  error?: DomainError;
}

type Prepared =
  | { ok: true; ref: EventRef; mapping: Mapping; loc: Array<string | number> }
  | { ok: false; error: DomainError };

/**
 * Validates, maps and records the CDEvents of one request, in order. Consecutive build and
 * deployment events go to ingest together (one transaction, each reported on its own), so every
 * ingest rule applies; environment events are applied between them, where they stand.
 */
export async function receiveCdevents(
  deps: CdeventsDeps,
  actor: Actor,
  request: ReceivedRequest,
): Promise<EventOutcome[]> {
  if (request.events.length > MAX_BATCH_EVENTS) {
    throw ValidationError.field(["body"], `A batch holds at most ${MAX_BATCH_EVENTS} events`, "too_big");
  }
  const outcomes: EventOutcome[] = [];
  let pending: Array<{ index: number; ref: EventRef; kind: "deployment" | "build"; item: BatchItem }> = [];
  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const { results } = await ingestBatch(
      deps.ingest,
      batch.map((entry) => entry.item),
    );
    for (const [position, result] of results.entries()) {
      const entry = batch[position];
      if (!entry) continue;
      outcomes[entry.index] =
        result.status === 200
          ? { status: 200, body: { event: entry.ref, mapped_to: entry.kind, result: result.body } }
          : { status: result.status, body: result.body as Record<string, unknown> };
    }
  };

  for (const [index, received] of request.events.entries()) {
    const prepared = prepare(received, deps.mapping);
    if (!prepared.ok) {
      outcomes[index] = failure(prepared.error);
      continue;
    }
    const { ref, mapping, loc } = prepared;
    switch (mapping.kind) {
      case "ignored":
        outcomes[index] = { status: 202, body: { event: ref, ignored: true, reason: mapping.reason } };
        break;
      case "deployment":
      case "build":
        try {
          checkIngestInput(mapping, loc);
          pending.push({
            index,
            ref,
            kind: mapping.kind,
            item: {
              kind: mapping.kind,
              idempotency_key: mapping.idempotencyKey,
              event: { ...mapping.event },
            },
          });
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          outcomes[index] = failure(error);
        }
        break;
      case "environment":
        await flush();
        try {
          outcomes[index] = await applyEnvironment(deps, actor, ref, mapping, loc);
        } catch (error) {
          if (!(error instanceof ValidationError || error instanceof ConflictError)) throw error;
          outcomes[index] = failure(error);
        }
        break;
    }
  }
  await flush();
  return outcomes;
}

function failure(error: DomainError): EventOutcome {
  return { status: error.status, body: toErrorBody(error), error };
}

/** Reads one CloudEvent as a CDEvent of a known spec version and maps it, or says why not. */
function prepare(received: ReceivedCloudEvent, options: MappingOptions): Prepared {
  if (!received.ok) return received;
  try {
    const { attributes, data, loc } = received;
    const envelope = parseOrThrow(CDEventEnvelope, data, loc);
    const { context } = envelope;
    const ref: EventRef = { id: attributes.id, source: attributes.source, type: attributes.type };
    assertAttributesMatch(received, context);
    const eventType = parseEventType(context.type);
    if (!eventType) {
      throw ValidationError.field(
        [...loc, "context", "type"],
        "must be dev.cdevents.<subject>.<predicate>.<version>",
      );
    }
    const spec = declaredSpec(context, loc);
    const name = `${eventType.subject}.${eventType.predicate}`;
    if (!isMappedType(name)) {
      return {
        ok: true,
        ref,
        loc,
        mapping: {
          kind: "ignored",
          reason: `${name} events are not mapped by Versioner (see docs/cdevents.md)`,
        },
      };
    }
    if (!eventVersionMatches(spec, eventType.version)) {
      throw ValidationError.field(
        [...loc, "context", "type"],
        `${name} ${eventType.version} is not an event version of CDEvents ${spec} ` +
          `(expected ${SPEC_RELEASES[spec].eventVersion.replace(/\d+$/, "x")})`,
      );
    }
    const event = parseOrThrow(cdeventSchema(name, spec), data, loc) as CDEvent<MappedType>;
    return { ok: true, ref, loc, mapping: within(loc, () => mapCDEvent(name, event, spec, options)) };
  } catch (error) {
    if (error instanceof ValidationError) return { ok: false, error };
    throw error;
  }
}

/** Runs `map`, placing the CDEvent field a ValidationError names at the data's place in the request. */
function within<T>(loc: Array<string | number>, map: () => T): T {
  try {
    return map();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const issues = error.detail as ValidationIssue[];
    throw new ValidationError(issues.map((issue) => ({ ...issue, loc: [...loc, ...issue.loc] })));
  }
}

/** The CloudEvents binding requires id, source and type to equal the CDEvent context's. */
function assertAttributesMatch(
  received: Extract<ReceivedCloudEvent, { ok: true }>,
  context: z.infer<typeof CDEventEnvelope>["context"],
): void {
  const issues = (["id", "source", "type"] as const).flatMap((name) => {
    const inContext = (context as Record<string, unknown>)[name];
    if (inContext === undefined) {
      return [{ loc: [...received.loc, "context", name], msg: "Field required", type: "missing" }];
    }
    return inContext === received.attributes[name]
      ? []
      : [
          {
            loc: received.attributeLoc(name),
            msg: `must equal the CDEvent's context.${name} (${JSON.stringify(inContext)})`,
            type: "value_error",
          },
        ];
  });
  if (issues.length > 0) throw new ValidationError(issues);
}

/** v0.4 declares its version in `context.version`, v0.5 in `context.specversion`. */
function declaredSpec(
  context: { version?: string; specversion?: string },
  loc: Array<string | number>,
): SpecVersion {
  const field = context.specversion !== undefined ? "specversion" : "version";
  const declared = context.specversion ?? context.version;
  if (declared === undefined) {
    throw ValidationError.field(
      [...loc, "context", "specversion"],
      "Field required (context.version in CDEvents 0.4, context.specversion in 0.5)",
      "missing",
    );
  }
  const spec = specVersionOf(declared);
  if (!spec) {
    throw ValidationError.field(
      [...loc, "context", field],
      `Unsupported CDEvents version '${declared}' (0.4.x or 0.5.x)`,
    );
  }
  const expected = spec === "0.4" ? "version" : "specversion";
  if (field !== expected) {
    throw ValidationError.field(
      [...loc, "context", expected],
      `Field required: CDEvents ${spec} declares its version in context.${expected}`,
      "missing",
    );
  }
  return spec;
}

/** Runs ingest's own input validation first, so a 422 names the CDEvent field, not Versioner's. */
function checkIngestInput(
  mapping: Extract<Mapping, { kind: "deployment" | "build" }>,
  loc: Array<string | number>,
): void {
  const schema = mapping.kind === "deployment" ? DeploymentEventInput : BuildEventInput;
  const parsed = schema.safeParse(mapping.event);
  if (parsed.success) return;
  throw new ValidationError(
    toIssues(parsed.error, []).map((issue) => {
      const [field, ...rest] = issue.loc;
      const origin = typeof field === "string" ? mapping.origins[field] : undefined;
      return { ...issue, loc: origin ? [...loc, ...origin, ...rest] : [...loc, ...issue.loc] };
    }),
  );
}

/**
 * Environment events keep the CDEvents facts under `metadata.cdevents` and never rename, retype or
 * delete an environment: its deployments are history. An older event never overwrites a newer one.
 */
async function applyEnvironment(
  deps: CdeventsDeps,
  actor: Actor,
  ref: EventRef,
  mapping: Extract<Mapping, { kind: "environment" }>,
  loc: Array<string | number>,
): Promise<EventOutcome> {
  const name = parseOrThrow(Name, mapping.name, [...loc, "subject", "id"]);
  const accepted = (environment: Environment): EventOutcome => ({
    status: 200,
    body: { event: ref, mapped_to: "environment", result: environment },
  });
  const existing = await findEnvironment(deps.catalog, name).catch((error: unknown) => {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  });
  if (!existing) {
    if (mapping.predicate === "deleted") {
      return {
        status: 202,
        body: { event: ref, ignored: true, reason: `No environment '${name}' to mark deleted` },
      };
    }
    try {
      return accepted(
        await createEnvironment(deps.catalog, actor, {
          name,
          type: inferEnvironmentType(mapping.facts.name ?? name),
          metadata: { cdevents: factsOf(mapping, undefined) },
        }),
      );
    } catch (error) {
      // A deployment created it meanwhile: fall through to the update.
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  const current = existing ?? (await findEnvironment(deps.catalog, name));
  const previous = current.metadata.cdevents as Record<string, unknown> | undefined;
  if (typeof previous?.timestamp === "string" && previous.timestamp > mapping.facts.at) {
    return accepted(await getEnvironment(deps.catalog, current.id));
  }
  return accepted(
    await updateEnvironment(deps.catalog, actor, current.id, {
      metadata: { ...current.metadata, cdevents: factsOf(mapping, previous) },
    }),
  );
}

function factsOf(
  mapping: Extract<Mapping, { kind: "environment" }>,
  previous: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const { at, event, ...facts } = mapping.facts;
  // What the environment is (name, url) accumulates over events; what the event was (id, links,
  // custom data…) is the latest event's alone.
  const next: Record<string, unknown> = {
    ...(previous?.name !== undefined && { name: previous.name }),
    ...(previous?.url !== undefined && { url: previous.url }),
    ...event,
    ...facts,
    timestamp: at,
    last_predicate: mapping.predicate,
  };
  if (mapping.predicate === "deleted") next.deleted_at = at;
  else delete next.deleted_at;
  return next;
}
