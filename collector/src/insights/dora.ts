import { isSucceeded } from "@versioner/schema";
// DORA's four keys over rows the insights service reads. Every definition here is written out, with
// the peers' side by side, in docs/insight.md; the tests compute their expectations by hand.

import { addDays, addMonths, isoWeekday, LocalDays, localDate, startOfLocalDay } from "./calendar.ts";

export const BUCKETS = ["day", "week", "month"] as const;
export type Bucket = (typeof BUCKETS)[number];

export type Band = "elite" | "high" | "medium" | "low";

/**
 * A finished production deployment as DORA reads it: the dora_facts row, its lead time already
 * decided at ingest (`leadTimeSeconds`).
 */
export interface DoraFact {
  id: string;
  product_id: string;
  environment_id: string;
  status: "completed" | "failed";
  /** completed_at: when it went live, or failed. */
  finished_at: string;
  /** Lead time for changes, when this deployment is a sample of it. */
  lead_seconds: number | null;
  /** Replaced later by a rollback. */
  rolled_back: boolean;
  /** Named by an incident as its cause. */
  incident_linked: boolean;
}

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
  /** The first completed deployment of its version to its environment. */
  first_in_environment: boolean;
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

export interface BucketRange {
  /** When the bucket starts and ends (ISO instants: local midnights in the query's time zone). */
  start: string;
  end: string;
  /** The local dates of start and end (YYYY-MM-DD). */
  start_day: string;
  end_day: string;
}

function bucketDate(date: string, bucket: Bucket): string {
  if (bucket === "day") return date;
  if (bucket === "week") return addDays(date, -isoWeekday(date));
  return addMonths(date, 0);
}

function nextBucketDate(date: string, bucket: Bucket): string {
  if (bucket === "day") return addDays(date, 1);
  if (bucket === "week") return addDays(date, 7);
  return addMonths(date, 1);
}

const startOf = (date: string, timeZone: string) => new Date(startOfLocalDay(date, timeZone)).toISOString();

/** The start of the local day, ISO week (Monday) or calendar month holding `iso`. */
export function bucketStart(iso: string, bucket: Bucket, timeZone = "UTC"): string {
  return startOf(bucketDate(localDate(Date.parse(iso), timeZone), bucket), timeZone);
}

/** The buckets overlapping [from, to): the first may start before `from`, the last end after `to`. */
export function bucketsOf(from: string, to: string, bucket: Bucket, timeZone = "UTC"): BucketRange[] {
  const out: BucketRange[] = [];
  let day = bucketDate(localDate(Date.parse(from), timeZone), bucket);
  let start = startOf(day, timeZone);
  while (start < to) {
    const endDay = nextBucketDate(day, bucket);
    const end = startOf(endDay, timeZone);
    out.push({ start, end, start_day: day, end_day: endDay });
    day = endDay;
    start = end;
  }
  return out;
}

/** The bucket holding `at` (an instant in ms or a local date), by binary search over contiguous buckets. */
function bucketAt<T, K extends number | string>(
  buckets: readonly T[],
  at: K,
  startOf: (bucket: T) => K,
  endOf: (bucket: T) => K,
): T | undefined {
  let low = 0;
  let high = buckets.length;
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if (startOf(buckets[middle] as T) <= at) low = middle;
    else high = middle;
  }
  const bucket = buckets[low];
  return bucket && startOf(bucket) <= at && at < endOf(bucket) ? bucket : undefined;
}

/**
 * The p-th percentile (0 ≤ p ≤ 1) with linear interpolation between closest ranks: rank
 * h = (n − 1)·p, value x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]) — the "type 7" of Hyndman & Fan,
 * as numpy's default, PERCENTILE_CONT and Excel's PERCENTILE.INC. So the median of an even
 * count is the mean of the middle two. Null for no values.
 */
export function percentile(values: readonly number[], p: number): number | null {
  return sortedPercentile(Float64Array.from(values).sort(), p);
}

function sortedPercentile(sorted: Float64Array, p: number): number | null {
  if (sorted.length === 0) return null;
  const h = (sorted.length - 1) * p;
  const low = Math.floor(h);
  const lower = sorted[low] as number;
  const upper = sorted[Math.min(low + 1, sorted.length - 1)] as number;
  return lower + (h - low) * (upper - lower);
}

// Times have millisecond precision: seconds are rounded to 3 decimals, which also drops float noise.
const toMs = (value: number | null) => (value === null ? null : Math.round(value * 1000) / 1000);

function summary(values: ArrayLike<number>): Summary {
  // A typed array sorts numerically without a comparator: one sort for both percentiles.
  const sorted = Float64Array.from(values).sort();
  return {
    count: values.length,
    median_seconds: toMs(sortedPercentile(sorted, 0.5)),
    p90_seconds: toMs(sortedPercentile(sorted, 0.9)),
  };
}

const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;

/** Lead time of one deployment, when it counts: see docs/insight.md#lead-time-for-changes. */
export function leadTimeSeconds(d: DoraDeployment): number | null {
  if (!isSucceeded(d.status) || !d.first_in_environment || !d.committed_at) return null;
  // A commit time after the deployment is clock skew between CI and collector: it counts as 0.
  return Math.max(0, seconds(d.committed_at, d.finished_at));
}

/** The fact ingest records for a deployment. */
export function factOf(d: DoraDeployment): DoraFact {
  const { id, product_id, environment_id, status, finished_at, rolled_back, incident_linked } = d;
  const lead_seconds = leadTimeSeconds(d);
  return { id, product_id, environment_id, status, finished_at, lead_seconds, rolled_back, incident_linked };
}

/** Bits of FactColumns.flags, as the packed query's flags digit sets them. */
export const FAILED = 1;
export const ROLLED_BACK = 2;
export const INCIDENT_LINKED = 4;

/**
 * The facts of one product × environment as parallel columns in finishing order (finished_at,
 * then id): a year of a busy product is walked without an object per deployment.
 */
export interface FactColumns {
  product_id: string;
  environment_id: string;
  /** finished_at per fact, in ms since the epoch. */
  finished: Float64Array;
  /** FAILED | ROLLED_BACK | INCIDENT_LINKED per fact. */
  flags: Uint8Array;
  /** Lead time in seconds per fact; NaN when the fact is no sample. */
  leads: Float64Array;
}

const flagsOf = (d: DoraFact) =>
  (d.status === "failed" ? FAILED : 0) |
  (d.rolled_back ? ROLLED_BACK : 0) |
  (d.incident_linked ? INCIDENT_LINKED : 0);

/** Facts as columns, one per product × environment, each in finishing order. */
export function factColumns(facts: readonly DoraFact[]): FactColumns[] {
  const pairs = new Map<string, DoraFact[]>();
  for (const fact of facts) {
    const key = `${fact.product_id}\u0000${fact.environment_id}`;
    const rows = pairs.get(key);
    if (rows) rows.push(fact);
    else pairs.set(key, [fact]);
  }
  return [...pairs.values()].map((rows) => {
    const columns = {
      product_id: (rows[0] as DoraFact).product_id,
      environment_id: (rows[0] as DoraFact).environment_id,
      finished: Float64Array.from(rows, (d) => Date.parse(d.finished_at)),
      flags: Uint8Array.from(rows, flagsOf),
      leads: Float64Array.from(rows, (d) => d.lead_seconds ?? Number.NaN),
    };
    return strictlyOrdered(columns.finished)
      ? columns
      : sortColumns(
          columns,
          rows.map((d) => d.id),
        );
  });
}

/** True when each fact finished strictly after the one before: finishing order without the ids. */
export function strictlyOrdered(finished: Float64Array): boolean {
  for (let i = 1; i < finished.length; i++)
    if ((finished[i - 1] as number) >= (finished[i] as number)) return false;
  return true;
}

/** The columns in finishing order: by finished_at, then by deployment id (`ids`, one per fact). */
export function sortColumns(columns: FactColumns, ids: readonly string[]): FactColumns {
  const { finished, flags, leads } = columns;
  const order = Array.from(finished, (_, i) => i).sort(
    (a, b) =>
      (finished[a] as number) - (finished[b] as number) ||
      ((ids[a] as string) < (ids[b] as string) ? -1 : (ids[a] as string) > (ids[b] as string) ? 1 : 0),
  );
  return {
    ...columns,
    finished: Float64Array.from(order, (i) => finished[i] as number),
    flags: Uint8Array.from(order, (i) => flags[i] as number),
    leads: Float64Array.from(order, (i) => leads[i] as number),
  };
}

export interface RestoreSample {
  product_id: string;
  environment_id: string;
  /** The first failed or rolled-back deployment since the last good one. */
  /** When it opened and closed, in ms since the epoch. */
  failed_at: number;
  restored_at: number | null;
}

/**
 * Failure streaks per product × environment, walking the deployments in the order they finished:
 * a streak opens at the first failed or rolled-back deployment after a good one and closes at the
 * next completed deployment that was not rolled back (the "good version"). Consecutive failures
 * are one outage, one sample. Closed streaks come first, then the ones still open.
 */
export function restoreStreaks(columns: readonly FactColumns[]): RestoreSample[] {
  const done: RestoreSample[] = [];
  const open: RestoreSample[] = [];
  for (const { product_id, environment_id, finished, flags } of columns) {
    let failedAt: number | null = null;
    for (let i = 0; i < finished.length; i++) {
      if ((flags[i] as number) & (FAILED | ROLLED_BACK)) failedAt ??= finished[i] as number;
      else if (failedAt !== null) {
        done.push({
          product_id,
          environment_id,
          failed_at: failedAt,
          restored_at: finished[i] as number,
        });
        failedAt = null;
      }
    }
    if (failedAt !== null) open.push({ product_id, environment_id, failed_at: failedAt, restored_at: null });
  }
  return [...done, ...open];
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

/** What one local day of production deployments contributes to the metrics. */
export interface DayAggregate {
  /** YYYY-MM-DD in the query's time zone. */
  day: string;
  /** Completed deployments. */
  completed: number;
  /** Completed or failed deployments. */
  finished: number;
  failed: number;
  rolled_back: number;
  incident_linked: number;
  /** Deployments that failed, were rolled back or are linked to an incident (each once). */
  failures: number;
  /** Lead-time samples (seconds) of the deployments finished that day. */
  leads: number[];
}

/** Groups the deployments finished in [from, to) by local day of `timeZone`, in day order. */
export function aggregateDays(
  columns: readonly FactColumns[],
  from: string,
  to: string,
  timeZone = "UTC",
): DayAggregate[] {
  const localDays = new LocalDays(from, to, timeZone);
  const starts = localDays.starts;
  const days: Array<DayAggregate | undefined> = [];
  for (const { finished, flags, leads } of columns) {
    // In finishing order the window's facts are one run, and each day's follow the day before's:
    // one comparison per fact finds its day. starts[0] <= from and `to` <= the last start.
    const end = firstAtOrAfter(finished, Date.parse(to));
    let index = 0;
    let next = starts[1] as number;
    let aggregate: DayAggregate | undefined;
    for (let i = firstAtOrAfter(finished, Date.parse(from)); i < end; i++) {
      const at = finished[i] as number;
      if (at >= next || !aggregate) {
        while (at >= next) next = starts[++index + 1] as number;
        aggregate = days[index] ??= emptyDay(localDays.dateOf(index));
      }
      const flag = flags[i] as number;
      const lead = leads[i] as number;
      aggregate.finished += 1;
      if (flag & FAILED) aggregate.failed += 1;
      else aggregate.completed += 1;
      if (flag & ROLLED_BACK) aggregate.rolled_back += 1;
      if (flag & INCIDENT_LINKED) aggregate.incident_linked += 1;
      if (flag !== 0) aggregate.failures += 1;
      if (!Number.isNaN(lead)) aggregate.leads.push(lead);
    }
  }
  return days.filter((day) => day !== undefined);
}

function emptyDay(day: string): DayAggregate {
  return {
    day,
    completed: 0,
    finished: 0,
    failed: 0,
    rolled_back: 0,
    incident_linked: 0,
    failures: 0,
    leads: [],
  };
}

/** The index of the first of the ordered `times` at or after `at` (times.length when none is). */
function firstAtOrAfter(times: Float64Array, at: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((times[middle] as number) < at) low = middle + 1;
    else high = middle;
  }
  return low;
}

export interface DoraInput {
  from: string;
  to: string;
  bucket: Bucket;
  /** IANA name; days, weeks and months start at its local midnight. */
  timeZone: string;
  /** Production deployments finished in [from, to), by local day (aggregateDays in `timeZone`). */
  days: readonly DayAggregate[];
  /** Production incidents opened in [from, to). */
  incidents: readonly DoraIncident[];
  /** Failure streaks opened in the window; restored_at may lie after `to` (restoreStreaks + a lookup). */
  streaks: readonly RestoreSample[];
}

const sum = (days: readonly DayAggregate[], key: keyof Omit<DayAggregate, "day" | "leads">) =>
  days.reduce((total, day) => total + day[key], 0);

/** The four keys for the window, overall and per bucket. */
export function computeDora(input: DoraInput): DoraReport {
  const { from, to, bucket, timeZone } = input;
  const [fromMs, toMs] = [Date.parse(from), Date.parse(to)];
  const inWindow = (at: number) => at >= fromMs && at < toMs;
  // The day aggregates hold only deployments finished in the window (the query's own bounds).
  const days = input.days;
  const incidents = input.incidents.filter((i) => inWindow(Date.parse(i.opened_at)));
  const streaks = input.streaks.filter((s) => inWindow(s.failed_at));

  const slots = bucketsOf(from, to, bucket, timeZone).map(slotOf);
  type Slot = (typeof slots)[number];
  const slotAt = (at: number) =>
    bucketAt(
      slots,
      at,
      (slot: Slot) => slot.start_ms,
      (slot: Slot) => slot.end_ms,
    );
  for (const d of days) {
    const slot = bucketAt(
      slots,
      d.day,
      (slot: Slot) => slot.start_day,
      (slot: Slot) => slot.end_day,
    );
    if (!slot) continue;
    slot.all += d.finished;
    slot.failures += d.failures;
    slot.completed += d.completed;
    if (d.completed > 0) slot.days.add(d.day);
    slot.leads.push(...d.leads);
  }
  const restoreSamples = { deployments: [] as number[], incidents: [] as number[] };
  let unresolved = 0;
  for (const s of streaks) {
    if (s.restored_at === null) {
      unresolved += 1;
      continue;
    }
    const value = (s.restored_at - s.failed_at) / 1000;
    restoreSamples.deployments.push(value);
    slotAt(s.failed_at)?.restores.push(value);
  }
  for (const i of incidents) {
    if (!i.resolved_at) {
      unresolved += 1;
      continue;
    }
    const value = Math.max(0, seconds(i.opened_at, i.resolved_at));
    restoreSamples.incidents.push(value);
    slotAt(Date.parse(i.opened_at))?.restores.push(value);
  }

  const deploymentDays = days.filter((d) => d.completed > 0).map((d) => d.day);
  const countIn = (range: BucketRange) =>
    deploymentDays.filter((day) => day >= range.start_day && day < range.end_day).length;
  // The slots already are the weeks or the months when the query buckets by them.
  const ranges = (of: Bucket) => (of === bucket ? slots : bucketsOf(from, to, of, timeZone));
  const medianWeek = percentile(ranges("week").map(countIn), 0.5) ?? 0;
  const medianMonth = percentile(ranges("month").map(countIn), 0.5) ?? 0;
  const windowDays = Math.max((Date.parse(to) - Date.parse(from)) / DAY, 0);

  const completed = sum(days, "completed");
  const finished = sum(days, "finished");
  const failures = sum(days, "failures");
  const rate = finished > 0 ? failures / finished : null;
  const lead = summary(allLeads(days));
  const restore = summary([...restoreSamples.deployments, ...restoreSamples.incidents]);

  return {
    deployment_frequency: {
      deployments: completed,
      deployment_days: deploymentDays.length,
      per_day: windowDays > 0 ? completed / windowDays : 0,
      median_deployment_days_per_week: medianWeek,
      median_deployment_days_per_month: medianMonth,
      band:
        completed === 0
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
      deployments: finished,
      failures,
      failed: sum(days, "failed"),
      rolled_back: sum(days, "rolled_back"),
      incident_linked: sum(days, "incident_linked"),
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

/** Every day's lead samples in one array (flatMap is several times slower over a year of days). */
function allLeads(days: readonly DayAggregate[]): Float64Array {
  const all = new Float64Array(days.reduce((total, day) => total + day.leads.length, 0));
  let at = 0;
  for (const day of days) {
    all.set(day.leads, at);
    at += day.leads.length;
  }
  return all;
}

/** A bucket and what is summed in it. A literal, not spreads: V8 builds spread objects slowly. */
function slotOf(range: BucketRange) {
  return {
    start: range.start,
    end: range.end,
    start_day: range.start_day,
    end_day: range.end_day,
    start_ms: Date.parse(range.start),
    end_ms: Date.parse(range.end),
    all: 0,
    completed: 0,
    failures: 0,
    days: new Set<string>(),
    leads: [] as number[],
    restores: [] as number[],
  };
}
