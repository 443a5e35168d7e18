import { z } from "@hono/zod-openapi";
import { FreeText, Name, PreflightBlock } from "@versioner/schema";
import { APPROVAL_TYPES } from "./approval-checks.ts";

export const RULE_TYPES = [
  "schedule",
  "flow",
  "version_approval",
  "deployment_request",
  "concurrency",
] as const;
export type RuleType = (typeof RULE_TYPES)[number];
export const RULE_MODES = ["enabled", "report_only", "disabled"] as const;
export type RuleMode = (typeof RULE_MODES)[number];

const ApprovalTypeList = z.array(z.enum(APPROVAL_TYPES)).max(APPROVAL_TYPES.length);

/** Settings per rule type; unknown keys are refused so a typo never silently weakens a rule. */
export const RULE_SETTINGS = {
  schedule: z.strictObject({
    recurrence: z.enum(["once", "daily", "weekly", "monthly"]),
    timezone: z.string().max(64).default("UTC"),
    start: z.string().max(32),
    end: z.string().max(32),
    days_of_week: z.array(z.number().int().min(0).max(6)).max(7).optional(),
    day_of_month: z.number().int().min(1).max(31).optional(),
    start_date: z.string().max(10).optional(),
    end_date: z.string().max(10).optional(),
    reason: FreeText(1024).optional(),
  }),
  flow: z.strictObject({
    prerequisites: z
      .array(
        z.strictObject({
          environment: Name,
          min_soak_minutes: z.number().int().min(0).max(525_600).optional(),
        }),
      )
      .min(1)
      .max(20),
    strict_order: z.boolean().default(false),
  }),
  version_approval: z.strictObject({
    required_types: ApprovalTypeList.min(1),
    prerequisite_environment: Name.optional(),
  }),
  deployment_request: z.strictObject({ required_types: ApprovalTypeList.optional() }),
  concurrency: z.strictObject({}),
} as const satisfies Record<RuleType, z.ZodType>;

export type RuleSettings = { [K in RuleType]: z.output<(typeof RULE_SETTINGS)[K]> };

const Scope = z
  .object({
    products: z.array(Name).max(500).default([]),
    environments: z.array(Name).max(500).default([]),
  })
  .openapi({ description: "Product and environment names; an empty list means all" });

export const Rule = z
  .object({
    id: z.string(),
    name: z.string(),
    type: z.enum(RULE_TYPES),
    mode: z.enum(RULE_MODES),
    scope: z.object({ products: z.array(z.string()), environments: z.array(z.string()) }),
    settings: z.record(z.string(), z.unknown()),
    description: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("DeploymentRule");
export type Rule = z.infer<typeof Rule>;

const SETTINGS_DOC =
  "Depends on type (docs/governance.md): schedule {recurrence, timezone, start, end, days_of_week?, day_of_month?, start_date?, end_date?, reason?}; flow {prerequisites: [{environment, min_soak_minutes?}], strict_order}; version_approval {required_types, prerequisite_environment?}; deployment_request {required_types?}; concurrency {}";

export const RuleCreate = z.object({
  name: Name,
  type: z.enum(RULE_TYPES),
  mode: z.enum(RULE_MODES).default("enabled"),
  scope: Scope.default({ products: [], environments: [] }),
  settings: z.record(z.string(), z.unknown()).default({}).openapi({ description: SETTINGS_DOC }),
  description: FreeText(2048).nullish(),
});
export type RuleCreate = z.output<typeof RuleCreate>;

export const RuleUpdate = z.object({
  name: Name.optional(),
  mode: z.enum(RULE_MODES).optional(),
  scope: z
    .object({ products: z.array(Name).max(500).optional(), environments: z.array(Name).max(500).optional() })
    .optional(),
  settings: z
    .record(z.string(), z.unknown())
    .optional()
    .openapi({ description: "Replaces the settings as a whole; the type cannot change" }),
  description: FreeText(2048).nullish(),
});
export type RuleUpdate = z.output<typeof RuleUpdate>;

export const Lock = z
  .object({
    id: z.string(),
    environment: z.string(),
    product: z.string().nullable(),
    reason: z.string(),
    locked_by: z.string(),
    created_at: z.string(),
    expires_at: z.string().nullable(),
  })
  .openapi("EnvironmentLock");
export type Lock = z.infer<typeof Lock>;

export const LockCreate = z.object({
  reason: FreeText(1024).pipe(z.string().min(1)),
  expires_at: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: "RFC 3339; unset: until unlocked" }),
  product: Name.optional().openapi({ description: "Lock only this product's deployments (name or id)" }),
});

/**
 * One rule's outcome. `status` carries the rule's mode (`enabled` | `report_only`), as the hosted
 * product's clients read it (`status == "report_only" && evaluation_result == "failed"` is a warning).
 */
export const RuleEvaluation = z
  .object({
    rule_name: z.string(),
    rule_id: z.string(),
    mode: z.enum(["enabled", "report_only"]),
    status: z.enum(["enabled", "report_only"]),
    evaluation_result: z.enum(["passed", "failed"]),
    error_message: z.string().nullable(),
    code: z.string().nullable(),
    retry_after: z.string().optional(),
  })
  .openapi("RuleEvaluation");
export type RuleEvaluation = z.infer<typeof RuleEvaluation>;

export const PreflightRequest = z.object({
  product_name: Name,
  version: Name,
  environment_name: Name,
});

const Block = z.object(PreflightBlock.shape).openapi("PreflightBlock");

export const PreflightAnswer = z
  .object({
    allowed: z.boolean(),
    block: Block.nullable(),
    http_status: z.union([z.literal(409), z.literal(423), z.literal(428)]).nullable(),
    warnings: z.array(RuleEvaluation),
    rules_evaluated: z.array(RuleEvaluation),
  })
  .openapi("PreflightAnswer");
export type PreflightAnswer = z.infer<typeof PreflightAnswer>;

export const PreflightFailure = z
  .object({
    id: z.string(),
    product: z.string(),
    version: z.string(),
    environment: z.string(),
    code: z.string(),
    message: z.string(),
    rule_id: z.string().nullable(),
    rule_name: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    retry_after: z.string().nullable(),
    actor: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("PreflightFailure");
