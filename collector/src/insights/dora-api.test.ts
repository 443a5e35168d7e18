import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

let t: TestApp;
let product: string;
const ids: Record<string, string> = {};

async function deploy(
  name: string,
  version: string,
  status: string,
  completedAt: string,
  environment = "dora-prod",
) {
  const res = await t.call("POST", "/deployment-events/", {
    product_name: product,
    version,
    environment_name: environment,
    status,
    invoke_id: unique("run"),
    completed_at: completedAt,
    scm_committed_at: `${completedAt.slice(0, 10)}T08:00:00Z`,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  ids[name] = res.body.deployment_id;
}

beforeAll(async () => {
  t = await createTestApp();
  product = unique("dora");
  await t.call("POST", "/products", { name: product, extra_metadata: { team: "dora-team" } });
  // Lead time: every commit at 08:00 UTC of its deployment day.
  await deploy("a", "1.0", "completed", "2026-03-02T10:00:00Z"); // lead 2 h
  await deploy("b", "1.1", "completed", "2026-03-03T12:00:00Z"); // lead 4 h, rolled back by c
  await deploy("c", "1.0", "completed", "2026-03-03T13:00:00Z"); // rollback: no lead time
  await deploy("d", "1.2", "failed", "2026-03-04T09:00:00Z");
  await deploy("e", "1.2", "completed", "2026-03-04T09:30:00Z"); // lead 1.5 h
  await deploy("s", "1.3", "completed", "2026-03-04T10:00:00Z", "dora-staging"); // not production
});
afterAll(() => t.close());

const query = (extra = "") =>
  `/metrics/dora?product=${product}&from=2026-03-02T00:00:00Z&to=2026-03-09T00:00:00Z&bucket=day${extra}`;

describe("GET /metrics/dora", () => {
  it("measures the production environments by type, with hand-computed values", async () => {
    const res = await t.call("GET", query());
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const body = res.body;
    expect(body.environments.map((e: { name: string }) => e.name)).toEqual(["dora-prod"]);
    expect(body.deployment_frequency).toMatchObject({ deployments: 4, deployment_days: 3 });
    // Samples 5400, 7200, 14400 s.
    expect(body.lead_time).toMatchObject({ count: 3, median_seconds: 7200, p90_seconds: 12960 });
    // Failed d and rolled-back b over a, b, c, d, e.
    expect(body.change_failure_rate).toMatchObject({
      deployments: 5,
      failures: 2,
      failed: 1,
      rolled_back: 1,
      rate: 0.4,
    });
    // b (12:00) → c (13:00): 3600 s; d (09:00) → e (09:30): 1800 s.
    expect(body.time_to_restore).toMatchObject({ count: 2, median_seconds: 2700, unresolved: 0 });
    expect(body.buckets).toHaveLength(7);
    expect(body.buckets[1]).toMatchObject({
      start: "2026-03-03T00:00:00.000Z",
      deployments: 2,
      deployment_days: 1,
    });
  });

  it("puts buckets at local midnight of `tz`: at +14:00 the five deployments fall on 2 days, not 3", async () => {
    // Pacific/Kiritimati is UTC+14 all year: a (03-02 10:00Z) is 03-03 00:00 local; b, c, d, e
    // (03-03 12:00Z … 03-04 09:30Z) are all on 03-04 local. The window 03-02 14:00 → 03-09 14:00
    // local touches 8 local days, the first starting 03-02 00:00 local = 03-01 10:00Z.
    const res = await t.call("GET", query("&tz=Pacific/Kiritimati"));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.window).toMatchObject({ bucket: "day", tz: "Pacific/Kiritimati" });
    expect(res.body.deployment_frequency).toMatchObject({ deployments: 4, deployment_days: 2 });
    expect(res.body.buckets).toHaveLength(8);
    expect(
      res.body.buckets
        .slice(0, 3)
        .map((b: { start: string; deployments: number; change_failure: { deployments: number } }) => [
          b.start,
          b.deployments,
          b.change_failure.deployments,
        ]),
    ).toEqual([
      ["2026-03-01T10:00:00.000Z", 0, 0],
      ["2026-03-02T10:00:00.000Z", 1, 1],
      ["2026-03-03T10:00:00.000Z", 3, 4],
    ]);
    const utc = await t.call("GET", query());
    expect(utc.body.window.tz).toBe("UTC");
    expect(utc.body.deployment_frequency).toMatchObject({ deployments: 4, deployment_days: 3 });
  });

  it("counts an incident linked to a deployment as a change failure and its resolution as a restore", async () => {
    const created = await t.call("POST", "/incidents", {
      title: "Checkout errors",
      deployment_id: ids.e,
      opened_at: "2026-03-05T10:00:00Z",
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      product_name: product,
      environment_name: "dora-prod",
      status: "open",
    });
    let body = (await t.call("GET", query())).body;
    expect(body.change_failure_rate).toMatchObject({ failures: 3, incident_linked: 1 });
    expect(body.time_to_restore).toMatchObject({ count: 2, unresolved: 1 });
    const resolved = await t.call("PATCH", `/incidents/${created.body.id}`, {
      resolved_at: "2026-03-05T12:00:00Z",
    });
    expect(resolved.body.status).toBe("resolved");
    body = (await t.call("GET", query())).body;
    expect(body.time_to_restore).toMatchObject({
      count: 3,
      median_seconds: 3600,
      incidents: { count: 1, median_seconds: 7200 },
      unresolved: 0,
    });
  });

  it("finds a restore after the window's end", async () => {
    const res = await t.call(
      "GET",
      `/metrics/dora?product=${product}&from=2026-03-03T12:30:00Z&to=2026-03-04T09:15:00Z`,
    );
    // Only d (failed 09:00) falls in the window; e restores it at 09:30, after `to`.
    expect(res.body.time_to_restore.deployments).toMatchObject({ count: 1, median_seconds: 1800 });
  });

  it("takes an explicit environment list, a team, and the configured production list", async () => {
    const staging = await t.call("GET", query("&environment=dora-staging"));
    expect(staging.body.deployment_frequency.deployments).toBe(1);
    const team = await t.call(
      "GET",
      `/metrics/dora?team=dora-team&from=2026-03-02T00:00:00Z&to=2026-03-09T00:00:00Z`,
    );
    expect(team.body.deployment_frequency.deployments).toBe(4);
    const other = await t.call(
      "GET",
      `/metrics/dora?team=nobody&from=2026-03-02T00:00:00Z&to=2026-03-09T00:00:00Z`,
    );
    expect(other.body.deployment_frequency).toMatchObject({ deployments: 0, band: null });
    const configured = await createTestApp({ VERSIONER_DORA_ENVIRONMENTS: "live-eu, live-us" });
    try {
      for (const environment of ["live-eu", "live-us", "prod"]) {
        await configured.call("POST", "/deployment-events/", {
          product_name: "p",
          version: environment,
          environment_name: environment,
          status: "completed",
          completed_at: "2026-03-02T10:00:00Z",
        });
      }
      const res = await configured.call(
        "GET",
        "/metrics/dora?from=2026-03-02T00:00:00Z&to=2026-03-03T00:00:00Z",
      );
      expect(res.body.environments.map((e: { name: string }) => e.name).sort()).toEqual([
        "live-eu",
        "live-us",
      ]);
      expect(res.body.deployment_frequency.deployments).toBe(2);
    } finally {
      configured.close();
    }
  });

  it("rejects a window that ends before it starts, too many buckets, unknown names", async () => {
    const backwards = await t.call("GET", "/metrics/dora?from=2026-03-09T00:00:00Z&to=2026-03-02T00:00:00Z");
    expect(backwards.status).toBe(422);
    expect(backwards.body.detail[0].loc).toEqual(["query", "from"]);
    const long = await t.call(
      "GET",
      "/metrics/dora?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&bucket=day",
    );
    expect(long.body.detail[0].loc).toEqual(["query", "bucket"]);
    const env = await t.call("GET", "/metrics/dora?environment=nowhere");
    expect(env.body.detail[0].loc).toEqual(["query", "environment"]);
    expect((await t.call("GET", "/metrics/dora?product=nothing-here")).status).toBe(404);
    expect((await t.call("GET", "/metrics/dora?bucket=year")).status).toBe(422);
    const zone = await t.call("GET", "/metrics/dora?tz=Mars/Olympus_Mons");
    expect(zone.status).toBe(422);
    expect(zone.body.detail[0].loc).toEqual(["query", "tz"]);
    // A name the runtime knows in another case is answered in its canonical spelling.
    const lower = await t.call("GET", "/metrics/dora?tz=europe/paris");
    expect(lower.status).toBe(200);
    expect(lower.body.window.tz).toBe("Europe/Paris");
  });
});

describe("incidents", () => {
  it("needs a product and environment, or a deployment to take them from", async () => {
    const res = await t.call("POST", "/incidents", { title: "x" });
    expect(res.status).toBe(422);
    expect(res.body.detail[0].loc).toEqual(["body", "product"]);
    const unknown = await t.call("POST", "/incidents", { title: "x", product, environment: "nowhere" });
    expect(unknown.body.detail[0].loc).toEqual(["body", "environment"]);
    const mismatch = await t.call("POST", "/incidents", {
      title: "x",
      product,
      environment: "dora-staging",
      deployment_id: ids.a,
    });
    expect(mismatch.body.detail[0]).toMatchObject({
      loc: ["body", "deployment_id"],
      msg: "belongs to another environment",
    });
  });

  it("refuses a resolution before the opening, and writes nothing", async () => {
    const before = (await t.call("GET", `/incidents?product=${product}`)).body.items.length;
    const res = await t.call("POST", "/incidents", {
      title: "x",
      product,
      environment: "dora-prod",
      opened_at: "2026-03-05T10:00:00Z",
      resolved_at: "2026-03-05T09:00:00Z",
    });
    expect(res.status).toBe(422);
    expect(res.body.detail[0].loc).toEqual(["body", "resolved_at"]);
    expect((await t.call("GET", `/incidents?product=${product}`)).body.items).toHaveLength(before);
  });

  it("lists by status, reopens with resolved_at: null, records both changes in the audit log", async () => {
    const created = await t.call("POST", "/incidents", {
      title: "Latency",
      product,
      environment: "dora-prod",
    });
    const id = created.body.id;
    const open = (await t.call("GET", `/incidents?product=${product}&status=open`)).body.items;
    expect(open.map((i: { id: string }) => i.id)).toContain(id);
    await t.call("PATCH", `/incidents/${id}`, { resolved_at: "2026-03-01T10:00:00.500Z" });
    expect((await t.call("PATCH", `/incidents/${id}`, { resolved_at: null })).body.status).toBe("open");
    expect((await t.call("PATCH", "/incidents/missing", { title: "y" })).status).toBe(404);
    const audit = (await t.call("GET", `/audit-log?target_type=incident`)).body;
    const actions = (audit.items ?? []).filter((e: { target_id: string }) => e.target_id === id);
    expect(actions.map((e: { action: string }) => e.action).sort()).toEqual([
      "incident.create",
      "incident.update",
      "incident.update",
    ]);
  });

  it("an ingest-scope key may record incidents (alerting tools); a read key may not", async () => {
    const ingest = await t.call("POST", "/api-keys", { name: unique("alerts"), scope: "ingest" });
    const read = await t.call("POST", "/api-keys", { name: unique("reader"), scope: "read" });
    const body = { title: "Pager", product, environment: "dora-prod" };
    expect((await t.call("POST", "/incidents", body, { token: ingest.body.token })).status).toBe(201);
    const denied = await t.call("POST", "/incidents", body, { token: read.body.token });
    expect(denied.status).toBe(403);
    expect(denied.body.detail).toContain("incidents.manage");
  });
});
