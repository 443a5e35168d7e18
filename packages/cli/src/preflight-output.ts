import type { PreflightBlockedError, ReportOnlyViolation } from "@versioner/client";
import type { Io } from "./io.ts";

/** Prints a rule block: code, rule, message, retry time and the rule's details (the lines CI logs show). */
export function printBlocked(error: PreflightBlockedError, io: Io): void {
  const status = error.status ? `HTTP ${error.status}, ` : "";
  const lines = [`error: deployment blocked by a rule (${status}${error.code}): ${error.message}`];
  const rule = error.details.rule_name;
  if (typeof rule === "string") lines.push(`  rule: ${rule}`);
  if (error.retryAfter) lines.push(`  retry after: ${error.retryAfter}`);
  if (Object.keys(error.details).length > 0) lines.push(`  details: ${JSON.stringify(error.details)}`);
  io.stderr(`${lines.join("\n")}\n`);
}

/** Report-only rules that failed: the deployment goes on, people still see what would have blocked it. */
export function printViolations(violations: readonly ReportOnlyViolation[], io: Io): void {
  for (const violation of violations) {
    io.stderr(`warning: report-only rule "${violation.ruleName}" not satisfied: ${violation.message}\n`);
  }
}
