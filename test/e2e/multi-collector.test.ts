import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type RunningCollector, startCollector } from "../support/collector.ts";
import { type RunningSqld, SQLD_AVAILABLE, startSqld } from "../support/sqld.ts";

/**
 * Several collector processes on one database, on a local file and on a libSQL server: whatever
 * reaches them at the same moment must end as it would on one collector.
 */
const COLLECTORS = 3;
const engines = SQLD_AVAILABLE ? (["file", "sqld"] as const) : (["file"] as const);

describe.each(engines)("%s: three collectors on one database", (engine) => {
  let sqld: RunningSqld | undefined;
  let dir: string | undefined;
  let collectors: RunningCollector[] = [];
  let started = 0;

  beforeAll(async () => {
    let databaseUrl: string;
    if (engine === "sqld") {
      sqld = await startSqld();
      databaseUrl = sqld.url;
    } else {
      dir = mkdtempSync(join(tmpdir(), "versioner-multi-"));
      databaseUrl = `file:${join(dir, "versioner.db")}`;
    }
    // Every collector on one database seals secrets with the same key.
    const env = { DATABASE_URL: databaseUrl, VERSIONER_SECRET_KEY: randomBytes(32).toString("hex") };
    const opened = await Promise.allSettled(
      Array.from({ length: COLLECTORS }, () => startCollector({ env, token: "multi-admin-token" })),
    );
    collectors = opened.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
    started = collectors.length;
    for (const o of opened) if (o.status === "rejected") console.error(String(o.reason));
  });

  afterAll(async () => {
    await Promise.all(collectors.map((c) => c.stop()));
    await sqld?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let n = 0;
  const name = (prefix: string) => `${prefix}-${engine}-${++n}`;
  const all = <T>(send: (c: RunningCollector) => Promise<T>) => Promise.all(collectors.map(send));

  it("all start at once on the empty database (migrations and bootstrap run once)", () => {
    expect(started).toBe(COLLECTORS);
  });

  it("one product name created on all at once: one 201, the others 409", async () => {
    const product = name("race");
    const statuses = await all((c) => api(c, "POST", "/products", { name: product }).then((r) => r.status));
    expect(statuses.sort()).toEqual([201, 409, 409]);
  });

  it("the same event without a key sent to all at once records one deployment", async () => {
    const product = name("same-event");
    const event = {
      product_name: product,
      version: "1.0.0",
      environment_name: "production",
      status: "success",
    };
    const results = await all((c) => api(c, "POST", "/deployment-events/", event));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    const listed = await api(collectors[0] as RunningCollector, "GET", `/deployments?product=${product}`);
    expect(listed.body.items).toHaveLength(1);
  });

  it("started and success of one invoke_id split across collectors make one successful deployment", async () => {
    const product = name("split");
    const base = { product_name: product, version: "2.0.0", environment_name: "staging", invoke_id: "run-7" };
    const [a, b] = collectors as [RunningCollector, RunningCollector];
    const [first, second] = await Promise.all([
      api(a, "POST", "/deployment-events/", { ...base, status: "started" }),
      api(b, "POST", "/deployment-events/", { ...base, status: "success" }),
    ]);
    expect([first.status, second.status]).toEqual([200, 200]);
    const listed = await api(a, "GET", `/deployments?product=${product}`);
    expect(listed.body.items).toHaveLength(1);
    expect(listed.body.items[0].status).toBe("completed");
  });
});
