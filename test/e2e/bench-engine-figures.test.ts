// The bench's engine figures (test/bench/engine-figures.mjs) read the real collector's /metrics and
// sqld's admin metrics: if a metric they rely on is renamed, `npm run bench` would print "–" where
// the group sizes and round trips belong. These tests pin what they read against real processes.
import { describe, expect, it } from "vitest";
import { countersOf, type EngineFigures, engineFigures } from "../bench/engine-figures.mjs";
import { type BenchCollector, type BenchSqld, startCollector, startSqld } from "../bench/servers.mjs";
import { SQLD_AVAILABLE } from "../support/sqld.ts";

const engines = SQLD_AVAILABLE ? (["file", "sqld"] as const) : (["file"] as const);

function deploymentEvent(n: number) {
  return {
    product_name: "figures-service",
    version: `1.0.${n}`,
    environment_name: "production",
    status: "success",
    invoke_id: `figures-${n}`,
  };
}

async function post(collector: BenchCollector, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${collector.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${collector.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status, await response.text()).toBe(200);
}

/** 8 single events at once, then one batch of 3: 9 requests, 11 events. */
async function ingest(collector: BenchCollector): Promise<EngineFigures> {
  const before = await countersOf(collector);
  await Promise.all(
    Array.from({ length: 8 }, (_, n) => post(collector, "/deployment-events/", deploymentEvent(n))),
  );
  const batch = [8, 9, 10].map((n) => ({ kind: "deployment", event: deploymentEvent(n) }));
  await post(collector, "/events/batch", { events: batch });
  return engineFigures(before, await countersOf(collector));
}

describe.each(engines)("bench engine figures on %s", (engine) => {
  it("counts the events, the group commits and how many requests each held", async () => {
    let sqld: BenchSqld | undefined;
    let collector: BenchCollector | undefined;
    try {
      if (engine === "sqld") sqld = await startSqld();
      collector = await startCollector(sqld ? { sqld } : {});
      const figures = await ingest(collector);
      expect(figures.events_recorded).toBe(11);
      const groups = figures.groups;
      expect(groups).not.toBeNull();
      expect(groups?.requests).toBe(9);
      const perBucket = groups?.buckets.reduce((sum, bucket) => sum + bucket.count, 0);
      expect(perBucket).toBe(groups?.count);
      expect(groups?.count).toBeGreaterThanOrEqual(1);
      expect(groups?.count).toBeLessThanOrEqual(9);
      expect(figures.db_client_calls_per_event).toBeGreaterThan(0);
      // CPU per event from /proc: the main thread is the collector's pid, every figure a count of
      // whole clock ticks spread over the events (11 events may cost less than a tick per thread).
      const counters = await countersOf(collector);
      expect(counters.threads?.[String(collector.pid)]).toBeGreaterThan(0);
      for (const value of Object.values(figures.cpu ?? {})) {
        expect(Number.isInteger(value) && value >= 0, JSON.stringify(figures.cpu)).toBe(true);
      }
      expect(Object.keys(figures.cpu ?? {})).toEqual([
        "main_us_per_event",
        "busiest_other_us_per_event",
        "rest_us_per_event",
      ]);
      if (engine === "file") {
        expect(figures.sqld).toBeUndefined();
        return;
      }
      // Every statement travels in some HTTP request, and no request carries nothing.
      const { round_trips: roundTrips, statements } = figures.sqld ?? {};
      expect(roundTrips).toBeGreaterThan(0);
      expect(statements).toBeGreaterThanOrEqual(roundTrips ?? Number.POSITIVE_INFINITY);
      expect(figures.sqld?.round_trips_per_group).toBeCloseTo((roundTrips ?? 0) / (groups?.count ?? 1), 1);
      expect(Number.isInteger(figures.sqld?.cpu_us_per_event)).toBe(true);
    } finally {
      await collector?.stop();
      await sqld?.stop();
    }
  });
});
