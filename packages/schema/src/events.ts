import { z } from "zod";
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

/** One item of a batch: `kind` says which event body it carries; `idempotency_key` is optional. */
export const BatchItemInput = z.object({
  kind: z.enum(EVENT_KINDS),
  idempotency_key: Name.optional(),
  // Any JSON object: each event is parsed by its kind's schema when it is planned. A loose object
  // checks that in half the time of a record (which also checks every key): the envelope of a
  // 1,000-event batch is validated in one turn of the event loop.
  event: z.looseObject({}),
});
export type BatchItemInput = z.input<typeof BatchItemInput>;

export const BatchInput = z.object({
  events: z.array(BatchItemInput).min(1).max(MAX_BATCH_EVENTS),
});
export type BatchInput = z.input<typeof BatchInput>;
