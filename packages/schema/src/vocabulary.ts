// The zod-free half of the schema: plain values and functions that callers with a start-up budget
// (the GitHub Action, the CLI) import as `@versioner/schema/vocabulary` without loading zod.
// Nothing here, nor in the modules re-exported below, may import zod (checked by vocabulary.test.ts).
export * from "./environment-type.ts";
export * from "./error-codes.ts";
export * from "./input-rules.ts";
export * from "./status.ts";

/** Largest serialized `extra_metadata` object accepted (100 KB). */
export const MAX_METADATA_BYTES = 100 * 1024;

/** Largest number of events in one `POST /events/batch`. */
export const MAX_BATCH_EVENTS = 1000;

export const EVENT_KINDS = ["build", "deployment"] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

const SHARED_TEXT_FIELDS = [
  "product_name",
  "version",
  "status",
  "scm_sha",
  "scm_repository",
  "scm_branch",
  "build_number",
  "build_url",
  "source_system",
  "invoke_id",
  "started_at",
  "completed_at",
  "scm_committed_at",
] as const;

/**
 * The scalar fields of each event body (everything but `extra_metadata`), in the order CI
 * integrations resolve them. `BuildEventInput` and `DeploymentEventInput` have exactly these keys
 * plus `extra_metadata`.
 */
export const EVENT_TEXT_FIELDS = {
  build: [...SHARED_TEXT_FIELDS, "built_by", "built_by_email", "built_by_name"],
  deployment: [
    ...SHARED_TEXT_FIELDS,
    "environment_name",
    "deploy_url",
    "deployed_by",
    "deployed_by_email",
    "deployed_by_name",
  ],
} as const satisfies Record<EventKind, readonly string[]>;

/** Fields whose value is an RFC 3339 date-time with an offset. */
export const EVENT_TIMESTAMP_FIELDS = ["started_at", "completed_at", "scm_committed_at"] as const;
