import { isFailed, isSucceeded } from "@versioner/schema";
import type { NotificationPayload } from "./payload.ts";

/** What a person should see at a glance, shared by the Slack, Teams and email renderers. */
export interface MessageFacts {
  title: string;
  /** good | bad | neutral, for colours. */
  tone: "good" | "bad" | "neutral";
  facts: Array<{ label: string; value: string }>;
  links: Array<{ label: string; url: string }>;
}

const STATUS_EMOJI: Record<string, string> = {
  pending: "⏳",
  started: "🚀",
  in_progress: "🚀",
  completed: "✅",
  failed: "❌",
  aborted: "🛑",
  cancelled: "🛑",
  created: "📦",
  member_failed: "❌",
  member_rolled_back: "↩️",
  preflight_failed: "⛔",
  rolled_back: "↩️",
  approved: "👍",
  rejected: "👎",
  submitted: "📨",
};

function emojiFor(payload: NotificationPayload): string {
  const action = payload.event_type.split(".")[1] ?? "";
  if (payload.event_type === "release.completed") return "🎉";
  if (payload.subject === "build" && action === "started") return "🔨";
  if (action === "slot_decided") return STATUS_EMOJI[payload.deployment_request?.slot?.status ?? ""] ?? "🔔";
  return STATUS_EMOJI[action] ?? STATUS_EMOJI[payload.status ?? ""] ?? "🔔";
}

function subjectLine(payload: NotificationPayload): string {
  const what = [payload.product_name, payload.version].filter(Boolean).join(" ") || "A version";
  const env = payload.environment ?? "an environment";
  const action = payload.event_type.split(".")[1] ?? payload.status ?? "";
  const release = payload.release?.name ?? "A release";
  switch (payload.event_type) {
    case "deployment.pending":
      return `${what} queued for ${env}`;
    case "deployment.started":
      return `${what} deploying to ${env}`;
    case "deployment.completed":
      return `${what} deployed to ${env}`;
    case "deployment.failed":
      return `${what} failed to deploy to ${env}`;
    case "deployment.aborted":
      return `${what} deployment to ${env} aborted`;
    case "deployment.preflight_failed":
      return `${what} blocked before deploying to ${env}`;
    case "deployment.rolled_back":
      return `${env} rolled back to ${what}${payload.previous_version ? ` from ${payload.previous_version}` : ""}`;
    case "build.completed":
      return `${what} built: ready to deploy`;
    case "build.failed":
      return `${what} build failed`;
    case "release.created":
      return `Release ${release} created`;
    case "release.in_progress":
      return `Release ${release} in progress`;
    case "release.completed":
      return `Release ${release} completed`;
    case "release.cancelled":
      return `Release ${release} cancelled`;
    case "release.member_failed":
      return `Release ${release}: ${what} failed${payload.environment ? ` in ${env}` : ""}`;
    case "release.member_rolled_back":
      return `Release ${release}: ${payload.product_name ?? "a member"} rolled back from ${payload.previous_version ?? "its release version"} to ${payload.version ?? "an earlier version"} in ${env}`;
    case "version.approved":
    case "version.rejected":
      return `${what} ${action}${payload.approval ? ` (${payload.approval.type}) by ${payload.approval.approved_by}` : ""}`;
    default:
      if (payload.deployment_request) return requestLine(payload.deployment_request, action);
      return `${what} ${payload.subject} ${action}`.trim();
  }
}

function requestLine(
  request: NonNullable<NotificationPayload["deployment_request"]>,
  action: string,
): string {
  const named = `Deployment request ${request.name}`;
  if (action === "slot_decided" && request.slot) {
    return `${named}: ${request.slot.type} ${request.slot.status}${request.slot.decided_by ? ` by ${request.slot.decided_by}` : ""}`;
  }
  return `${named} ${action.replace("_", " ")}`;
}

/** `2026-03-01 10:00 UTC`: readable and unambiguous across time zones. */
function formatTime(iso: string | null): string | null {
  if (!iso) return null;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

// Colour follows the status, not `is_successful`: that field keeps the hosted product's narrower
// meaning (deployments only), while a failed build or an aborted deployment still reads as bad news.
function toneOf(status: string | null): MessageFacts["tone"] {
  if (status === null) return "neutral";
  if (isSucceeded(status) || status === "approved") return "good";
  if (isFailed(status) || status === "rejected") return "bad";
  return "neutral";
}

export function describe(payload: NotificationPayload): MessageFacts {
  const tone = toneOf(payload.status);
  const who = payload.deployer_name ?? payload.deployer;
  const facts: MessageFacts["facts"] = [];
  const add = (label: string, value: string | null | undefined) => {
    if (value) facts.push({ label, value });
  };
  if (payload.release) add("Release", payload.release.name);
  add("Product", payload.product_name);
  add("Version", payload.version);
  add("Environment", payload.environment);
  add("Status", payload.status ? `${emojiFor(payload)} ${payload.status}` : null);
  add(payload.subject === "build" ? "Built by" : "Deployed by", who);
  add("Time", formatTime(payload.deployed_at ?? payload.occurred_at));
  add("Commit", payload.commit_sha ? payload.commit_sha.slice(0, 12) : null);
  add("Branch", payload.branch);
  add("Approval", payload.approval?.type);
  add("Comment", payload.approval?.comment ?? payload.deployment_request?.slot?.comment);
  add("Blocked by", payload.preflight?.rule_name);
  add("Reason", payload.preflight?.message);
  add("Retry after", formatTime(payload.preflight?.retry_after ?? null));
  add("Previous version", payload.previous_version);
  const links: MessageFacts["links"] = [];
  if (payload.deployment_url) links.push({ label: "Open in Versioner", url: payload.deployment_url });
  if (payload.deploy_url) links.push({ label: "Open deployment", url: payload.deploy_url });
  if (payload.build_url) links.push({ label: "Open build", url: payload.build_url });
  if (payload.compare_url) links.push({ label: "Compare commits", url: payload.compare_url });
  for (const button of payload.buttons) {
    links.push({
      label: button.environment_name ? `${button.name} (${button.environment_name})` : button.name,
      url: button.url,
    });
  }
  return { title: `${emojiFor(payload)} ${subjectLine(payload)}`, tone, facts, links };
}
