// The governance answers a pipeline reads: the dry-run `POST /preflight` result and the report-only
// warnings a recorded deployment carries in `extra_metadata.preflight_status`.

/** Body of `POST /preflight`: may this version of the product be deployed to the environment now? */
export interface PreflightRequest {
  product_name: string;
  version: string;
  environment_name: string;
}

/** One rule's verdict, as `POST /preflight` and `extra_metadata.preflight_status` list them. */
export interface RuleEvaluation {
  rule_name: string;
  rule_id: string;
  /** `enabled` or `report_only`; the hosted API puts the mode in `status` instead. */
  mode?: string;
  status: string;
  evaluation_result?: string;
  error_message?: string | null;
  retry_after?: string | null;
}

/** `detail` of a 409/423/428 block, also the `block` of a refused preflight. */
export interface PreflightBlockDetail {
  error: "deployment_blocked";
  code: string;
  message: string;
  retry_after?: string;
  details?: Record<string, unknown>;
}

/** Answer of `POST /preflight`. */
export interface PreflightResult {
  allowed: boolean;
  block: PreflightBlockDetail | null;
  http_status: number | null;
  warnings: RuleEvaluation[];
  rules_evaluated: RuleEvaluation[];
}

/** A `report_only` rule that failed: the event went through, and CI shows it as a warning. */
export interface ReportOnlyViolation {
  ruleName: string;
  message: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The failed report-only rules of a list of evaluations. Reads both spellings: the hosted API's
 * (`status: "report_only"`, `evaluation_result: "failed"`) and ours (`mode: "report_only"`, `status: "failed"`).
 */
export function reportOnlyViolationsOf(evaluations: unknown): ReportOnlyViolation[] {
  if (!Array.isArray(evaluations)) return [];
  const violations: ReportOnlyViolation[] = [];
  for (const rule of evaluations) {
    if (!isRecord(rule)) continue;
    const { rule_name, error_message, status, mode, evaluation_result } = rule;
    const reportOnly = status === "report_only" || mode === "report_only";
    const failed = evaluation_result === "failed" || status === "failed";
    if (!reportOnly || !failed) continue;
    violations.push({
      ruleName: typeof rule_name === "string" && rule_name ? rule_name : "unnamed rule",
      message: typeof error_message === "string" && error_message ? error_message : "rule not satisfied",
    });
  }
  return violations;
}

/** The report-only violations of a recorded event, from `extra_metadata.preflight_status.rules_evaluated`. */
export function reportOnlyViolations(extraMetadata: unknown): ReportOnlyViolation[] {
  if (!isRecord(extraMetadata)) return [];
  const preflight = extraMetadata.preflight_status;
  return isRecord(preflight) ? reportOnlyViolationsOf(preflight.rules_evaluated) : [];
}
