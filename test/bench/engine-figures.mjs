// What an ingest section's load cost the database engine, read from counters before and after it:
// how many requests each group commit held (the collector's versioner_ingest_group_size histogram),
// database client calls per event (versioner_db_query_duration_seconds), and for a collector on sqld
// the HTTP requests sqld answered (the round trips) and the statements it ran (sqld's admin metrics);
// the write thread's time by phase (versioner_write_thread_seconds_total, a local file only); and
// the CPU time per event of the collector's threads (and of sqld), from /proc.
import { histogramDelta, scrape, total, unlabelled } from "./prometheus.mjs";
import { readCpuMs, readThreadCpuMs } from "./servers.mjs";

/** Everything a collector (and the sqld under it, if any) has counted so far. */
export async function countersOf(collector) {
  return {
    collector: await scrape(`${collector.url}/metrics`, collector.token),
    sqld: collector.sqld ? await scrape(`${collector.sqld.adminUrl}/metrics`) : null,
    pid: collector.pid,
    threads: readThreadCpuMs(collector.pid),
    sqldCpuMs: collector.sqld ? readCpuMs(collector.sqld.pid) : null,
  };
}

/**
 * CPU per recorded event, in µs, of the collector's main thread, of its busiest other thread (on a
 * local file, the write thread: nothing else in the process comes near it) and of all its other
 * threads together (V8's garbage collection and platform threads, libuv's pool); null without /proc.
 * On 2 cores, 20,000 events/s leaves 100 µs per event for all of them and the load generator.
 */
function threadCpu(before, after, events) {
  if (!before.threads || !after.threads || !events) return null;
  const main = String(after.pid);
  const spent = Object.entries(after.threads).map(([tid, ms]) => [tid, ms - (before.threads[tid] ?? 0)]);
  const others = spent
    .filter(([tid]) => tid !== main)
    .map(([, ms]) => ms)
    .sort((a, b) => b - a);
  return {
    main_us_per_event: usPerEvent(spent.find(([tid]) => tid === main)?.[1] ?? 0, events),
    busiest_other_us_per_event: usPerEvent(others[0] ?? 0, events),
    rest_us_per_event: usPerEvent(
      others.slice(1).reduce((sum, ms) => sum + ms, 0),
      events,
    ),
  };
}

const WRITE_PHASES = ["statements", "commit", "checkpoint"];

/**
 * The write thread's wall time per recorded event, by phase, in µs, and the events/s it alone
 * allows (one thread, one transaction at a time: when ingest runs near that rate, the thread is
 * what bounds it); null without a write thread (a libSQL server).
 */
function writeThread(delta, events) {
  const seconds = Object.fromEntries(
    WRITE_PHASES.map((phase) => [
      phase,
      delta("collector", (s) => total(s, "versioner_write_thread_seconds_total", { phase })),
    ]),
  );
  if (!events || WRITE_PHASES.every((phase) => seconds[phase] === null)) return null;
  const us = (value) => Math.round(((value ?? 0) * 1e6) / events);
  const all = WRITE_PHASES.reduce((sum, phase) => sum + (seconds[phase] ?? 0), 0);
  return {
    statements_us_per_event: us(seconds.statements),
    commit_us_per_event: us(seconds.commit),
    checkpoint_us_per_event: us(seconds.checkpoint),
    us_per_event: us(all),
    events_per_second_bound: all > 0 ? Math.round(events / all) : null,
  };
}

const per = (value, count) => (value === null || !count ? null : Math.round((value / count) * 100) / 100);
/** CPU ms over `events`, as whole µs per event. */
const usPerEvent = (ms, events) => Math.round((ms * 1000) / events);

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
    cpu: threadCpu(before, after, events),
    write_thread: writeThread(delta, events),
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
      cpu_us_per_event:
        after.sqldCpuMs === null || before.sqldCpuMs === null || !events
          ? null
          : usPerEvent(after.sqldCpuMs - before.sqldCpuMs, events),
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
  const thread = figures.write_thread;
  if (thread) {
    lines.push(
      `${name}: the write thread worked ${thread.us_per_event} µs per event (wall time): statements ` +
        `${thread.statements_us_per_event}, COMMIT ${thread.commit_us_per_event}, checkpoints ` +
        `${thread.checkpoint_us_per_event}; alone it allows about ${integer.format(thread.events_per_second_bound ?? 0)} events/s`,
    );
  }
  const { cpu } = figures;
  if (cpu) {
    lines.push(
      `${name}: CPU per event: main thread ${cpu.main_us_per_event} µs, busiest other thread ` +
        `${cpu.busiest_other_us_per_event} µs${sqld ? "" : " (the write thread)"}, the other threads ` +
        `${cpu.rest_us_per_event} µs` +
        (sqld?.cpu_us_per_event != null ? `; the sqld process ${sqld.cpu_us_per_event} µs` : ""),
    );
  }
  return lines;
}
