import type { DoraMetrics, EnvironmentDiff } from "@versioner/schema";
import { alignColumns } from "./text-table.ts";

const shortSha = (sha: string | null) => (sha ? ` (${sha.slice(0, 7)})` : "");

/** `versioner diff a b`: one row per product that differs, then the counts. */
export function formatDiffTable(diff: EnvironmentDiff): string {
  const { a, b, items, summary } = diff;
  const counts =
    `${summary.differs} differ, ${summary.only_in_a} only in ${a.name}, ` +
    `${summary.only_in_b} only in ${b.name}, ${summary.same} the same`;
  if (items.length === 0) return `No differences between ${a.name} and ${b.name} (${counts}).\n`;
  const header = ["PRODUCT", a.name.toUpperCase(), b.name.toUpperCase(), "AHEAD", "COMPARE"];
  const rows = items.map((item) => [
    item.product_name,
    item.a ? `${item.a.version}${shortSha(item.a.scm_sha)}` : "-",
    item.b ? `${item.b.version}${shortSha(item.b.scm_sha)}` : "-",
    item.ahead === "a" ? a.name : item.ahead === "b" ? b.name : "-",
    item.compare_url ?? "",
  ]);
  return `${[...alignColumns([header, ...rows]), "", counts].join("\n")}\n`;
}

/** 42s, 17m, 3h 12m, 2d 4h: the two largest units, rounded down. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return "-";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

const percent = (rate: number | null) => (rate === null ? "-" : `${(rate * 100).toFixed(1)}%`);
const band = (value: string | null) => value ?? "-";

/** `versioner metrics`: the four keys, then one row per bucket. */
export function formatDoraTable(m: DoraMetrics): string {
  const { deployment_frequency: df, lead_time: lt, change_failure_rate: cfr, time_to_restore: ttr } = m;
  const environments = m.environments.map((env) => env.name).join(", ") || "none";
  const title = `DORA metrics for ${m.filters.product ?? (m.filters.team ? `team ${m.filters.team}` : "all products")} in ${environments}, ${m.window.from} to ${m.window.to}, buckets in ${m.window.tz}`;
  // A bucket starts at local midnight of the zone: its label is that local date.
  const day = new Intl.DateTimeFormat("en-CA", {
    timeZone: m.window.tz,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  });
  const keys = alignColumns([
    ["METRIC", "VALUE", "BAND"],
    [
      "Deployment frequency",
      `${df.deployments} deployments on ${df.deployment_days} days (${df.per_day.toFixed(2)}/day)`,
      band(df.band),
    ],
    [
      "Lead time for changes",
      `median ${formatDuration(lt.median_seconds)}, p90 ${formatDuration(lt.p90_seconds)} (${lt.count} deployments)`,
      band(lt.band),
    ],
    [
      "Change failure rate",
      `${percent(cfr.rate)} (${cfr.failures} of ${cfr.deployments}: ${cfr.failed} failed, ${cfr.rolled_back} rolled back, ${cfr.incident_linked} with an incident)`,
      band(cfr.band),
    ],
    [
      "Time to restore",
      `median ${formatDuration(ttr.median_seconds)}, p90 ${formatDuration(ttr.p90_seconds)} (${ttr.count} restored, ${ttr.unresolved} unresolved)`,
      band(ttr.band),
    ],
  ]);
  const series = alignColumns([
    [m.window.bucket.toUpperCase(), "DEPLOYS", "DAYS", "LEAD p50", "CFR", "RESTORE p50"],
    ...m.buckets.map((bucket) => [
      day.format(new Date(bucket.start)),
      String(bucket.deployments),
      String(bucket.deployment_days),
      formatDuration(bucket.lead_time.median_seconds),
      percent(bucket.change_failure.rate),
      formatDuration(bucket.time_to_restore.median_seconds),
    ]),
  ]);
  return `${[title, "", ...keys, "", ...series].join("\n")}\n`;
}
