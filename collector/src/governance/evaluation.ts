import { ERROR_CODES, isInProgress, SUCCEEDED_STATUS } from "@versioner/schema";
import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import type { ConfigReader } from "../db/config-generation.ts";
import { merged } from "../merged.ts";
import { deploymentRequestStatus, versionApprovalStatus } from "./approval-checks.ts";
import { type LockEntry, lockFor } from "./locks-service.ts";
import type { ActiveRule } from "./rules-service.ts";
import { activeWindow, type ScheduleSettings, type Window } from "./schedule.ts";

/** What a deployment event would deploy; ids are unset for what does not exist yet. */
export interface PreflightSubject {
  productName: string;
  versionName: string;
  environmentName: string;
  productId?: string;
  versionId?: string;
  environmentId?: string;
}

/** The latest deployment attempt in a product × environment cell. */
export interface LatestAttempt {
  deployment_id: string;
  version: string;
  status: string;
  at: string;
}

/**
 * Reads the evaluators need beyond the rules themselves. Ingest answers them through its unit of
 * work, so an earlier event of the same batch counts; the dry run reads the database.
 */
export interface PreflightReads {
  database: Database;
  /** The configuration (rules, locks) as ingest's group commit reads it; without it, the cache itself. */
  config?: ConfigReader;
  environmentId(name: string): Promise<string | undefined>;
  latestAttempt(productId: string, environmentId: string): Promise<LatestAttempt | undefined>;
}

/** A rule not satisfied: the hosted product's block fields. */
export interface Violation {
  status: 409 | 423 | 428;
  code: string;
  message: string;
  retry_after?: string;
  /** Every violation names its rule (a lock is named "environment lock"), as preflight_failures records. */
  details: { rule_name: string; rule_id: string } & Record<string, unknown>;
}

type RuleOf<T extends ActiveRule["type"]> = Extract<ActiveRule, { type: T }>;

export interface EvaluationContext {
  subject: PreflightSubject;
  reads: PreflightReads;
  now: Date;
}

/** In this order, and by name within a type: the first enabled violation is the one reported. */
export const EVALUATION_ORDER: readonly ActiveRule["type"][] = [
  "schedule",
  "flow",
  "version_approval",
  "deployment_request",
  "concurrency",
];

/** Whether a rule applies to the subject: an empty scope list means every product or environment. */
export function inScope(rule: ActiveRule, subject: PreflightSubject): boolean {
  return (
    (rule.products.size === 0 || rule.products.has(subject.productName)) &&
    (rule.environments.size === 0 || rule.environments.has(subject.environmentName))
  );
}

const describe = (subject: PreflightSubject) => `${subject.productName} ${subject.versionName}`;

export function evaluateLock(lock: LockEntry, subject: PreflightSubject): Violation {
  const what = lock.product ? `${subject.environmentName} (for ${lock.product})` : subject.environmentName;
  return {
    status: 423,
    code: ERROR_CODES.ENVIRONMENT_LOCKED,
    message: `${what} is locked by ${lock.locked_by}: ${lock.reason}`,
    ...(lock.expires_at ? { retry_after: lock.expires_at } : {}),
    details: {
      rule_name: "environment lock",
      rule_id: lock.id,
      lock_id: lock.id,
      environment: lock.environment,
      product: lock.product,
      locked_by: lock.locked_by,
      reason: lock.reason,
      locked_at: lock.created_at,
      expires_at: lock.expires_at,
    },
  };
}

/** The active lock on the target, if any (locks are not rules: they have no mode and always block). */
export async function activeLock(context: EvaluationContext): Promise<LockEntry | undefined> {
  const { subject, reads, now } = context;
  // Stryker disable next-line ConditionalExpression: lockFor finds no lock for an unset environment id; the guard only narrows the type
  if (!subject.environmentId) return undefined;
  return lockFor(reads.database, subject.environmentId, subject.productId, now, reads.config);
}

// Windows of a schedule by the local day they start on, so evaluating twenty rules on every
// event converts each day's times to instants once (settings objects live in the rules cache).
const windowMemo = new WeakMap<object, Map<string, Window | undefined>>();

function scheduleWindow(settings: ScheduleSettings, now: Date): Window | undefined {
  let memo = windowMemo.get(settings);
  if (!memo) {
    memo = new Map();
    windowMemo.set(settings, memo);
  }
  // Keyed by the minute: window edges are whole local minutes, so the answer is the same all minute.
  const key = String(Math.floor(now.getTime() / 60_000));
  if (memo.has(key)) return memo.get(key);
  if (memo.size > 1_000) memo.clear();
  const window = activeWindow(settings, now);
  memo.set(key, window);
  return window;
}

async function evaluateSchedule(
  rule: RuleOf<"schedule">,
  context: EvaluationContext,
): Promise<Violation | null> {
  const window = scheduleWindow(rule.settings as ScheduleSettings, context.now);
  if (!window) return null;
  const end = window.end.toISOString();
  const reason = rule.settings.reason;
  return {
    status: 423,
    code: ERROR_CODES.NO_DEPLOY_WINDOW,
    message: `No-deploy window '${rule.name}' is active until ${end}${reason ? `: ${reason}` : ""}`,
    retry_after: end,
    details: {
      rule_name: rule.name,
      rule_id: rule.id,
      window_name: rule.name,
      window_start: window.start.toISOString(),
      window_end: end,
      timezone: rule.settings.timezone,
      recurrence: rule.settings.recurrence,
      reason: reason ?? null,
    },
  };
}

/** When the version first completed in an environment (soak time counts from there), if it has. */
async function firstCompletion(reads: PreflightReads, subject: PreflightSubject, environmentId: string) {
  if (!subject.productId || !subject.versionId) return undefined;
  // deployments_lifecycle_idx (version, environment, …): a seek, however long the history.
  const [row] = await reads.database.db.all<{ at: string | null }>(sql`
    SELECT MIN(COALESCE(completed_at, created_at)) AS at FROM deployments INDEXED BY deployments_lifecycle_idx
    WHERE product_id = ${subject.productId} AND environment_id = ${environmentId}
      AND version_id = ${subject.versionId} AND status = ${SUCCEEDED_STATUS}`);
  // Stryker disable next-line OptionalChaining: an aggregate without GROUP BY always returns one row
  return row?.at ?? undefined;
}

async function evaluateFlow(rule: RuleOf<"flow">, context: EvaluationContext): Promise<Violation | null> {
  const { subject, reads, now } = context;
  const base = { rule_name: rule.name, rule_id: rule.id, target_environment: subject.environmentName };
  const prerequisites = rule.settings.prerequisites.filter((p) => p.environment !== subject.environmentName);
  const required = prerequisites.map((p) => p.environment);
  // A prerequisite is reached once the version completed there; soak time counts from then.
  const reached: Array<{ environment: string; at: string; soak?: number }> = [];
  const missing: string[] = [];
  for (const prerequisite of prerequisites) {
    const environmentId = await reads.environmentId(prerequisite.environment);
    const at = environmentId ? await firstCompletion(reads, subject, environmentId) : undefined;
    if (at === undefined) missing.push(prerequisite.environment);
    else reached.push({ environment: prerequisite.environment, at, soak: prerequisite.min_soak_minutes });
  }
  if (missing.length > 0) {
    return {
      status: 428,
      code: ERROR_CODES.FLOW_VIOLATION,
      message: `${describe(subject)} must be deployed to ${missing.join(", ")} before ${subject.environmentName}`,
      details: merged(base, {
        required_environments: required,
        missing_environments: missing,
        strict_order: rule.settings.strict_order,
      }),
    };
  }
  if (rule.settings.strict_order) {
    for (const [i, after] of reached.entries()) {
      const before = reached[i - 1];
      if (before && after.at < before.at) {
        return {
          status: 428,
          code: ERROR_CODES.FLOW_VIOLATION,
          message: `${describe(subject)} reached ${after.environment} before ${before.environment}; rule '${rule.name}' requires the order ${required.join(" → ")}`,
          details: merged(base, {
            required_environments: required,
            out_of_order: [before.environment, after.environment],
            strict_order: true,
          }),
        };
      }
    }
  }
  // Only a prerequisite with a soak time holds the version back, even one that reported its
  // completion in the future.
  const unsoaked = reached
    .filter((c) => (c.soak ?? 0) > 0)
    .map((c) => merged(c, { until: Date.parse(c.at) + (c.soak ?? 0) * 60_000 }))
    .filter((c) => c.until > now.getTime())
    .sort((a, b) => b.until - a.until);
  const longest = unsoaked[0];
  if (!longest) return null;
  const until = new Date(longest.until).toISOString();
  return {
    status: 428,
    code: ERROR_CODES.INSUFFICIENT_SOAK_TIME,
    message: `${describe(subject)} has soaked in ${longest.environment} for ${Math.floor((now.getTime() - Date.parse(longest.at)) / 60_000)} of the ${longest.soak} minutes required before ${subject.environmentName}`,
    retry_after: until,
    details: merged(base, {
      environment: longest.environment,
      required_soak_minutes: longest.soak,
      deployed_at: longest.at,
      soak_complete_at: until,
      unsoaked_environments: unsoaked.map((c) => c.environment),
    }),
  };
}

async function evaluateVersionApproval(
  rule: RuleOf<"version_approval">,
  context: EvaluationContext,
): Promise<Violation | null> {
  const { subject, reads } = context;
  const required = rule.settings.required_types;
  const prerequisite = rule.settings.prerequisite_environment;
  const prerequisiteId = prerequisite ? ((await reads.environmentId(prerequisite)) ?? null) : undefined;
  // A prerequisite environment that does not exist holds no approval: nothing can satisfy the rule.
  const status =
    prerequisiteId === null
      ? { satisfied: false, missing: [...required], current: [], rejected: [] }
      : await versionApprovalStatus(
          reads.database,
          { versionId: subject.versionId ?? null },
          required,
          prerequisiteId,
        );
  if (status.satisfied) return null;
  const where = prerequisite ? ` (granted for ${prerequisite})` : "";
  return {
    status: 428,
    code: ERROR_CODES.QUALITY_APPROVAL_REQUIRED,
    message: `${describe(subject)} needs ${status.missing.join(", ")} approval${status.missing.length === 1 ? "" : "s"}${where} before ${subject.environmentName}`,
    details: {
      rule_name: rule.name,
      rule_id: rule.id,
      required_approvals: required,
      current_approvals: status.current,
      missing_approvals: status.missing,
      rejected_approvals: status.rejected,
      prerequisite_environment: prerequisite ?? null,
    },
  };
}

async function evaluateDeploymentRequest(
  rule: RuleOf<"deployment_request">,
  context: EvaluationContext,
): Promise<Violation | null> {
  const { subject, reads } = context;
  const required = rule.settings.required_types ?? [];
  // Stryker disable next-line ConditionalExpression: without a product the version id is unset too, and deploymentRequestStatus answers "no request" for an unset version without reading
  const status = subject.productId
    ? await deploymentRequestStatus(
        reads.database,
        {
          productId: subject.productId,
          versionId: subject.versionId ?? null,
          environmentId: subject.environmentId ?? null,
        },
        required,
      )
    : { satisfied: false, request: null, missing: [...required] };
  if (status.satisfied) return null;
  const request = status.request;
  const why = request
    ? `deployment request ${request.id} is ${request.status}${status.missing.length > 0 ? ` (missing ${status.missing.join(", ")})` : ""}`
    : "there is none";
  return {
    status: 428,
    code: ERROR_CODES.APPROVAL_REQUIRED,
    message: `${describe(subject)} needs an approved deployment request for ${subject.environmentName}: ${why}`,
    details: {
      rule_name: rule.name,
      rule_id: rule.id,
      deployment_request_id: request?.id ?? null,
      deployment_request_status: request?.status ?? null,
      required_approvals: required,
      missing_approvals: status.missing,
    },
  };
}

async function evaluateConcurrency(
  rule: RuleOf<"concurrency">,
  context: EvaluationContext,
): Promise<Violation | null> {
  const { subject, reads } = context;
  if (!subject.productId || !subject.environmentId) return null;
  const running = await reads.latestAttempt(subject.productId, subject.environmentId);
  if (!running || !isInProgress(running.status)) return null;
  return {
    status: 409,
    code: ERROR_CODES.DEPLOYMENT_IN_PROGRESS,
    message: `${subject.productName} ${running.version} is already deploying to ${subject.environmentName} (deployment ${running.deployment_id}, ${running.status} at ${running.at})`,
    details: {
      rule_name: rule.name,
      rule_id: rule.id,
      conflicting_deployment_id: running.deployment_id,
      conflicting_deployment_status: running.status,
      conflicting_deployment_started: running.at,
      conflicting_version: running.version,
    },
  };
}

/** Evaluates one rule against the subject; null when satisfied. */
export function evaluateRule(rule: ActiveRule, context: EvaluationContext): Promise<Violation | null> {
  switch (rule.type) {
    case "schedule":
      return evaluateSchedule(rule, context);
    case "flow":
      return evaluateFlow(rule, context);
    case "version_approval":
      return evaluateVersionApproval(rule, context);
    case "deployment_request":
      return evaluateDeploymentRequest(rule, context);
    case "concurrency":
      return evaluateConcurrency(rule, context);
  }
}
