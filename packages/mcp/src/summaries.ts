import type { Deployment, DoraMetrics, EnvironmentDiff, StateResponse } from "@versioner/schema";
import type { EnvironmentStatus } from "./read-tools.ts";

// Short texts for the model to read next to the structured content; the numbers and names are the
// same, the wording saves it from parsing JSON for the common question.

function when(iso: string): string {
  return iso.replace(/\.\d+Z$/, "Z");
}

/** `1.4.0 → production, completed 2026-05-01T10:00:00Z by alice`. */
export function describeDeployment(deployment: Deployment): string {
  const by = deployment.deployed_by_name ?? deployment.deployed_by;
  const rollback = deployment.is_rollback ? ` (rollback from ${deployment.rolled_back_from})` : "";
  return `${deployment.version} → ${deployment.environment_name}, ${deployment.status} ${when(deployment.deployed_at)}${by ? ` by ${by}` : ""}${rollback}`;
}

function describeCells(product: StateResponse["products"][number]): string {
  const cells = product.cells.map((cell) => {
    const parts = [cell.current ? cell.current.version : "—"];
    if (cell.in_progress) parts.push(`deploying ${cell.in_progress.version}`);
    if (cell.failed) parts.push(`${cell.failed.version} ${cell.failed.status}`);
    return `${cell.environment_name}: ${parts.join(", ")}`;
  });
  return `- ${product.name}${product.drift ? " (drift)" : ""}: ${cells.join("; ") || "no environments"}`;
}

export function summarizeState(state: StateResponse): string {
  if (state.products.length === 0) return "No products match.";
  const drifting = state.products.filter((product) => product.drift).length;
  return [
    `${state.products.length} product(s) × ${state.environments.length} environment(s); ${drifting} with versions that drift.`,
    ...state.products.map(describeCells),
  ].join("\n");
}

export function summarizeEnvironmentStatus(status: EnvironmentStatus): string {
  const { environment, locks, rules, open_deployment_requests: requests } = status;
  const running = status.running.filter((product) =>
    product.cells.some((cell) => cell.current || cell.in_progress || cell.failed),
  );
  const lines = [`${environment.name} (${environment.type}): ${running.length} product(s) deployed.`];
  for (const product of running) lines.push(describeCells(product));
  lines.push(
    locks.length === 0
      ? "Not locked."
      : `Locked: ${locks.map((lock) => `${lock.product ?? "all products"}, "${lock.reason}" by ${lock.locked_by ?? "unknown"}${lock.expires_at ? ` until ${lock.expires_at}` : ""}`).join("; ")}.`,
  );
  lines.push(
    rules.length === 0
      ? "No deployment rules apply."
      : `Rules: ${rules.map((rule) => `${rule.name} (${rule.type}, ${rule.mode})`).join("; ")}.`,
  );
  lines.push(
    requests.length === 0
      ? "No open deployment requests."
      : `Open deployment requests: ${requests.map((request) => `${request.product} ${request.version} (${request.status})`).join("; ")}.`,
  );
  return lines.join("\n");
}

export function summarizeDiff(diff: EnvironmentDiff): string {
  const { summary } = diff;
  const head = `${diff.a.name} vs ${diff.b.name}: ${summary.differs} differ, ${summary.only_in_a} only in ${diff.a.name}, ${summary.only_in_b} only in ${diff.b.name}, ${summary.same} the same.`;
  const lines = diff.items.map((item) => {
    const ahead = item.ahead ? ` (${item.ahead === "a" ? diff.a.name : diff.b.name} ahead)` : "";
    return `- ${item.product_name}: ${item.a?.version ?? "—"} / ${item.b?.version ?? "—"}${ahead}`;
  });
  return [head, ...lines].join("\n");
}

function duration(seconds: number | null): string {
  if (seconds === null) return "n/a";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

export function summarizeDora(metrics: DoraMetrics): string {
  const band = (value: string | null) => (value ? ` [${value}]` : "");
  const rate = metrics.change_failure_rate.rate;
  return [
    `DORA ${when(metrics.window.from)} – ${when(metrics.window.to)} over ${metrics.environments.map((env) => env.name).join(", ") || "no environments"}:`,
    `- Deployment frequency: ${metrics.deployment_frequency.deployments} deployments on ${metrics.deployment_frequency.deployment_days} day(s)${band(metrics.deployment_frequency.band)}`,
    `- Lead time (median): ${duration(metrics.lead_time.median_seconds)}${band(metrics.lead_time.band)}`,
    `- Change failure rate: ${rate === null ? "n/a" : `${Math.round(rate * 1000) / 10}%`}${band(metrics.change_failure_rate.band)}`,
    `- Time to restore (median): ${duration(metrics.time_to_restore.median_seconds)}${band(metrics.time_to_restore.band)}`,
  ].join("\n");
}
