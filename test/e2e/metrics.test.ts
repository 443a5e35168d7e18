import { type HttpReceiver, startReceiver } from "@versioner/collector/testing/http-receiver";
import { parsePrometheusText, sampleValue } from "@versioner/collector/testing/prometheus-text";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type RunningCollector, startCollector } from "../support/collector.ts";
import { waitFor } from "../support/wait-for.ts";

describe("GET /metrics on the collector process", () => {
  let collector: RunningCollector;
  let receiver: HttpReceiver;
  beforeAll(async () => {
    receiver = await startReceiver();
    collector = await startCollector({ env: { VERSIONER_ALLOW_PRIVATE_WEBHOOKS: "true" } });
  });
  afterAll(async () => {
    await collector.stop();
    await receiver.close();
  });

  async function scrape(token = collector.token) {
    const res = await fetch(`${collector.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
  }

  it("serves process and collector metrics to a read key, counting the requests, events and deliveries it served", async () => {
    const channel = await api(collector, "POST", "/notification-channels", {
      name: "metrics-hook",
      kind: "webhook",
      url: receiver.url,
      subscriptions: [{ event_types: ["deployment.completed"] }],
    });
    expect(channel.status).toBe(201);
    const deployed = await api(collector, "POST", "/deployment-events", {
      product_name: "metrics-e2e",
      version: "1.0.0",
      environment_name: "production",
      status: "completed",
    });
    expect(deployed.status).toBe(200);
    await waitFor("the webhook delivery", () => receiver.received.length === 1);

    const key = await api(collector, "POST", "/api-keys", { name: "prometheus", scope: "read" });
    expect(key.status).toBe(201);
    const samples = parsePrometheusText(
      await waitFor("the delivered attempt in the metrics", async () => {
        const { status, type, text } = await scrape(key.body.token);
        expect(status).toBe(200);
        expect(type).toContain("text/plain");
        return text.includes('outcome="delivered"') && text;
      }),
    );
    expect(
      sampleValue(samples, "versioner_http_requests_total", {
        method: "POST",
        route: "/deployment-events",
        status: "200",
      }),
    ).toBe(1);
    expect(
      sampleValue(samples, "versioner_ingest_events_total", {
        kind: "deployment",
        status: "completed",
        outcome: "recorded",
      }),
    ).toBe(1);
    expect(sampleValue(samples, "versioner_ingest_group_size_sum")).toBe(1);
    expect(
      sampleValue(samples, "versioner_db_query_duration_seconds_count", { operation: "batch" }),
    ).toBeGreaterThan(0);
    expect(
      sampleValue(samples, "versioner_notification_attempts_total", {
        channel_kind: "webhook",
        outcome: "delivered",
      }),
    ).toBe(1);
    expect(sampleValue(samples, "versioner_notification_outbox_depth", { state: "pending" })).toBe(0);
    // The server adds Node's process metrics; tests' apps do not.
    expect(samples.some((s) => s.name === "process_cpu_user_seconds_total")).toBe(true);
    expect(samples.some((s) => s.name === "nodejs_eventloop_lag_seconds")).toBe(true);
  });

  it("refuses a scrape without a credential (401) or with an ingest key (403)", async () => {
    expect((await scrape("")).status).toBe(401);
    const key = await api(collector, "POST", "/api-keys", { name: "ci", scope: "ingest" });
    expect((await scrape(key.body.token)).status).toBe(403);
  });
});
