import { z } from "zod";

// The governance API's shapes (issue 12: rules, locks, preflight, deployment requests). Loose objects: a field the
// collector adds later must reach the agent, not fail the tool's output validation.

/** The API's approval types (`POST /versions/{id}/approvals`, deployment request slots). */
export const APPROVAL_TYPES = ["uat", "qa", "performance", "security", "code_review", "compliance"] as const;

export const Lock = z.looseObject({
  id: z.string(),
  environment: z.string(),
  product: z.string().nullable(),
  reason: z.string(),
  locked_by: z.string().nullable(),
  created_at: z.string(),
  expires_at: z.string().nullable(),
});
export type Lock = z.infer<typeof Lock>;

export const Rule = z.looseObject({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  mode: z.string(),
  scope: z.looseObject({ products: z.array(z.string()), environments: z.array(z.string()) }),
  settings: z.record(z.string(), z.unknown()),
  description: z.string().nullable().optional(),
});
export type Rule = z.infer<typeof Rule>;

export const DeploymentRequest = z.looseObject({
  id: z.string(),
  name: z.string().nullable().optional(),
  product: z.string(),
  version: z.string(),
  environment: z.string(),
  status: z.string(),
  slots: z.array(z.looseObject({ type: z.string(), status: z.string() })),
  created_by: z.string().nullable().optional(),
  created_at: z.string(),
});
export type DeploymentRequest = z.infer<typeof DeploymentRequest>;

/** Statuses of a deployment request still waiting to be deployed. */
export const OPEN_REQUEST_STATUSES: readonly string[] = ["draft", "in_progress", "approved"];

const RuleEvaluation = z.looseObject({
  rule_name: z.string(),
  rule_id: z.string(),
  mode: z.string(),
  status: z.string(),
  error_message: z.string().nullable().optional(),
  retry_after: z.string().nullable().optional(),
});

const Block = z.looseObject({
  error: z.string(),
  code: z.string(),
  message: z.string(),
  retry_after: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

/** `POST /preflight`. */
export const PreflightResult = z.looseObject({
  allowed: z.boolean(),
  block: Block.nullable(),
  http_status: z.number().int().nullable(),
  warnings: z.array(RuleEvaluation),
  rules_evaluated: z.array(RuleEvaluation),
});
export type PreflightResult = z.infer<typeof PreflightResult>;
