import type { DoraMetrics } from "@versioner/schema";
import type { Child } from "hono/jsx";
import { listEnvironments } from "../../catalog/environments-service.ts";
import { DomainError, ValidationError } from "../../errors.ts";
import type { AppDeps } from "../../http/app-env.ts";
import { addDays, localDate, startOfLocalDay } from "../../insights/calendar.ts";
import { BUCKETS, type Bucket } from "../../insights/dora.ts";
import { doraMetrics } from "../../insights/insights-service.ts";
import { canonicalTimeZone } from "../../time-zone.ts";
import { allProducts } from "../catalog-reads.ts";
import { ListTable, PageHeader } from "../components.tsx";
import { type DashboardRouter, describe, requireCapability } from "../dashboard-http.tsx";
import { Layout } from "../layout.tsx";
import { teamsOf } from "../matrix-model.ts";
import { BarChart } from "../svg-chart.tsx";

const DEFAULT_DAYS = 90;

/** The page's filters as the form shows them: dates are whole days of `tz`, `to` included. */
export interface MetricsFilters {
  product: string;
  environment: string;
  team: string;
  from: string;
  to: string;
  bucket: Bucket;
  /** IANA time zone of the days (default UTC). */
  tz: string;
}

const isDay = (value: string) => /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value));

/**
 * The query string as filters. Dates are days because people pick days: the window is
 * [from 00:00, the day after `to` 00:00) local time in `tz`, so "to = today" includes today.
 * Without dates the last 90 days up to today are shown (the API's default window, rounded to days).
 */
export function parseMetricsFilters(query: Record<string, string | undefined>, now: Date): MetricsFilters {
  const tz = (query.tz && canonicalTimeZone(query.tz)) || "UTC";
  const to = query.to && isDay(query.to) ? query.to : localDate(now.getTime(), tz);
  const from = query.from && isDay(query.from) ? query.from : addDays(to, -(DEFAULT_DAYS - 1));
  const bucket = (BUCKETS as readonly string[]).includes(query.bucket ?? "")
    ? (query.bucket as Bucket)
    : "week";
  return {
    product: query.product ?? "",
    environment: query.environment ?? "",
    team: query.team ?? "",
    from,
    to,
    bucket,
    tz,
  };
}

export function registerMetricsPages(router: DashboardRouter, deps: AppDeps) {
  router.page("/metrics/dora", async (c, ctx) => {
    requireCapability(ctx, "catalog.read");
    const filters = parseMetricsFilters(c.req.query(), ctx.now);
    const [environments, products] = await Promise.all([listEnvironments(deps, {}), allProducts(deps)]);
    let metrics: DoraMetrics | null = null;
    let error: string | undefined;
    try {
      metrics = await doraMetrics(deps, {
        product: filters.product || undefined,
        team: filters.team || undefined,
        environment: filters.environment || undefined,
        from: new Date(startOfLocalDay(filters.from, filters.tz)).toISOString(),
        to: new Date(startOfLocalDay(addDays(filters.to, 1), filters.tz)).toISOString(),
        bucket: filters.bucket,
        tz: filters.tz,
      });
    } catch (caught) {
      // A bad window (from after to, too many buckets) or an unknown product goes back to the form.
      if (!(caught instanceof ValidationError) && !(caught instanceof DomainError && caught.status === 404))
        throw caught;
      error = describe(caught);
    }
    return (
      <Layout ctx={ctx} title="DORA metrics">
        <PageHeader
          title="DORA metrics"
          lead="Deployment frequency, lead time for changes, change failure rate and time to restore in production (definitions in docs/insight.md)."
        />
        <MetricsForm
          filters={filters}
          environments={environments.map((env) => env.name)}
          products={products.map((product) => product.name)}
          teams={teamsOf(products)}
        />
        {error ? (
          <p class="flash flash-error" role="alert">
            {error}
          </p>
        ) : null}
        {metrics ? <MetricsReport metrics={metrics} /> : null}
      </Layout>
    );
  });
}

function Choice(props: { label: string; name: string; value: string; all: string; options: string[] }) {
  return (
    <label>
      {props.label}
      <select name={props.name}>
        <option value="">{props.all}</option>
        {props.options.map((option) => (
          <option value={option} selected={props.value === option}>
            {option}
          </option>
        ))}
      </select>
    </label>
  );
}

function MetricsForm(props: {
  filters: MetricsFilters;
  environments: string[];
  products: string[];
  teams: string[];
}) {
  const { filters } = props;
  return (
    <form class="filters" method="get" action="/metrics/dora" aria-label="Filter the metrics">
      <Choice
        label="Product"
        name="product"
        value={filters.product}
        all="All products"
        options={props.products}
      />
      <Choice
        label="Environment"
        name="environment"
        value={filters.environment}
        all="Production (configured)"
        options={props.environments}
      />
      <Choice label="Team" name="team" value={filters.team} all="All teams" options={props.teams} />
      <label>
        From
        <input type="date" name="from" value={filters.from} required />
      </label>
      <label>
        To (included)
        <input type="date" name="to" value={filters.to} required />
      </label>
      <label>
        Per
        <select name="bucket">
          {BUCKETS.map((bucket) => (
            <option value={bucket} selected={filters.bucket === bucket}>
              {bucket}
            </option>
          ))}
        </select>
      </label>
      <label>
        Time zone
        <input type="text" name="tz" value={filters.tz} placeholder="UTC" list="time-zones" />
        <datalist id="time-zones">
          {Intl.supportedValuesOf("timeZone").map((zone) => (
            <option value={zone} />
          ))}
        </datalist>
      </label>
      <div class="filter-actions">
        <button type="submit">Apply</button>
        <a href="/metrics/dora">Reset</a>
      </div>
    </form>
  );
}

/** Seconds as the unit a person reads best: "45 s", "12 min", "3.5 h", "2.1 d". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return "—";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${trim(seconds / 3600)} h`;
  return `${trim(seconds / 86_400)} d`;
}

const trim = (n: number) => (n >= 10 ? String(Math.round(n)) : n.toFixed(1).replace(/\.0$/, ""));
const percent = (rate: number | null) => (rate === null ? "—" : `${trim(rate * 100)} %`);

function Band(props: { band: string | null }) {
  if (!props.band) return <span class="band band-none">no band (no data)</span>;
  return <span class={`band band-${props.band}`}>{props.band}</span>;
}

function Metric(props: { title: string; value: string; band: string | null; children: Child }) {
  return (
    <section class="card metric" aria-label={props.title}>
      <h2>{props.title}</h2>
      <p class="metric-value">{props.value}</p>
      <p>
        <Band band={props.band} />
      </p>
      <p class="muted">{props.children}</p>
    </section>
  );
}

/** A bucket's start as its label: the local day, the week's Monday, or the month. */
function bucketLabel(start: string, bucket: Bucket, tz: string): string {
  const day = localDate(Date.parse(start), tz);
  return bucket === "month" ? day.slice(0, 7) : day;
}

function MetricsReport(props: { metrics: DoraMetrics }) {
  const m = props.metrics;
  const bucket = m.window.bucket;
  const labels = m.buckets.map((b) => bucketLabel(b.start, bucket, m.window.tz));
  const hours = (s: number | null) => (s === null ? null : s / 3600);
  const fromHours = (h: number) => formatDuration(h * 3600);
  const measured = m.environments.map((env) => env.name).join(", ") || "none";
  return (
    <>
      <p class="muted">
        Measured in: {measured} · {localDate(Date.parse(m.window.from), m.window.tz)} to{" "}
        {localDate(Date.parse(m.window.to) - 1, m.window.tz)} ({m.window.tz}) · per {bucket}
      </p>
      <div class="metrics-grid">
        <Metric
          title="Deployment frequency"
          value={`${trim(m.deployment_frequency.per_day)} / day`}
          band={m.deployment_frequency.band}
        >
          {m.deployment_frequency.deployments} deployments on {m.deployment_frequency.deployment_days} days
        </Metric>
        <Metric
          title="Lead time for changes"
          value={formatDuration(m.lead_time.median_seconds)}
          band={m.lead_time.band}
        >
          median · p90 {formatDuration(m.lead_time.p90_seconds)} · {m.lead_time.count} changes
        </Metric>
        <Metric
          title="Change failure rate"
          value={percent(m.change_failure_rate.rate)}
          band={m.change_failure_rate.band}
        >
          {m.change_failure_rate.failures} of {m.change_failure_rate.deployments} deployments (
          {m.change_failure_rate.failed} failed, {m.change_failure_rate.rolled_back} rolled back,{" "}
          {m.change_failure_rate.incident_linked} with an incident)
        </Metric>
        <Metric
          title="Time to restore"
          value={formatDuration(m.time_to_restore.median_seconds)}
          band={m.time_to_restore.band}
        >
          median · p90 {formatDuration(m.time_to_restore.p90_seconds)} · {m.time_to_restore.count} restored ·{" "}
          {m.time_to_restore.unresolved} not yet
        </Metric>
      </div>
      <div class="charts-grid">
        <section class="card" aria-labelledby="chart-frequency">
          <h2 id="chart-frequency">Deployments per {bucket}</h2>
          <BarChart
            title={`Deployments per ${bucket}`}
            labels={labels}
            series={[{ name: "Deployments", values: m.buckets.map((b) => b.deployments) }]}
            format={(v) => trim(v)}
          />
        </section>
        <section class="card" aria-labelledby="chart-lead">
          <h2 id="chart-lead">Lead time per {bucket}</h2>
          <BarChart
            title={`Lead time per ${bucket}, median and p90`}
            labels={labels}
            series={[
              { name: "Median", values: m.buckets.map((b) => hours(b.lead_time.median_seconds)) },
              { name: "p90", values: m.buckets.map((b) => hours(b.lead_time.p90_seconds)) },
            ]}
            format={fromHours}
          />
        </section>
        <section class="card" aria-labelledby="chart-cfr">
          <h2 id="chart-cfr">Change failure rate per {bucket}</h2>
          <BarChart
            title={`Change failure rate per ${bucket}`}
            labels={labels}
            series={[
              {
                name: "Change failure rate",
                values: m.buckets.map((b) =>
                  b.change_failure.rate === null ? null : b.change_failure.rate * 100,
                ),
              },
            ]}
            format={(v) => `${Number(v.toFixed(1))} %`}
          />
        </section>
        <section class="card" aria-labelledby="chart-restore">
          <h2 id="chart-restore">Time to restore per {bucket}</h2>
          <BarChart
            title={`Time to restore per ${bucket}, median and p90`}
            labels={labels}
            series={[
              { name: "Median", values: m.buckets.map((b) => hours(b.time_to_restore.median_seconds)) },
              { name: "p90", values: m.buckets.map((b) => hours(b.time_to_restore.p90_seconds)) },
            ]}
            format={fromHours}
          />
        </section>
      </div>
      <h2 id="numbers">The numbers per {bucket}</h2>
      <ListTable
        class="list numbers"
        columns={[
          bucket === "month" ? "Month" : bucket === "week" ? "Week of" : "Day",
          "Deployments",
          "Deployment days",
          "Lead time median",
          "Lead time p90",
          "Failures",
          "Change failure rate",
          "Time to restore median",
        ]}
      >
        {m.buckets.map((b, index) => (
          <tr>
            <th scope="row">{labels[index]}</th>
            <td>{b.deployments}</td>
            <td>{b.deployment_days}</td>
            <td>{formatDuration(b.lead_time.median_seconds)}</td>
            <td>{formatDuration(b.lead_time.p90_seconds)}</td>
            <td>
              {b.change_failure.failures} of {b.change_failure.deployments}
            </td>
            <td>{percent(b.change_failure.rate)}</td>
            <td>{formatDuration(b.time_to_restore.median_seconds)}</td>
          </tr>
        ))}
      </ListTable>
    </>
  );
}
