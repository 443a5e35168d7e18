import { z } from "zod";
import { ENVIRONMENT_TYPES } from "./environment-type.ts";
import { STATUSES } from "./status.ts";

const Id = z.string();
const Time = z.string();
const Text = z.string().nullable();
const Json = z.record(z.string(), z.unknown());
const StatusOut = z.enum(STATUSES);

/** A rendered deployment button (filled by the buttons feature; empty until buttons are configured). */
export const Button = z.object({
  name: z.string(),
  url: z.string(),
  environment_name: z.string().nullable(),
});
export type Button = z.infer<typeof Button>;

export const BuildEventResponse = z.object({
  id: Id,
  build_id: Id,
  event_id: Id,
  version_id: Id,
  product_id: Id,
  product_name: z.string(),
  version: z.string(),
  status: StatusOut,
  scm_sha: Text,
  build_number: Text,
  build_url: Text,
  started_at: Time.nullable(),
  completed_at: Time.nullable(),
  created_at: Time,
  buttons: z.array(Button),
});
export type BuildEventResponse = z.infer<typeof BuildEventResponse>;

export const DeploymentEventResponse = z.object({
  id: Id,
  deployment_id: Id,
  event_id: Id,
  product_id: Id,
  product_name: z.string(),
  version_id: Id,
  version: z.string(),
  environment_id: Id,
  environment_name: z.string(),
  status: StatusOut,
  deployed_at: Time,
  completed_at: Time.nullable(),
  deployed_by: Text,
  deployed_by_email: Text,
  deployed_by_name: Text,
  deploy_url: Text,
  source_system: Text,
  extra_metadata: Json,
  /** The deployment's page on the collector; only when the collector has VERSIONER_PUBLIC_URL. */
  deployment_url: z
    .string()
    .optional()
    .describe("The deployment's page on this collector; present only when VERSIONER_PUBLIC_URL is set"),
});
export type DeploymentEventResponse = z.infer<typeof DeploymentEventResponse>;

export const Product = z.object({
  id: Id,
  name: z.string(),
  description: Text,
  extra_metadata: Json,
  created_at: Time,
  updated_at: Time,
});
export type Product = z.infer<typeof Product>;

export const Version = z.object({
  id: Id,
  product_id: Id,
  product_name: z.string(),
  version: z.string(),
  scm_sha: Text,
  scm_repository: Text,
  scm_branch: Text,
  scm_committed_at: Time.nullable(),
  build_number: Text,
  build_url: Text,
  source_system: Text,
  invoke_id: Text,
  built_by: Text,
  built_by_email: Text,
  built_by_name: Text,
  status: StatusOut.nullable(),
  started_at: Time.nullable(),
  completed_at: Time.nullable(),
  extra_metadata: Json,
  created_at: Time,
  updated_at: Time,
  /** Rendered deployment buttons for the environments this version could go to next. */
  buttons: z.array(Button).optional(),
});
export type Version = z.infer<typeof Version>;

export const Build = z.object({
  id: Id,
  version_id: Id,
  status: StatusOut,
  build_number: Text,
  build_url: Text,
  invoke_id: Text,
  source_system: Text,
  built_by: Text,
  started_at: Time.nullable(),
  completed_at: Time.nullable(),
  created_at: Time,
});
export type Build = z.infer<typeof Build>;

export const Environment = z.object({
  id: Id,
  name: z.string(),
  type: z.enum(ENVIRONMENT_TYPES),
  description: Text,
  metadata: Json,
  sort_order: z.number().int(),
  created_at: Time,
  updated_at: Time,
});
export type Environment = z.infer<typeof Environment>;

export const Deployment = z.object({
  id: Id,
  product_id: Id,
  product_name: z.string(),
  version_id: Id,
  version: z.string(),
  environment_id: Id,
  environment_name: z.string(),
  status: StatusOut,
  deployed_by: Text,
  deployed_by_email: Text,
  deployed_by_name: Text,
  deploy_url: Text,
  source_system: Text,
  invoke_id: Text,
  started_at: Time.nullable(),
  completed_at: Time.nullable(),
  extra_metadata: Json,
  created_at: Time,
  updated_at: Time,
  /** When it completed, or its latest known moment before that (as in event responses). */
  deployed_at: Time,
  /** A rollback: it went back to a version that ran in the environment before (docs/insight.md). */
  is_rollback: z.boolean(),
  /** For a rollback: the version and the deployment it replaced. */
  rolled_back_from: Text,
  rolled_back_from_deployment_id: Text,
  /** Replaced by a rollback, and by which deployment. */
  rolled_back: z.boolean(),
  rolled_back_by_deployment_id: Text,
});
export type Deployment = z.infer<typeof Deployment>;

/** One product × environment cell of `GET /state`. */
export const StateCell = z.object({
  environment_id: Id,
  environment_name: z.string(),
  current: z
    .object({
      version: z.string(),
      version_id: Id,
      deployment_id: Id,
      deployed_at: Time,
      deployed_by: Text,
      /** The current deployment is a rollback from this version (absent when it is not one). */
      rolled_back_from: z.string().optional(),
    })
    .nullable(),
  /** The latest attempt when it has not finished (pending or started). */
  in_progress: z
    .object({ version: z.string(), deployment_id: Id, status: StatusOut, since: Time })
    .nullable(),
  /** The latest attempt when it failed or was aborted and nothing completed after it. */
  failed: z.object({ version: z.string(), deployment_id: Id, status: StatusOut, at: Time }).nullable(),
  /** Buttons to promote the current version from this environment to the next ones. */
  buttons: z.array(Button).optional(),
});
export type StateCell = z.infer<typeof StateCell>;

export const StateResponse = z.object({
  environments: z.array(z.object({ id: Id, name: z.string(), type: z.enum(ENVIRONMENT_TYPES) })),
  products: z.array(
    z.object({
      id: Id,
      name: z.string(),
      /** True when ≥ 2 shown cells have a current version and they are not all equal (see hasDrift). */
      drift: z.boolean(),
      cells: z.array(StateCell),
    }),
  ),
});
export type StateResponse = z.infer<typeof StateResponse>;

/** The body of every error response. */
export const ErrorBody = z.object({
  detail: z.unknown(),
  code: z.string(),
  request_id: z.string(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** One item of a 422 `detail` list. */
export const ValidationIssue = z.object({
  loc: z.array(z.union([z.string(), z.number()])),
  msg: z.string(),
  type: z.string(),
});
export type ValidationIssue = z.infer<typeof ValidationIssue>;

/** `detail` of a 409/423/428 preflight block. */
export const PreflightBlock = z.object({
  error: z.literal("deployment_blocked"),
  code: z.string(),
  message: z.string(),
  retry_after: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type PreflightBlock = z.infer<typeof PreflightBlock>;

export function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() });
}

export const BatchResult = z.object({
  index: z.number().int(),
  status: z.number().int(),
  body: z.unknown(),
});
export const BatchResponse = z.object({
  results: z.array(BatchResult),
  accepted: z.number().int(),
  rejected: z.number().int(),
});
export type BatchResponse = z.infer<typeof BatchResponse>;
