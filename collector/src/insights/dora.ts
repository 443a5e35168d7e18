// DORA's four keys over rows the insights service reads. Every definition here is written out, with
// the peers' side by side, in docs/insight.md; the tests compute their expectations by hand.

export const BUCKETS = ["day", "week", "month"] as const;
export type Bucket = (typeof BUCKETS)[number];

export type Band = "elite" | "high" | "medium" | "low";

/** A finished (completed or failed) deployment to a production environment. */
export interface DoraDeployment {
  id: string;
  product_id: string;
  environment_id: string;
  status: "completed" | "failed";
  /** completed_at: when it went live, or failed. */
  finished_at: string;
  /** scm_committed_at of its version. */
  committed_at: string | null;
  /** Replaced later by a rollback. */
  rolled_back: boolean;
  /** Named by an incident as its cause. */
  incident_linked: boolean;
  /** The first completed deployment of its version to any production environment. */
  first_to_production: boolean;
}

export interface DoraIncident {
  id: string;
  opened_at: string;
  resolved_at: string | null;
}

export interface Summary {
  count: number;
  median_seconds: number | null;
  p90_seconds: number | null;
}

export interface BucketMetrics {
  start: string;
  end: string;
  deployments: number;
  deployment_days: number;
  lead_time: Summary;
  change_failure: { deployments: number; failures: number; rate: number | null };
  time_to_restore: Summary;
}

export interface DoraReport {
  deployment_frequency: {
    deployments: number;
    deployment_days: number;
    per_day: number;
    median_deployment_days_per_week: number;
    median_deployment_days_per_month: number;
    band: Band | null;
  };
  lead_time: Summary & { band: Band | null };
  change_failure_rate: {
    deployments: number;
    failures: number;
    failed: number;
    rolled_back: number;
    incident_linked: number;
    rate: number | null;
    band: Band | null;
  };
  time_to_restore: Summary & {
    band: Band | null;
    /** Failure streaks (failed or rolled-back deployments) closed by a good deployment. */
    deployments: Summary;
    /** Incidents opened in the window and resolved. */
    incidents: Summary;
    /** Failure streaks and incidents not restored or resolved yet: no sample. */
    unresolved: number;
  };
  buckets: BucketMetrics[];
}

const DAY = 86_400_000;

/** The UTC start of the day, ISO week (Monday) or calendar month holding `iso`. */
export function bucketStart(iso: string, bucket: Bucket): string {
  const d = new Date(iso);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  if (bucket === "day") return new Date(day).toISOString();
  if (bucket === "week") return new Date(day - ((d.getUTCDay() + 6) % 7) * DAY).toISOString();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)).toISOString();
}

function nextBucket(start: string, bucket: Bucket): string {
  const d = new Date(start);
  if (bucket === "day") return new Date(d.getTime() + DAY).toISOString();
  if (bucket === "week") return new Date(d.getTime() + 7 * DAY).toISOString();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString();
}

/** The buckets overlapping [from, to): the first may start before `from`, the last end after `to`. */
export function bucketsOf(from: string, to: string, bucket: Bucket): Array<{ start: string; end: string }> {
  const out: Array<{ start: string; end: string }> = [];
  for (let start = bucketStart(from, bucket); start < to; start = nextBucket(start, bucket)) {
    out.push({ start, end: nextBucket(start, bucket) });
  }
  return out;
}

/**
 * The p-th percentile (0 ≤ p ≤ 1) with linear interpolation between closest ranks: rank
 * h = (n − 1)·p, value x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]) — the "type 7" of Hyndman & Fan,
 * as numpy's default, PERCENTILE_CONT and Excel's PERCENTILE.INC. So the median of an even
 * count is the mean of the middle two. Null for no values.
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * p;
  const low = Math.floor(h);
  const lower = sorted[low] as number;
  const upper = sorted[Math.min(low + 1, sorted.length - 1)] as number;
  return lower + (h - low) * (upper - lower);
}

// Times have millisecond precision: seconds are rounded to 3 decimals, which also drops float noise.
const toMs = (value: number | null) => (value === null ? null : Math.round(value * 1000) / 1000);

function summary(values: readonly number[]): Summary {
  return {
    count: values.length,
    median_seconds: toMs(percentile(values, 0.5)),
    p90_seconds: toMs(percentile(values, 0.9)),
  };
}

const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;

/** Lead time of one deployment, when it counts: see docs/insight.md#lead-time-for-changes. */
export function leadTimeSeconds(d: DoraDeployment): number | null {
  if (d.status !== "completed" || !d.first_to_production || !d.committed_at) return null;
  // A commit time after the deployment is clock skew between CI and collector: it counts as 0.
  return Math.max(0, seconds(d.committed_at, d.finished_at));
}

export function isChangeFailure(d: DoraDeployment): boolean {
  return d.status === "failed" || d.rolled_back || d.incident_linked;
}

const pairKey = (d: Pick<DoraDeployment, "product_id" | "environment_id">) =>
  `${d.product_id}\u0000${d.environment_id}`;

function isBad(d: DoraDeployment): boolean {
  return d.status === "failed" || d.rolled_back;
}

export interface RestoreSample {
  product_id: string;
  environment_id: string;
  /** The first failed or rolled-back deployment since the last good one. */
  failed_at: string;
  restored_at: string | null;
}

/**
 * Failure streaks per product × environment, walking the deployments in the order they finished:
 * a streak opens at the first failed or rolled-back deployment after a good one and closes at the
 * next completed deployment that was not rolled back (the "good version"). Consecutive failures
 * are one outage, one sample.
 */
export function restoreStreaks(deployments: readonly DoraDeployment[]): RestoreSample[] {
  const open = new Map<string, RestoreSample>();
  const done: RestoreSample[] = [];
  for (const d of sortByFinish(deployments)) {
    const key = pairKey(d);
    const streak = open.get(key);
    if (isBad(d)) {
      if (!streak)
        open.set(key, {
          product_id: d.product_id,
          environment_id: d.environment_id,
          failed_at: d.finished_at,
          restored_at: null,
        });
    } else if (streak) {
      done.push({ ...streak, restored_at: d.finished_at });
      open.delete(key);
    }
  }
  return [...done, ...open.values()];
}

function sortByFinish<T extends { finished_at: string; id: string }>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) =>
    a.finished_at < b.finished_at
      ? -1
      : a.finished_at > b.finished_at
        ? 1
        : a.id < b.id
          ? -1
          : a.id > b.id
            ? 1
            : 0,
  );
}

function bandBelow(value: number | null, limits: [number, number, number], inclusive = false): Band | null {
  if (value === null) return null;
  const under = (limit: number) => (inclusive ? value <= limit : value < limit);
  if (under(limits[0])) return "elite";
  if (under(limits[1])) return "high";
  if (under(limits[2])) return "medium";
  return "low";
}

const HOUR = 3600;

export interface DoraInput {
  from: string;
  to: string;
  bucket: Bucket;
  /** Production deployments finished in [from, to). */
  deployments: readonly DoraDeployment[];
  /** Production incidents opened in [from, to). */
  incidents: readonly DoraIncident[];
  /** Failure streaks opened in the window; restored_at may lie after `to` (restoreStreaks + a lookup). */
  streaks: readonly RestoreSample[];
}

/** The four keys for the window, overall and per bucket. */
export function computeDora(input: DoraInput): DoraReport {
  const { from, to, bucket } = input;
  const inWindow = (at: string) => at >= from && at < to;
  const deployments = input.deployments.filter((d) => inWindow(d.finished_at));
  const incidents = input.incidents.filter((i) => inWindow(i.opened_at));
  const streaks = input.streaks.filter((s) => inWindow(s.failed_at));
  const completed = deployments.filter((d) => d.status === "completed");

  const slots = bucketsOf(from, to, bucket).map((slot) => ({ ...slot, ...emptyBucket() }));
  const slotByStart = new Map(slots.map((slot) => [slot.start, slot]));
  const slotOf = (at: string) => slotByStart.get(bucketStart(at, bucket));
  for (const d of deployments) {
    const slot = slotOf(d.finished_at);
    if (!slot) continue;
    slot.all += 1;
    if (isChangeFailure(d)) slot.failures += 1;
    if (d.status === "completed") {
      slot.completed += 1;
      slot.days.add(d.finished_at.slice(0, 10));
    }
    const lead = leadTimeSeconds(d);
    if (lead !== null) slot.leads.push(lead);
  }
  const restoreSamples = { deployments: [] as number[], incidents: [] as number[] };
  let unresolved = 0;
  for (const s of streaks) {
    if (!s.restored_at) {
      unresolved += 1;
      continue;
    }
    const value = seconds(s.failed_at, s.restored_at);
    restoreSamples.deployments.push(value);
    slotOf(s.failed_at)?.restores.push(value);
  }
  for (const i of incidents) {
    if (!i.resolved_at) {
      unresolved += 1;
      continue;
    }
    const value = Math.max(0, seconds(i.opened_at, i.resolved_at));
    restoreSamples.incidents.push(value);
    slotOf(i.opened_at)?.restores.push(value);
  }

  const days = new Set(completed.map((d) => d.finished_at.slice(0, 10)));
  const perWeek = bucketsOf(from, to, "week").map(
    (week) => [...days].filter((day) => day >= week.start.slice(0, 10) && day < week.end.slice(0, 10)).length,
  );
  const perMonth = bucketsOf(from, to, "month").map(
    (month) =>
      [...days].filter((day) => day >= month.start.slice(0, 10) && day < month.end.slice(0, 10)).length,
  );
  const medianWeek = percentile(perWeek, 0.5) ?? 0;
  const medianMonth = percentile(perMonth, 0.5) ?? 0;
  const windowDays = Math.max((Date.parse(to) - Date.parse(from)) / DAY, 0);

  const leads = completed.flatMap((d) => {
    const lead = leadTimeSeconds(d);
    return lead === null ? [] : [lead];
  });
  const failures = deployments.filter(isChangeFailure);
  const rate = deployments.length > 0 ? failures.length / deployments.length : null;
  const restores = [...restoreSamples.deployments, ...restoreSamples.incidents];
  const lead = summary(leads);
  const restore = summary(restores);

  return {
    deployment_frequency: {
      deployments: completed.length,
      deployment_days: days.size,
      per_day: windowDays > 0 ? completed.length / windowDays : 0,
      median_deployment_days_per_week: medianWeek,
      median_deployment_days_per_month: medianMonth,
      band:
        completed.length === 0
          ? null
          : medianWeek >= 3
            ? "elite"
            : medianWeek >= 1
              ? "high"
              : medianMonth >= 1
                ? "medium"
                : "low",
    },
    lead_time: { ...lead, band: bandBelow(lead.median_seconds, [HOUR, 7 * 24 * HOUR, 180 * 24 * HOUR]) },
    change_failure_rate: {
      deployments: deployments.length,
      failures: failures.length,
      failed: deployments.filter((d) => d.status === "failed").length,
      rolled_back: deployments.filter((d) => d.rolled_back).length,
      incident_linked: deployments.filter((d) => d.incident_linked).length,
      rate,
      band: bandBelow(rate, [0.05, 0.1, 0.15], true),
    },
    time_to_restore: {
      ...restore,
      band: bandBelow(restore.median_seconds, [HOUR, 24 * HOUR, 7 * 24 * HOUR]),
      deployments: summary(restoreSamples.deployments),
      incidents: summary(restoreSamples.incidents),
      unresolved,
    },
    buckets: slots.map((slot) => ({
      start: slot.start,
      end: slot.end,
      deployments: slot.completed,
      deployment_days: slot.days.size,
      lead_time: summary(slot.leads),
      change_failure: {
        deployments: slot.all,
        failures: slot.failures,
        rate: slot.all > 0 ? slot.failures / slot.all : null,
      },
      time_to_restore: summary(slot.restores),
    })),
  };
}

function emptyBucket() {
  return {
    all: 0,
    completed: 0,
    failures: 0,
    days: new Set<string>(),
    leads: [] as number[],
    restores: [] as number[],
  };
}
