// What the step tells people: job-summary markdown and annotation text, as pure functions of the outcome.
import type { ReportOnlyViolation } from "@versioner/client";
import type { EventKind } from "@versioner/schema/vocabulary";

/** What was recorded, as the summary shows it. */
export interface RecordedEvent {
  kind: EventKind;
  productName: string;
  version: string;
  environmentName?: string;
  status: string;
  sha?: string;
  /** Where the recorded resource lives on the collector, when the response says. */
  link?: string;
}

/** A preflight block as the summary and error annotation show it. */
export interface BlockedEvent {
  code: string;
  message: string;
  retryAfter?: string;
  details?: Readonly<Record<string, unknown>>;
}

const STATUS_ICONS: Readonly<Record<string, string>> = {
  pending: "⏳",
  started: "🚀",
  completed: "✅",
  failed: "❌",
  aborted: "⚪",
};

/** A value safe inside a markdown table cell: no pipes, no HTML, no line breaks. */
function cell(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\|/g, "\\|")
    .replace(/\r?\n/g, " ");
}

function table(rows: ReadonlyArray<readonly [string, string | undefined]>): string {
  const lines = rows
    .filter((row): row is readonly [string, string] => row[1] !== undefined && row[1] !== "")
    .map(([label, value]) => `| ${label} | ${cell(value)} |`);
  return ["| | |", "|---|---|", ...lines].join("\n");
}

export function recordedNotice(event: RecordedEvent): string {
  const where = event.environmentName ? ` to ${event.environmentName}` : "";
  return `Versioner recorded ${event.kind} of ${event.productName} ${event.version}${where} (${event.status})`;
}

export function recordedSummary(event: RecordedEvent, violations: readonly ReportOnlyViolation[]): string {
  const icon = STATUS_ICONS[event.status] ?? "ℹ️";
  const title = event.kind === "build" ? "build recorded" : "deployment recorded";
  const parts = [
    `### ${icon} Versioner: ${title}`,
    "",
    table([
      ["Product", event.productName],
      ["Version", event.version],
      ["Environment", event.environmentName],
      ["Status", event.status],
      ["Commit", event.sha],
    ]),
    ...(event.link ? ["", `[View the ${event.kind} in Versioner](${event.link})`] : []),
  ];
  if (violations.length > 0) {
    parts.push("", "**Report-only rules not satisfied** (recorded anyway):", "");
    for (const violation of violations)
      parts.push(`- ${cell(violation.ruleName)}: ${cell(violation.message)}`);
  }
  return `${parts.join("\n")}\n`;
}

export function blockedMessage(kind: EventKind, block: BlockedEvent): string {
  const rule = typeof block.details?.rule_name === "string" ? ` by rule "${block.details.rule_name}"` : "";
  const retry = block.retryAfter ? ` Retry after ${block.retryAfter}.` : "";
  const what = kind === "build" ? "Build" : "Deployment";
  return `${what} blocked${rule} (${block.code}): ${block.message}${retry}`;
}

export function blockedSummary(
  kind: EventKind,
  block: BlockedEvent,
  productName: string,
  environmentName: string | undefined,
): string {
  const details = block.details && Object.keys(block.details).length > 0 ? block.details : undefined;
  const parts = [
    `### ⛔ Versioner: ${kind} blocked`,
    "",
    table([
      ["Product", productName],
      ["Environment", environmentName],
      ["Rule", typeof details?.rule_name === "string" ? details.rule_name : undefined],
      ["Code", block.code],
      ["Reason", block.message],
      ["Retry after", block.retryAfter],
    ]),
  ];
  if (details) parts.push("", "```json", JSON.stringify(details, null, 2), "```");
  return `${parts.join("\n")}\n`;
}

export function notRecordedSummary(kind: EventKind, reason: string, failed: boolean): string {
  const icon = failed ? "❌" : "⚠️";
  const tail = failed ? "" : "\n\n`fail_on_api_error` is false, so the step goes on.";
  return `### ${icon} Versioner: ${kind} not recorded\n\n${cell(reason)}${tail}\n`;
}
