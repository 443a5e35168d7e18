import { type LoopbackServer, sendJson, startLoopbackServer } from "@versioner/client/testing";
import type { DoraMetrics, EnvironmentDiff } from "@versioner/schema";
import { afterEach, describe, expect, it } from "vitest";
import { parseCommandLine } from "./command-line.ts";
import { formatDiffTable, formatDoraTable, formatDuration } from "./insight-tables.ts";
import { run } from "./run.ts";

const diff: EnvironmentDiff = {
  a: { id: "e1", name: "staging", type: "staging" },
  b: { id: "e2", name: "production", type: "production" },
  items: [
    {
      product_id: "p1",
      product_name: "api",
      status: "differs",
      a: {
        version: "1.10",
        version_id: "v2",
        scm_sha: "bbbbbbbbbb",
        deployment_id: "d2",
        deployed_at: "t",
        first_deployed_at: "t",
      },
      b: {
        version: "1.9",
        version_id: "v1",
        scm_sha: "aaaaaaaaaa",
        deployment_id: "d1",
        deployed_at: "t",
        first_deployed_at: "t",
      },
      ahead: "a",
      compare_url: "https://github.com/acme/api/compare/aaaaaaaaaa...bbbbbbbbbb",
    },
    {
      product_id: "p2",
      product_name: "legacy",
      status: "only_in_b",
      a: null,
      b: {
        version: "0.1",
        version_id: "v3",
        scm_sha: null,
        deployment_id: "d3",
        deployed_at: "t",
        first_deployed_at: "t",
      },
      ahead: null,
      compare_url: null,
    },
  ],
  summary: { differs: 1, only_in_a: 0, only_in_b: 1, same: 3 },
};

const summary = (median: number | null) => ({
  count: median === null ? 0 : 2,
  median_seconds: median,
  p90_seconds: median,
});
const metrics: DoraMetrics = {
  window: { from: "2026-03-02T00:00:00.000Z", to: "2026-03-16T00:00:00.000Z", bucket: "week", tz: "UTC" },
  environments: [{ id: "e2", name: "production" }],
  filters: { product: "api", team: null },
  deployment_frequency: {
    deployments: 6,
    deployment_days: 5,
    per_day: 6 / 14,
    median_deployment_days_per_week: 2.5,
    median_deployment_days_per_month: 5,
    band: "high",
  },
  lead_time: { count: 4, median_seconds: 4500, p90_seconds: 62640, band: "high" },
  change_failure_rate: {
    deployments: 7,
    failures: 3,
    failed: 1,
    rolled_back: 1,
    incident_linked: 1,
    rate: 3 / 7,
    band: "low",
  },
  time_to_restore: {
    count: 3,
    median_seconds: 5400,
    p90_seconds: 6840,
    band: "high",
    deployments: summary(4500),
    incidents: summary(7200),
    unresolved: 1,
  },
  buckets: [
    {
      start: "2026-03-02T00:00:00.000Z",
      end: "2026-03-09T00:00:00.000Z",
      deployments: 4,
      deployment_days: 3,
      lead_time: summary(7200),
      change_failure: { deployments: 5, failures: 2, rate: 0.4 },
      time_to_restore: summary(4500),
    },
    {
      start: "2026-03-09T00:00:00.000Z",
      end: "2026-03-16T00:00:00.000Z",
      deployments: 0,
      deployment_days: 0,
      lead_time: summary(null),
      change_failure: { deployments: 0, failures: 0, rate: null },
      time_to_restore: summary(null),
    },
  ],
};

describe("insight tables", () => {
  it("diff: one aligned row per product, short SHAs, the side ahead, then the counts", () => {
    expect(formatDiffTable(diff)).toBe(
      [
        "PRODUCT  STAGING         PRODUCTION     AHEAD    COMPARE",
        "api      1.10 (bbbbbbb)  1.9 (aaaaaaa)  staging  https://github.com/acme/api/compare/aaaaaaaaaa...bbbbbbbbbb",
        "legacy   -               0.1            -",
        "",
        "1 differ, 0 only in staging, 1 only in production, 3 the same",
        "",
      ].join("\n"),
    );
    expect(formatDiffTable({ ...diff, items: [] })).toMatch(/^No differences between staging and production/);
  });

  it("durations keep the two largest units", () => {
    expect([42, 1020, 4500, 62640, 190000, null].map(formatDuration)).toEqual([
      "42s",
      "17m",
      "1h 15m",
      "17h 24m",
      "2d 4h",
      "-",
    ]);
  });

  it("metrics: the four keys with their bands, then the series", () => {
    const text = formatDoraTable(metrics);
    expect(text).toContain(
      "DORA metrics for api in production, 2026-03-02T00:00:00.000Z to 2026-03-16T00:00:00.000Z, buckets in UTC",
    );
    expect(text).toMatch(/Deployment frequency\s+6 deployments on 5 days \(0\.43\/day\)\s+high/);
    expect(text).toMatch(/Lead time for changes\s+median 1h 15m, p90 17h 24m \(4 deployments\)\s+high/);
    expect(text).toMatch(
      /Change failure rate\s+42\.9% \(3 of 7: 1 failed, 1 rolled back, 1 with an incident\)\s+low/,
    );
    expect(text).toMatch(/Time to restore\s+median 1h 30m, p90 1h 54m \(3 restored, 1 unresolved\)\s+high/);
    expect(text).toMatch(
      /WEEK\s+DEPLOYS\s+DAYS\s+LEAD p50\s+CFR\s+RESTORE p50\n2026-03-02\s+4\s+3\s+2h 0m\s+40\.0%\s+1h 15m\n2026-03-09\s+0\s+0\s+-\s+-\s+-\n$/,
    );
  });

  it("metrics: a bucket is labelled with its local date in the query's zone", () => {
    // Paris weeks start at 23:00 UTC on Sunday (CET, +01:00): the label is the local Monday.
    const paris: DoraMetrics = {
      ...metrics,
      window: {
        ...metrics.window,
        from: "2026-03-01T23:00:00.000Z",
        to: "2026-03-15T23:00:00.000Z",
        tz: "Europe/Paris",
      },
      buckets: metrics.buckets.map((bucket, i) => ({
        ...bucket,
        start: ["2026-03-01T23:00:00.000Z", "2026-03-08T23:00:00.000Z"][i] as string,
        end: ["2026-03-08T23:00:00.000Z", "2026-03-15T23:00:00.000Z"][i] as string,
      })),
    };
    const text = formatDoraTable(paris);
    expect(text).toContain("buckets in Europe/Paris");
    expect(text).toMatch(/\n2026-03-02\s+4\s+3\s.*\n2026-03-09\s+0\s+0\s/);
  });
});

describe("versioner diff and metrics (in-process)", () => {
  let server: LoopbackServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function invoke(argv: string[], body: unknown) {
    server = await startLoopbackServer((_req, res) => sendJson(res, 200, body));
    let stdout = "";
    const code = await run(argv, {
      env: { VERSIONER_API_URL: server.url },
      stdout: (text) => {
        stdout += text;
      },
      stderr: () => {},
    });
    return { code, stdout, paths: server.requests.map((r) => r.url) };
  }

  it("diff asks the collector for the two environments with the filters", async () => {
    const result = await invoke(["diff", "staging", "prod eu", "--team", "core", "--json"], diff);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(diff);
    expect(result.paths).toEqual(["/environments/staging/diff/prod%20eu?team=core"]);
  });

  it("metrics passes product, environment, window, bucket and time zone", async () => {
    const result = await invoke(
      [
        "metrics",
        "--product",
        "api",
        "--environment",
        "production",
        "--from",
        "2026-03-02T00:00:00Z",
        "--bucket",
        "day",
        "--tz",
        "Europe/Paris",
      ],
      metrics,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Deployment frequency");
    expect(result.paths).toEqual([
      "/metrics/dora?product=api&environment=production&from=2026-03-02T00%3A00%3A00Z&bucket=day&tz=Europe%2FParis",
    ]);
  });

  it("diff needs exactly two environments; metrics takes no positional argument", () => {
    expect(() => parseCommandLine(["diff", "staging"])).toThrow(
      /versioner diff <environment-a> <environment-b>/,
    );
    expect(() => parseCommandLine(["metrics", "x"])).toThrow(/Unknown command/);
    expect(() => parseCommandLine(["diff", "a", "b", "--bucket", "day"])).toThrow(/--bucket does not apply/);
  });
});
