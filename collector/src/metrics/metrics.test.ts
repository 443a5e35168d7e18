import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver } from "../testing/http-receiver.ts";
import { createChannel, testWorker } from "../testing/notification-fixtures.ts";
import { parsePrometheusText, type Sample, sampleValue } from "../testing/prometheus-text.ts";
import { ADMIN_TOKEN, createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { TEST_ENGINE } from "../testing/test-engine.ts";

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ VERSIONER_ALLOW_PRIVATE_WEBHOOKS: "true", VERSIONER_LOG_LEVEL: "silent" });
});
afterAll(() => t.close());

async function scrape(app: TestApp = t, token: string = ADMIN_TOKEN): Promise<Sample[]> {
  const res = await app.call("GET", "/metrics", undefined, { token });
  expect(res.status, String(res.body)).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return parsePrometheusText(res.body);
}

/** How much each sample moved between two scrapes. */
function delta(before: Sample[], after: Sample[], name: string, labels: Record<string, string> = {}) {
  return sampleValue(after, name, labels) - sampleValue(before, name, labels);
}

function deployment(product: string, status = "completed", extra: Record<string, unknown> = {}) {
  return { product_name: product, version: unique("v"), environment_name: "metrics-prod", status, ...extra };
}

describe("GET /metrics", () => {
  it("counts and times requests by route pattern and status, never by the raw path", async () => {
    const product = unique("secret-product-name");
    const before = await scrape();
    expect((await t.call("POST", "/deployment-events", deployment(product))).status).toBe(200);
    expect((await t.call("POST", "/deployment-events", deployment(product, "started"))).status).toBe(200);
    expect((await t.call("POST", "/deployment-events", { product_name: product })).status).toBe(422);
    expect((await t.call("GET", `/products/${product}`)).status).toBe(200);
    expect((await t.call("GET", `/products/${unique("missing")}`)).status).toBe(404);
    expect((await t.call("GET", `/no-such-route/${product}`)).status).toBe(404);
    expect((await t.call("GET", `/products/${product}`, undefined, { token: "wrong-token" })).status).toBe(
      401,
    );
    const after = await scrape();
    const requests = "versioner_http_requests_total";
    expect(
      delta(before, after, requests, { method: "POST", route: "/deployment-events", status: "200" }),
    ).toBe(2);
    expect(
      delta(before, after, requests, { method: "POST", route: "/deployment-events", status: "422" }),
    ).toBe(1);
    expect(delta(before, after, requests, { method: "GET", route: "/products/:name", status: "200" })).toBe(
      1,
    );
    expect(delta(before, after, requests, { method: "GET", route: "/products/:name", status: "404" })).toBe(
      1,
    );
    expect(delta(before, after, requests, { method: "GET", route: "/products/:name", status: "401" })).toBe(
      1,
    );
    expect(delta(before, after, requests, { method: "GET", route: "unmatched", status: "404" })).toBe(1);
    // The previous scrape is counted too, under its own route.
    expect(delta(before, after, requests, { route: "/metrics", status: "200" })).toBe(1);
    const latency = "versioner_http_request_duration_seconds_count";
    expect(
      delta(before, after, latency, { method: "POST", route: "/deployment-events", status: "200" }),
    ).toBe(2);
    const buckets = after.filter(
      (s) =>
        s.name === "versioner_http_request_duration_seconds_bucket" &&
        s.labels.route === "/deployment-events",
    );
    expect(buckets.map((s) => s.labels.le)).toContain("+Inf");
    // Label values are patterns and codes only: no product name, path, token or token hash.
    const labelValues = after.flatMap((s) => Object.values(s.labels)).join("\n");
    expect(labelValues).not.toContain("secret-product-name");
    expect(labelValues).not.toContain("no-such-route");
    expect(labelValues).not.toContain(ADMIN_TOKEN);
    expect(labelValues).not.toContain("wrong-token");
  });

  it("counts ingest events by kind, status and outcome, single and batched, once each", async () => {
    const product = unique("ingest");
    const before = await scrape();
    const key = unique("idem");
    const event = deployment(product);
    expect(
      (await t.call("POST", "/deployment-events", event, { headers: { "idempotency-key": key } })).status,
    ).toBe(200);
    const repeat = await t.call("POST", "/deployment-events", event, { headers: { "idempotency-key": key } });
    expect(repeat.headers.get("idempotent-replayed")).toBe("true");
    const conflict = await t.call(
      "POST",
      "/deployment-events",
      { ...event, version: unique("v") },
      {
        headers: { "idempotency-key": key },
      },
    );
    expect(conflict.status).toBe(409);
    expect(
      (
        await t.call("POST", "/build-events", {
          product_name: product,
          version: unique("v"),
          status: "started",
        })
      ).status,
    ).toBe(200);
    const batch = await t.call("POST", "/events/batch", {
      events: [
        { kind: "deployment", event: deployment(product, "failed") },
        { kind: "build", event: { product_name: product, version: unique("v"), status: "completed" } },
        { kind: "deployment", event: { product_name: product, status: "completed" } },
      ],
    });
    expect(batch.body).toMatchObject({ accepted: 2, rejected: 1 });
    const after = await scrape();
    const events = "versioner_ingest_events_total";
    const moved = (kind: string, status: string, outcome: string) =>
      delta(before, after, events, { kind, status, outcome });
    expect(moved("deployment", "completed", "recorded")).toBe(1);
    expect(moved("deployment", "completed", "replayed")).toBe(1);
    expect(moved("deployment", "completed", "rejected")).toBe(1);
    expect(moved("build", "started", "recorded")).toBe(1);
    expect(moved("deployment", "failed", "recorded")).toBe(1);
    expect(moved("build", "completed", "recorded")).toBe(1);
    expect(moved("deployment", "invalid", "rejected")).toBe(1);
    expect(delta(before, after, events)).toBe(7);
  });

  it("observes the group committer's group sizes: concurrent events share groups, each counted once", async () => {
    const product = unique("group");
    const before = await scrape();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => t.call("POST", "/deployment-events", deployment(product))),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    const after = await scrape();
    // Every request is in exactly one group; how they were grouped depends on timing.
    expect(delta(before, after, "versioner_ingest_group_size_sum")).toBe(20);
    const groups = delta(before, after, "versioner_ingest_group_size_count");
    expect(groups).toBeGreaterThanOrEqual(1);
    expect(groups).toBeLessThanOrEqual(20);
    expect(
      after.find((s) => s.name === "versioner_ingest_group_size_bucket" && s.labels.le === "256"),
    ).toBeDefined();
  });

  it("times database calls at the client, by operation", async () => {
    const before = await scrape();
    expect((await t.call("POST", "/deployment-events", deployment(unique("db")))).status).toBe(200);
    const after = await scrape();
    const calls = "versioner_db_query_duration_seconds_count";
    // The group committer applies an event's writes as one batch; its reads are single statements,
    // but for a libSQL server, which is sent the group's reads by name (the product, the
    // environment) as one batch too (PreparedReads.together).
    expect(delta(before, after, calls, { operation: "batch", outcome: "ok" })).toBe(
      TEST_ENGINE === "sqld" ? 2 : 1,
    );
    expect(delta(before, after, calls, { operation: "execute", outcome: "ok" })).toBeGreaterThan(0);
    expect(delta(before, after, "versioner_db_query_duration_seconds_sum")).toBeGreaterThan(0);
  });

  it("shows the write thread's time by phase on a local file, and no such series on a libSQL server", async () => {
    const before = await scrape();
    expect((await t.call("POST", "/deployment-events", deployment(unique("thread")))).status).toBe(200);
    const after = await scrape();
    const spent = "versioner_write_thread_seconds_total";
    const series = after.filter((s) => s.name === spent);
    if (TEST_ENGINE === "sqld") {
      // The group's batch runs on the server: this process has no write thread to show.
      expect(series).toEqual([]);
      return;
    }
    expect(delta(before, after, spent, { phase: "statements" })).toBeGreaterThan(0);
    expect(delta(before, after, spent, { phase: "commit" })).toBeGreaterThan(0);
    expect(series.every((s) => ["statements", "commit", "checkpoint"].includes(s.labels.phase ?? ""))).toBe(
      true,
    );
  });

  it("shows the outbox depth and counts delivery attempts by channel kind and outcome", async () => {
    const receiver = await startReceiver([503]);
    try {
      const environment = unique("outbox-env");
      await createChannel(t, {
        kind: "webhook",
        url: receiver.url,
        subscriptions: [{ event_types: ["deployment.completed"], environments: [environment] }],
      });
      const before = await scrape();
      const depth = (samples: Sample[], state: string) =>
        sampleValue(samples, "versioner_notification_outbox_depth", { state });
      expect(depth(before, "pending")).toBe(0);
      const event = { ...deployment(unique("outbox")), environment_name: environment };
      expect((await t.call("POST", "/deployment-events", event)).status).toBe(200);
      const queued = await scrape();
      expect(depth(queued, "pending")).toBe(1);
      expect(depth(queued, "due")).toBe(1);

      const worker = testWorker(t, unique("worker"));
      expect(await worker.runOnce()).toBe(1); // answered 503: retried later
      const retrying = await scrape();
      expect(depth(retrying, "pending")).toBe(1);
      expect(depth(retrying, "due")).toBe(0);
      t.clock.advance(60_000);
      expect(await worker.runOnce()).toBe(1); // delivered
      const after = await scrape();
      const attempts = "versioner_notification_attempts_total";
      expect(delta(before, after, attempts, { channel_kind: "webhook", outcome: "retry" })).toBe(1);
      expect(delta(before, after, attempts, { channel_kind: "webhook", outcome: "delivered" })).toBe(1);
      expect(depth(after, "pending")).toBe(0);
      expect(receiver.received).toHaveLength(2);
    } finally {
      await receiver.close();
    }
  });
});

describe("metrics access", () => {
  it("answers 401 without a credential and 403 to a credential without metrics.read", async () => {
    const anonymous = await t.call("GET", "/metrics", undefined, { token: null });
    expect(anonymous.status).toBe(401);
    const ingestKey = await t.call("POST", "/api-keys", { name: unique("ci"), scope: "ingest" });
    const refused = await t.call("GET", "/metrics", undefined, { token: ingestKey.body.token });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toContain("metrics.read");
  });

  it("serves a read key (what a Prometheus scraper is given), and never names it in a label", async () => {
    const readKey = await t.call("POST", "/api-keys", { name: unique("prometheus"), scope: "read" });
    expect(readKey.status).toBe(201);
    await scrape(t, readKey.body.token);
    const text = (await t.call("GET", "/metrics", undefined, { token: readKey.body.token })).body as string;
    expect(text).not.toContain(readKey.body.token);
    expect(text).not.toContain(readKey.body.id);
  });
});

describe("rate-limit refusals and registries", () => {
  it("counts each 429 by reason, in the registry of its own app only", async () => {
    const limited = await createTestApp({
      VERSIONER_RATE_LIMIT_PER_SECOND: "0.001",
      VERSIONER_RATE_LIMIT_BURST: "3",
      VERSIONER_LOG_LEVEL: "silent",
    });
    try {
      const key = await limited.call("POST", "/api-keys", { name: unique("busy"), scope: "read" });
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await limited.call("GET", "/state", undefined, { token: key.body.token })).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
      const samples = await scrape(limited);
      expect(sampleValue(samples, "versioner_rate_limit_refusals_total", { reason: "rate" })).toBe(3);
      expect(sampleValue(samples, "versioner_http_requests_total", { route: "/state", status: "429" })).toBe(
        3,
      );
      // The other app in this process counted none of it.
      const other = await scrape();
      expect(sampleValue(other, "versioner_rate_limit_refusals_total")).toBe(0);
      expect(sampleValue(other, "versioner_http_requests_total", { route: "/state", status: "429" })).toBe(0);
    } finally {
      limited.close();
    }
  });
});
