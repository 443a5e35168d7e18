import { describe, expect, it } from "vitest";
import {
  aggregateDays,
  bucketStart,
  bucketsOf,
  computeDora,
  type DoraDeployment,
  type DoraIncident,
  factColumns,
  factOf,
  percentile,
  restoreStreaks,
} from "./dora.ts";

function deployment(id: string, finished_at: string, extra: Partial<DoraDeployment> = {}): DoraDeployment {
  return {
    id,
    product_id: "p",
    environment_id: "prod",
    status: "completed",
    finished_at,
    committed_at: null,
    rolled_back: false,
    incident_linked: false,
    first_in_environment: true,
    ...extra,
  };
}

/** The facts ingest would record for these deployments, as the service reads them. */
const columnsOf = (deployments: readonly DoraDeployment[]) => factColumns(deployments.map(factOf));

describe("UTC buckets", () => {
  it("puts the last millisecond of a day in it and midnight in the next", () => {
    expect(bucketStart("2026-03-01T23:59:59.999Z", "day")).toBe("2026-03-01T00:00:00.000Z");
    expect(bucketStart("2026-03-02T00:00:00.000Z", "day")).toBe("2026-03-02T00:00:00.000Z");
  });

  it("starts weeks on Monday (2026-03-01 is a Sunday) and months on the 1st", () => {
    expect(bucketStart("2026-03-01T23:59:59.999Z", "week")).toBe("2026-02-23T00:00:00.000Z");
    expect(bucketStart("2026-03-02T00:00:00.000Z", "week")).toBe("2026-03-02T00:00:00.000Z");
    expect(bucketStart("2026-02-28T23:59:59.999Z", "month")).toBe("2026-02-01T00:00:00.000Z");
    expect(bucketStart("2026-03-01T00:00:00.000Z", "month")).toBe("2026-03-01T00:00:00.000Z");
    // 22:30 at UTC−02:00 on Sunday is already Monday 00:30 UTC: buckets are UTC.
    expect(bucketStart(new Date("2026-03-01T22:30:00-02:00").toISOString(), "week")).toBe(
      "2026-03-02T00:00:00.000Z",
    );
  });

  it("covers a window with whole buckets, the end exclusive", () => {
    expect(bucketsOf("2026-03-04T12:00:00.000Z", "2026-03-16T00:00:00.000Z", "week")).toEqual([
      {
        start: "2026-03-02T00:00:00.000Z",
        end: "2026-03-09T00:00:00.000Z",
        start_day: "2026-03-02",
        end_day: "2026-03-09",
      },
      {
        start: "2026-03-09T00:00:00.000Z",
        end: "2026-03-16T00:00:00.000Z",
        start_day: "2026-03-09",
        end_day: "2026-03-16",
      },
    ]);
    expect(
      bucketsOf("2026-01-31T00:00:00.000Z", "2026-03-01T00:00:00.000Z", "month").map((b) => b.start),
    ).toEqual(["2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z"]);
  });
});

describe("percentile (linear interpolation between closest ranks)", () => {
  it.each([
    [[1, 2, 3, 4], 0.5, 2.5],
    [[4, 1, 3, 2], 0.9, 3.7],
    [[5], 0.5, 5],
    [[5], 0.9, 5],
    [[2, 2, 2, 10], 0.5, 2],
    [[2, 2, 2, 10], 0.9, 7.6],
    [[], 0.5, null],
  ])("%j at %d is %d", (values, p, expected) => {
    if (expected === null) expect(percentile(values, p)).toBeNull();
    else expect(percentile(values, p)).toBeCloseTo(expected, 9);
  });
});

describe("time to restore: failure streaks", () => {
  it("one outage per run of failures, closed by the next good completed deployment", () => {
    const streaks = restoreStreaks(
      columnsOf([
        deployment("a", "2026-03-02T10:00:00.000Z"),
        deployment("b", "2026-03-02T11:00:00.000Z", { status: "failed" }),
        deployment("c", "2026-03-02T11:30:00.000Z", { status: "failed" }),
        deployment("d", "2026-03-02T12:00:00.000Z", { rolled_back: true }),
        deployment("e", "2026-03-02T13:00:00.000Z"),
        deployment("f", "2026-03-02T14:00:00.000Z", { status: "failed" }),
      ]),
    );
    expect(streaks).toEqual([
      {
        product_id: "p",
        environment_id: "prod",
        failed_at: Date.parse("2026-03-02T11:00:00.000Z"),
        restored_at: Date.parse("2026-03-02T13:00:00.000Z"),
      },
      {
        product_id: "p",
        environment_id: "prod",
        failed_at: Date.parse("2026-03-02T14:00:00.000Z"),
        restored_at: null,
      },
    ]);
  });

  it("orders deployments of the same millisecond by id: good a then failed b opens an outage c closes", () => {
    const streaks = restoreStreaks(
      columnsOf([
        deployment("c", "2026-03-02T11:00:00.000Z"),
        deployment("b", "2026-03-02T10:00:00.000Z", { status: "failed" }),
        deployment("a", "2026-03-02T10:00:00.000Z"),
      ]),
    );
    expect(streaks).toEqual([
      {
        product_id: "p",
        environment_id: "prod",
        failed_at: Date.parse("2026-03-02T10:00:00.000Z"),
        restored_at: Date.parse("2026-03-02T11:00:00.000Z"),
      },
    ]);
  });

  it("keeps products and environments apart", () => {
    const streaks = restoreStreaks(
      columnsOf([
        deployment("a", "2026-03-02T10:00:00.000Z", { status: "failed" }),
        deployment("b", "2026-03-02T11:00:00.000Z", { environment_id: "eu" }),
        deployment("c", "2026-03-02T12:00:00.000Z"),
      ]),
    );
    expect(streaks.map((s) => s.restored_at)).toEqual([Date.parse("2026-03-02T12:00:00.000Z")]);
  });
});

describe("computeDora on a constructed two-week history", () => {
  // Window: Monday 2026-03-02 00:00 UTC to Monday 2026-03-16 00:00 UTC (end exclusive), weekly.
  const deployments = [
    deployment("d1", "2026-03-02T10:00:00.000Z", { committed_at: "2026-03-02T08:00:00.000Z" }),
    deployment("d2", "2026-03-03T10:00:00.000Z", {
      committed_at: "2026-03-02T10:00:00.000Z",
      rolled_back: true,
    }),
    // The rollback to d1's version: not its first time in production, so no lead time.
    deployment("d3", "2026-03-03T11:00:00.000Z", { first_in_environment: false }),
    deployment("d4", "2026-03-04T09:00:00.000Z", {
      status: "failed",
      committed_at: "2026-03-04T08:00:00.000Z",
    }),
    deployment("d5", "2026-03-04T10:30:00.000Z", { committed_at: "2026-03-04T10:00:00.000Z" }),
    // Commit time after the deployment (clock skew) counts as 0; linked to an incident.
    deployment("d6", "2026-03-10T12:00:00.000Z", {
      committed_at: "2026-03-10T12:30:00.000Z",
      incident_linked: true,
    }),
    deployment("d7", "2026-03-15T23:59:59.999Z"),
    deployment("d8", "2026-03-16T00:00:00.000Z", { committed_at: "2026-03-01T00:00:00.000Z" }),
  ];
  const incidents: DoraIncident[] = [
    { id: "i1", opened_at: "2026-03-10T12:10:00.000Z", resolved_at: "2026-03-10T14:10:00.000Z" },
    { id: "i2", opened_at: "2026-03-12T00:00:00.000Z", resolved_at: null },
    { id: "i0", opened_at: "2026-03-01T23:59:59.999Z", resolved_at: "2026-03-02T00:10:00.000Z" },
  ];
  const from = "2026-03-02T00:00:00.000Z";
  const to = "2026-03-16T00:00:00.000Z";
  const report = computeDora({
    from,
    to,
    bucket: "week",
    timeZone: "UTC",
    days: aggregateDays(columnsOf(deployments), from, to),
    incidents,
    streaks: restoreStreaks(columnsOf(deployments)),
  });

  it("deployment frequency: 6 completed on 5 UTC days; median 2.5 deployment days a week is 'high'", () => {
    expect(report.deployment_frequency).toEqual({
      deployments: 6,
      deployment_days: 5,
      per_day: 6 / 14,
      median_deployment_days_per_week: 2.5,
      median_deployment_days_per_month: 5,
      band: "high",
    });
  });

  it("lead time: samples 0, 1800, 7200, 86400 s → median 4500, p90 62640 ('high')", () => {
    expect(report.lead_time).toEqual({ count: 4, median_seconds: 4500, p90_seconds: 62640, band: "high" });
  });

  it("change failure rate: failed d4, rolled-back d2, incident-linked d6 over 7 finished → 3/7 ('low')", () => {
    expect(report.change_failure_rate).toEqual({
      deployments: 7,
      failures: 3,
      failed: 1,
      rolled_back: 1,
      incident_linked: 1,
      rate: 3 / 7,
      band: "low",
    });
  });

  it("time to restore: streaks 3600 and 5400 s, incident 7200 s; one incident unresolved", () => {
    expect(report.time_to_restore).toEqual({
      count: 3,
      median_seconds: 5400,
      p90_seconds: 6840,
      band: "high",
      deployments: { count: 2, median_seconds: 4500, p90_seconds: 5220 },
      incidents: { count: 1, median_seconds: 7200, p90_seconds: 7200 },
      unresolved: 1,
    });
  });

  it("per week, including the millisecond before the window ends", () => {
    expect(report.buckets).toEqual([
      {
        start: "2026-03-02T00:00:00.000Z",
        end: "2026-03-09T00:00:00.000Z",
        deployments: 4,
        deployment_days: 3,
        lead_time: { count: 3, median_seconds: 7200, p90_seconds: 70560 },
        change_failure: { deployments: 5, failures: 2, rate: 0.4 },
        time_to_restore: { count: 2, median_seconds: 4500, p90_seconds: 5220 },
      },
      {
        start: "2026-03-09T00:00:00.000Z",
        end: "2026-03-16T00:00:00.000Z",
        deployments: 2,
        deployment_days: 2,
        lead_time: { count: 1, median_seconds: 0, p90_seconds: 0 },
        change_failure: { deployments: 2, failures: 1, rate: 0.5 },
        time_to_restore: { count: 1, median_seconds: 7200, p90_seconds: 7200 },
      },
    ]);
  });

  it("an empty window: zero counts, null medians and bands, empty buckets", () => {
    const empty = computeDora({
      from: "2026-03-02T00:00:00.000Z",
      to: "2026-03-04T00:00:00.000Z",
      bucket: "day",
      timeZone: "UTC",
      days: [],
      incidents: [],
      streaks: [],
    });
    expect(empty.deployment_frequency).toMatchObject({
      deployments: 0,
      deployment_days: 0,
      per_day: 0,
      band: null,
    });
    expect(empty.lead_time).toEqual({ count: 0, median_seconds: null, p90_seconds: null, band: null });
    expect(empty.change_failure_rate).toMatchObject({ deployments: 0, rate: null, band: null });
    expect(empty.time_to_restore).toMatchObject({
      count: 0,
      median_seconds: null,
      band: null,
      unresolved: 0,
    });
    expect(empty.buckets.map((b) => [b.start, b.deployments, b.change_failure.rate])).toEqual([
      ["2026-03-02T00:00:00.000Z", 0, null],
      ["2026-03-03T00:00:00.000Z", 0, null],
    ]);
  });

  it("bands at their edges: a rate of exactly 5% is elite; one deployment day every week is high", () => {
    const twenty = Array.from({ length: 20 }, (_, i) =>
      deployment(`x${i}`, `2026-03-${String(2 + (i % 14)).padStart(2, "0")}T10:00:00.000Z`, {
        status: i === 0 ? "failed" : "completed",
      }),
    );
    const edge = computeDora({
      from: "2026-03-02T00:00:00.000Z",
      to: "2026-03-16T00:00:00.000Z",
      bucket: "week",
      timeZone: "UTC",
      days: aggregateDays(columnsOf(twenty), "2026-03-02T00:00:00.000Z", "2026-03-16T00:00:00.000Z"),
      incidents: [],
      streaks: [],
    });
    expect(edge.change_failure_rate).toMatchObject({ rate: 0.05, band: "elite" });
    const weekly = computeDora({
      from: "2026-03-02T00:00:00.000Z",
      to: "2026-03-16T00:00:00.000Z",
      bucket: "week",
      timeZone: "UTC",
      days: aggregateDays(
        columnsOf([
          deployment("w1", "2026-03-02T10:00:00.000Z"),
          deployment("w2", "2026-03-09T10:00:00.000Z"),
        ]),
        "2026-03-02T00:00:00.000Z",
        "2026-03-16T00:00:00.000Z",
      ),
      incidents: [],
      streaks: [],
    });
    expect(weekly.deployment_frequency).toMatchObject({ median_deployment_days_per_week: 1, band: "high" });
  });
});

// Europe/Paris moves from CET (+01:00) to CEST (+02:00) at 01:00 UTC on Sunday 2026-03-29. The
// window is two local weeks: Monday 2026-03-23 00:00 CET to Monday 2026-04-06 00:00 CEST.
describe("buckets in a time zone, across a DST change", () => {
  const from = "2026-03-22T23:00:00.000Z";
  const to = "2026-04-05T22:00:00.000Z";
  const history = [
    // Monday 00:00 local, the window's first instant (still Sunday in UTC).
    deployment("a", "2026-03-22T23:00:00.000Z", { committed_at: "2026-03-22T22:00:00.000Z" }),
    deployment("b", "2026-03-29T00:30:00.000Z"), // Sunday 01:30 CET
    deployment("c", "2026-03-29T21:59:59.999Z"), // Sunday 23:59:59.999 CEST: last instant of week 1
    deployment("d", "2026-03-29T22:00:00.000Z", { status: "failed" }), // Monday 00:00 CEST: week 2
    deployment("e", "2026-03-30T10:00:00.000Z"),
    deployment("f", "2026-04-05T21:59:59.999Z"), // Sunday 23:59:59.999: last instant of the window
    deployment("g", "2026-04-05T22:00:00.000Z"), // Monday 00:00: outside
  ];
  const report = (timeZone: string, bucket: "day" | "week" = "week") =>
    computeDora({
      from,
      to,
      bucket,
      timeZone,
      days: aggregateDays(columnsOf(history), from, to, timeZone),
      incidents: [],
      streaks: restoreStreaks(columnsOf(history)),
    });

  it("weeks start at local Monday midnight: 3 | 2 deployments, not UTC's 1 | 2 | 2", () => {
    const paris = report("Europe/Paris");
    expect(paris.buckets.map((b) => [b.start, b.end, b.deployments, b.deployment_days])).toEqual([
      ["2026-03-22T23:00:00.000Z", "2026-03-29T22:00:00.000Z", 3, 2],
      ["2026-03-29T22:00:00.000Z", "2026-04-05T22:00:00.000Z", 2, 2],
    ]);
    expect(paris.buckets.map((b) => b.change_failure)).toEqual([
      { deployments: 3, failures: 0, rate: 0 },
      { deployments: 3, failures: 1, rate: 1 / 3 },
    ]);
    // d (22:00 UTC) → e (10:00 UTC): 12 h, in week 2; a's lead time, 1 h, in week 1.
    expect(paris.buckets.map((b) => [b.time_to_restore.count, b.time_to_restore.median_seconds])).toEqual([
      [0, null],
      [1, 43_200],
    ]);
    expect(paris.buckets[0]?.lead_time).toEqual({ count: 1, median_seconds: 3600, p90_seconds: 3600 });
    const utc = report("UTC");
    expect(utc.buckets.map((b) => [b.start, b.deployments, b.deployment_days])).toEqual([
      ["2026-03-16T00:00:00.000Z", 1, 1],
      ["2026-03-23T00:00:00.000Z", 2, 1],
      ["2026-03-30T00:00:00.000Z", 2, 2],
    ]);
  });

  it("deployment days are local: 03-23, 03-29, 03-30, 04-05; medians 2 a week and 2 a month", () => {
    expect(report("Europe/Paris").deployment_frequency).toEqual({
      deployments: 5,
      deployment_days: 4,
      // The window is 14 days less the hour DST took: 335 hours.
      per_day: 5 / (335 / 24),
      median_deployment_days_per_week: 2,
      // March (03-23, 03-29, 03-30) and April (04-05): 3 and 1.
      median_deployment_days_per_month: 2,
      band: "high",
    });
  });

  it("the day of the change lasts 23 hours", () => {
    const days = report("Europe/Paris", "day").buckets;
    expect(days).toHaveLength(14);
    expect(days[6]).toMatchObject({
      start: "2026-03-28T23:00:00.000Z",
      end: "2026-03-29T22:00:00.000Z",
      deployments: 2,
      deployment_days: 1,
    });
    expect(days[7]).toMatchObject({ start: "2026-03-29T22:00:00.000Z", deployments: 1 });
  });

  it("bucketStart follows the zone", () => {
    expect(bucketStart("2026-03-29T21:59:59.999Z", "week", "Europe/Paris")).toBe("2026-03-22T23:00:00.000Z");
    expect(bucketStart("2026-03-29T22:00:00.000Z", "week", "Europe/Paris")).toBe("2026-03-29T22:00:00.000Z");
    expect(bucketStart("2026-04-15T12:00:00.000Z", "month", "Europe/Paris")).toBe("2026-03-31T22:00:00.000Z");
  });
});
