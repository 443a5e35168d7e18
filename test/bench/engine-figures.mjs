// What an ingest section's load cost the database engine, read from counters before and after it:
// how many requests each group commit held (the collector's versioner_ingest_group_size histogram),
// database client calls per event (versioner_db_query_duration_seconds), and for a collector on sqld
// the HTTP requests sqld answered (the round trips) and the statements it ran (sqld's admin metrics).
import { histogramDelta, scrape, total, unlabelled } from "./prometheus.mjs";

/** Everything a collector (and the sqld under it, if any) has counted so far. */
export async function countersOf(collector) {
  return {
    collector: await scrape(`${collector.url}/metrics`, collector.token),
    sqld: collector.sqld ? await scrape(`${collector.sqld.adminUrl}/metrics`) : null,
  };
}

const per = (value, count) => (value === null || !count ? null : Math.round((value / count) * 100) / 100);

/** The figures of one collector between two countersOf() snapshots. */
export function engineFigures(before, after) {
  const delta = (snapshot, read) => {
    const [start, end] = [read(before[snapshot]), read(after[snapshot])];
    return end === null ? null : end - (start ?? 0);
  };
  const events = delta("collector", (s) =>
    total(s, "versioner_ingest_events_total", { outcome: "recorded" }),
  );
  const groups = histogramDelta(before.collector, after.collector, "versioner_ingest_group_size");
  const dbCalls = delta("collector", (s) => total(s, "versioner_db_query_duration_seconds_count"));
  const figures = {
    events_recorded: events,
    groups: groups && {
      count: groups.count,
      requests: groups.sum,
      mean_requests_per_group: per(groups.sum, groups.count),
      events_per_group: per(events, groups.count),
      buckets: groups.buckets,
    },
    db_client_calls_per_event: per(dbCalls, events),
  };
  if (!after.sqld) return figures;
  // Every request the collector's @libsql/client makes to sqld is one HTTP request it answers.
  const roundTrips = delta("sqld", (s) => total(s, "libsql_server_user_http_response"));
  const statements = delta("sqld", (s) => unlabelled(s, "libsql_server_query_count"));
  return {
    ...figures,
    sqld: {
      round_trips: roundTrips,
      statements,
      round_trips_per_event: per(roundTrips, events),
      round_trips_per_group: per(roundTrips, groups?.count),
      statements_per_event: per(statements, events),
    },
  };
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** The printed lines for one collector's figures. */
export function describeEngine(name, figures) {
  const lines = [];
  const { groups } = figures;
  if (groups) {
    const buckets = groups.buckets
      .filter((bucket) => bucket.count > 0)
      .map((bucket) => `${bucket.bucket}: ${integer.format(bucket.count)}`)
      .join(" · ");
    lines.push(
      `${name}: ${integer.format(groups.count)} group commits, ${groups.mean_requests_per_group ?? "–"} requests ` +
        `(${groups.events_per_group ?? "–"} events) per group; requests per group ${buckets || "none"}`,
    );
  } else {
    lines.push(`${name}: the collector's /metrics has no versioner_ingest_group_size histogram`);
  }
  const sqld = figures.sqld;
  lines.push(
    `${name}: ${figures.db_client_calls_per_event ?? "–"} database client calls per event` +
      (sqld
        ? `; sqld answered ${integer.format(sqld.round_trips ?? 0)} HTTP requests = ${sqld.round_trips_per_event ?? "–"} ` +
          `round trips per event, ${sqld.round_trips_per_group ?? "–"} per group, ` +
          `${sqld.statements_per_event ?? "–"} statements per event`
        : ""),
  );
  return lines;
}
