import { z } from "zod";
import { fastObjectParser } from "./fast-parse.ts";
import { BuildNumber, Metadata, Name, OptionalText, OptionalTimestamp, StatusInput } from "./fields.ts";
import { EVENT_KINDS, MAX_BATCH_EVENTS } from "./vocabulary.ts";

const sharedFields = {
  product_name: Name,
  version: Name,
  status: StatusInput,
  scm_sha: OptionalText(255),
  scm_repository: OptionalText(512),
  scm_branch: OptionalText(512),
  build_number: BuildNumber,
  build_url: OptionalText(2048),
  source_system: OptionalText(64),
  invoke_id: OptionalText(255),
  started_at: OptionalTimestamp,
  completed_at: OptionalTimestamp,
  /** When the deployed or built commit was made: lead time for changes starts here (docs/insight.md). */
  scm_committed_at: OptionalTimestamp,
  extra_metadata: Metadata,
};

/** `POST /build-events/` body. Unknown fields are ignored so older clients keep working. */
export const BuildEventInput = z.object({
  ...sharedFields,
  built_by: OptionalText(255),
  built_by_email: OptionalText(320),
  built_by_name: OptionalText(255),
});
export type BuildEventInput = z.input<typeof BuildEventInput>;
export type BuildEvent = z.output<typeof BuildEventInput>;

/** `POST /deployment-events/` body. */
export const DeploymentEventInput = z.object({
  ...sharedFields,
  environment_name: Name,
  deploy_url: OptionalText(2048),
  deployed_by: OptionalText(255),
  deployed_by_email: OptionalText(320),
  deployed_by_name: OptionalText(255),
  /** Break-glass: honoured only for a caller holding `rules.manage`, and audited (docs/governance.md). */
  skip_preflight_checks: z.boolean().optional(),
});
export type DeploymentEventInput = z.input<typeof DeploymentEventInput>;
export type DeploymentEvent = z.output<typeof DeploymentEventInput>;

/**
 * The event bodies read on the fast path: zod's output for the events it accepts, `undefined` for
 * the others, which are then parsed by the schemas above (fast-parse.ts).
 */
export const fastEventInput = {
  build: fastObjectParser(BuildEventInput),
  deployment: fastObjectParser(DeploymentEventInput),
};

/** A JSON object, checked and kept as it is (its keys are neither checked nor copied). */
const AnyJsonObject = z
  .custom<Record<string, unknown>>()
  .check((context) => {
    const received = notAnObject(context.value);
    if (received === undefined) return;
    context.issues.push({
      code: "invalid_type",
      expected: "object",
      input: context.value,
      message: `Invalid input: expected object, received ${received}`,
    });
  })
  .meta({ type: "object", additionalProperties: true });

/** What a value that is not a JSON object is, in zod's words; undefined for an object. */
function notAnObject(value: unknown): string | undefined {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) return undefined;
  return value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
}

/** One item of a batch: `kind` says which event body it carries; `idempotency_key` is optional. */
export const BatchItemInput = z.object({
  kind: z.enum(EVENT_KINDS),
  idempotency_key: Name.optional(),
  // Any JSON object: each event is parsed by its kind's schema when it is planned, a slice of the
  // batch at a time. Here only its type is checked, and the object is kept as sent: a loose object
  // would copy every key of every event (1.6 ms for 1,000 events against 0.1 ms), in the one turn
  // of the event loop that also parses the body. The issue is a loose object's, word for word.
  event: AnyJsonObject,
});

export type BatchItemInput = z.input<typeof BatchItemInput>;

export const BatchInput = z.object({
  events: z.array(BatchItemInput).min(1).max(MAX_BATCH_EVENTS),
});
export type BatchInput = z.input<typeof BatchInput>;
