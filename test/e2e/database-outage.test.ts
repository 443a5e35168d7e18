import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type RunningCollector, startCollector } from "../support/collector.ts";
import { type RunningSqld, SQLD_AVAILABLE, startSqld } from "../support/sqld.ts";
import { waitFor } from "../support/wait-for.ts";

/**
 * The collector on a libSQL server that freezes (SIGSTOP) and then dies: clients get a 503 they
 * retry instead of a 500 or a hang, /health keeps answering, and the outage is logged once.
 */
describe.skipIf(!SQLD_AVAILABLE)("a libSQL server that freezes, comes back and dies", () => {
  let sqld: RunningSqld;
  let collector: RunningCollector;
  beforeAll(async () => {
    sqld = await startSqld();
    collector = await startCollector({
      env: {
        DATABASE_URL: sqld.url,
        VERSIONER_SECRET_KEY: randomBytes(32).toString("hex"),
        VERSIONER_DATABASE_TIMEOUT_MS: "1000",
      },
    });
  });
  afterAll(async () => {
    if (sqld.process.exitCode === null) sqld.process.kill("SIGCONT");
    await collector?.stop();
    await sqld?.stop();
  });

  const event = (version: string) => ({
    product_name: "outage",
    version,
    environment_name: "production",
    status: "success",
  });
  /** /health must answer even when the database does not: a hung probe is a failed test. */
  const health = () => fetch(`${collector.url}/health`, { signal: AbortSignal.timeout(5_000) });
  const outageLines = () =>
    collector
      .output()
      .split("\n")
      .filter((l) => l.includes("database unavailable"));

  it("records while the server answers", async () => {
    expect((await api(collector, "POST", "/deployment-events/", event("1.0.0"))).status).toBe(200);
    expect((await health()).status).toBe(200);
  });

  it("a frozen server: 503 DATABASE_UNAVAILABLE with Retry-After, /health says unreachable, one log line", async () => {
    sqld.process.kill("SIGSTOP");
    const res = await api(collector, "POST", "/deployment-events/", event("2.0.0"));
    expect(res.status).toBe(503);
    expect(res.body.code).toBe("DATABASE_UNAVAILABLE");
    expect(res.headers.get("retry-after")).toBe("5");
    const probe = await health();
    expect(probe.status).toBe(503);
    expect(await probe.json()).toMatchObject({ status: "degraded", database: "unreachable" });
    const more = await Promise.all(
      Array.from({ length: 10 }, () => api(collector, "GET", "/products").then((r) => r.status)),
    );
    expect(more).toEqual(Array.from({ length: 10 }, () => 503));
    expect(outageLines()).toHaveLength(1);
    // What the log says names the failure, never a query's bound values (a token hash is one).
    expect(collector.output()).not.toMatch(/params:/);
  });

  it("the server back: /health recovers, the recovery is logged once, and events are recorded again", async () => {
    sqld.process.kill("SIGCONT");
    await waitFor("/health to recover", async () => (await health()).status === 200);
    await waitFor("the recovery line", () => collector.output().includes("database available again"));
    expect((await api(collector, "POST", "/deployment-events/", event("2.0.0"))).status).toBe(200);
    const state = await api(collector, "GET", "/deployments?product=outage");
    expect(state.body.items.map((d: { version: string }) => d.version).sort()).toEqual(["1.0.0", "2.0.0"]);
  });

  it("a dead server: 503 at once, not 500", async () => {
    sqld.process.kill("SIGKILL");
    await waitFor("sqld to exit", () => sqld.process.exitCode !== null || sqld.process.signalCode !== null);
    const res = await api(collector, "POST", "/deployment-events/", event("3.0.0"));
    expect(res.status).toBe(503);
    expect(res.body.code).toBe("DATABASE_UNAVAILABLE");
    expect((await health()).status).toBe(503);
    expect(outageLines()).toHaveLength(2);
  });
});
