import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ciFreeEnv } from "../support/ci-free-env.ts";
import { api, CLI_ENTRY, type RunningCollector, startCollector } from "../support/collector.ts";

const run = promisify(execFile);
let collector: RunningCollector;

async function deploy(version: string, environment: string, completedAt: string, run: string) {
  const res = await api(collector, "POST", "/deployment-events/", {
    product_name: "insight-svc",
    version,
    environment_name: environment,
    status: "completed",
    invoke_id: run,
    completed_at: completedAt,
    scm_committed_at: "2026-03-02T08:00:00Z",
    scm_sha: `${version.replaceAll(".", "")}aaaaaaa`,
    scm_repository: "https://github.com/acme/insight-svc",
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.deployment_id as string;
}

function cli(...args: string[]) {
  return run(process.execPath, [CLI_ENTRY, ...args], {
    env: { ...ciFreeEnv(), VERSIONER_API_URL: collector.url, VERSIONER_API_KEY: collector.token },
  });
}

describe("insight through the real collector and the built CLI", () => {
  beforeAll(async () => {
    expect(existsSync(CLI_ENTRY), "build the CLI first (npm run build)").toBe(true);
    collector = await startCollector();
    await deploy("1.9", "staging", "2026-03-02T09:00:00Z", "r1");
    await deploy("1.9", "production", "2026-03-02T10:00:00Z", "r2");
    await deploy("1.10", "staging", "2026-03-03T09:00:00Z", "r3");
    await deploy("1.10", "production", "2026-03-03T10:00:00Z", "r4");
    await deploy("1.9", "production", "2026-03-03T11:00:00Z", "r5");
  });
  afterAll(async () => {
    await collector.stop();
  });

  it("versioner diff prints what differs, the side ahead and the compare link", async () => {
    const { stdout } = await cli("diff", "staging", "production");
    expect(stdout).toMatch(
      /insight-svc\s+1\.10 \(110aaaa\)\s+1\.9 \(19aaaaa\)\s+staging\s+https:\/\/github\.com\/acme\/insight-svc\/compare\/19aaaaaaa\.\.\.110aaaaaaa/,
    );
    expect(stdout).toContain("1 differ, 0 only in staging, 0 only in production, 0 the same");
  });

  it("the return to 1.9 in production is a rollback, shown in /deployments and /state", async () => {
    const list = await api(collector, "GET", "/deployments?product=insight-svc&environment=production");
    expect(
      list.body.items.map((d: { version: string; is_rollback: boolean; rolled_back: boolean }) => [
        d.version,
        d.is_rollback,
        d.rolled_back,
      ]),
    ).toEqual([
      ["1.9", true, false],
      ["1.10", false, true],
      ["1.9", false, false],
    ]);
    const state = await api(collector, "GET", "/state");
    const cell = state.body.products[0].cells.find(
      (c: { environment_name: string }) => c.environment_name === "production",
    );
    expect(cell.current).toMatchObject({ version: "1.9", rolled_back_from: "1.10" });
  });

  it("versioner metrics prints the four keys", async () => {
    const { stdout } = await cli(
      "metrics",
      "--product",
      "insight-svc",
      "--from",
      "2026-03-02T00:00:00Z",
      "--to",
      "2026-03-09T00:00:00Z",
    );
    expect(stdout).toMatch(/Deployment frequency\s+3 deployments on 2 days/);
    // 1.9: 2 h, 1.10: 26 h; the rollback carries old code and is no sample.
    expect(stdout).toMatch(/Lead time for changes\s+median 14h 0m, p90 23h 36m \(2 deployments\)/);
    expect(stdout).toMatch(
      /Change failure rate\s+33\.3% \(1 of 3: 0 failed, 1 rolled back, 0 with an incident\)/,
    );
    expect(stdout).toMatch(/Time to restore\s+median 1h 0m/);
  });
});
