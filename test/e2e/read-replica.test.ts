import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type RunningCollector, startCollector } from "../support/collector.ts";
import { type RunningSqld, SQLD_AVAILABLE, startSqld } from "../support/sqld.ts";
import { waitFor } from "../support/wait-for.ts";

/**
 * A collector on an embedded replica of a libSQL server (DATABASE_SYNC_URL) beside one on the
 * server itself: the replica's own writes are visible to its very next read, the other's after its
 * next pull, and what either records lands once on the server.
 */
describe.runIf(SQLD_AVAILABLE)("a collector reading through an embedded replica", () => {
  let sqld: RunningSqld;
  let dir: string;
  let primary: RunningCollector;
  let replica: RunningCollector;
  let n = 0;
  const name = (prefix: string) => `${prefix}-${++n}-${randomBytes(3).toString("hex")}`;

  beforeAll(async () => {
    sqld = await startSqld();
    dir = mkdtempSync(join(tmpdir(), "versioner-replica-"));
    const key = randomBytes(32).toString("hex");
    const token = "replica-admin-token";
    primary = await startCollector({ token, env: { DATABASE_URL: sqld.url, VERSIONER_SECRET_KEY: key } });
    // A long interval: whatever the replica shows of the other collector's writes before it passes
    // came from a pull its own write caused, never from the timer.
    replica = await startCollector({
      token,
      env: {
        DATABASE_URL: `file:${join(dir, "replica.db")}`,
        DATABASE_SYNC_URL: sqld.url,
        DATABASE_SYNC_INTERVAL_SECONDS: "2",
        VERSIONER_SECRET_KEY: key,
      },
    });
  });

  afterAll(async () => {
    await Promise.all([primary?.stop(), replica?.stop()]);
    await sqld?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("starts on the server's schema and sees what was there before it", async () => {
    const health = await api(replica, "GET", "/health");
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: "ok", database: "ok" });
    // The admin token was bootstrapped by the first collector: the replica authenticates with it.
    expect((await api(replica, "GET", "/products")).status).toBe(200);
  });

  it("reads its own writes at once: a product it creates, then a deployment it records", async () => {
    const product = name("own");
    expect((await api(replica, "POST", "/products", { name: product })).status).toBe(201);
    expect((await api(replica, "GET", `/products/${product}`)).status).toBe(200);
    const event = {
      product_name: product,
      version: "1.2.3",
      environment_name: "production",
      status: "success",
    };
    const recorded = await api(replica, "POST", "/deployment-events/", event);
    expect(recorded.status, JSON.stringify(recorded.body)).toBe(200);
    const state = await api(replica, "GET", `/state?product=${product}`);
    expect(JSON.stringify(state.body)).toContain("1.2.3");
    const listed = await api(replica, "GET", `/deployments?product=${product}`);
    expect(listed.body.items.map((d: { id: string }) => d.id)).toEqual([recorded.body.deployment_id]);
    // Written to the server, not only to the replica's file.
    expect((await api(primary, "GET", `/deployments?product=${product}`)).body.items).toHaveLength(1);
  });

  it("sees the other collector's writes after its next pull", async () => {
    const product = name("theirs");
    expect((await api(primary, "POST", "/products", { name: product })).status).toBe(201);
    await waitFor(
      "the replica to pull the product",
      async () => (await api(replica, "GET", `/products/${product}`)).status === 200,
      10_000,
    );
  });

  it("a name taken on the server is refused on the replica with 409, even before the pull", async () => {
    const product = name("taken");
    expect((await api(primary, "POST", "/products", { name: product })).status).toBe(201);
    const again = await api(replica, "POST", "/products", { name: product });
    expect(again.status, JSON.stringify(again.body)).toBe(409);
  });

  it("started and success of one invoke_id split across the two make one successful deployment", async () => {
    const product = name("split");
    const base = { product_name: product, version: "2.0.0", environment_name: "staging", invoke_id: "run-1" };
    const started = await api(primary, "POST", "/deployment-events/", { ...base, status: "started" });
    expect(started.status).toBe(200);
    const finished = await api(replica, "POST", "/deployment-events/", { ...base, status: "success" });
    expect(finished.status, JSON.stringify(finished.body)).toBe(200);
    expect(finished.body.deployment_id).toBe(started.body.deployment_id);
    const listed = await api(primary, "GET", `/deployments?product=${product}`);
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0].status).toBe("completed");
  });

  it("the same event without a key sent to both at once records one deployment", async () => {
    const product = name("same");
    // The product exists on both first, so each plans against the same rows and only one may add.
    expect((await api(replica, "POST", "/products", { name: product })).status).toBe(201);
    const event = {
      product_name: product,
      version: "3.0.0",
      environment_name: "production",
      status: "success",
    };
    for (let round = 0; round < 3; round++) {
      const sent = { ...event, version: `3.0.${round}` };
      const results = await Promise.all(
        [primary, replica].map((c) => api(c, "POST", "/deployment-events/", sent)),
      );
      expect(results.map((r) => r.status)).toEqual([200, 200]);
      expect(new Set(results.map((r) => r.body.deployment_id)).size).toBe(1);
    }
    const listed = await api(primary, "GET", `/deployments?product=${product}`);
    expect(listed.body.items).toHaveLength(3);
  });

  // Last: it stops the server.
  it("with the server gone, reads still answer from the replica and writes answer 503", async () => {
    await sqld.stop();
    const listed = await api(replica, "GET", "/products");
    expect(listed.status).toBe(200);
    const refused = await api(replica, "POST", "/products", { name: name("offline") });
    expect(refused.status, JSON.stringify(refused.body)).toBe(503);
    expect(refused.body.code).toBe("DATABASE_UNAVAILABLE");
    expect(refused.headers.get("retry-after")).toBeTruthy();
  });
});
