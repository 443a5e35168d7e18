import { makeBadge } from "badge-maker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type RunningCollector, startCollector } from "../support/collector.ts";

function deploy(collector: RunningCollector, version: string, status: string) {
  return api(collector, "POST", "/deployment-events", {
    product_name: "storefront",
    version,
    environment_name: "production",
    status,
  }).then((res) => expect(res.status).toBe(200));
}

describe("badges from a private collector process", () => {
  let collector: RunningCollector;
  let badgeKey: string;
  beforeAll(async () => {
    collector = await startCollector();
    const key = await api(collector, "POST", "/api-keys", { name: "README", scope: "badges" });
    expect(key.status).toBe(201);
    badgeKey = key.body.token;
    await deploy(collector, "2.3.0", "completed");
  });
  afterAll(async () => {
    await collector.stop();
  });

  it("refuses an anonymous badge request", async () => {
    const res = await fetch(`${collector.url}/badges/storefront/production.svg`);
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toContain("image/svg+xml");
  });

  it("serves badge-maker's SVG for a badge key, then 304 until the next deployment", async () => {
    const url = `${collector.url}/badges/storefront/production.svg?token=${badgeKey}`;
    const first = await fetch(url);
    expect(first.status).toBe(200);
    expect(await first.text()).toBe(
      makeBadge({ label: "production", message: "2.3.0", color: "brightgreen" }),
    );
    const etag = first.headers.get("etag") ?? "";
    expect((await fetch(url, { headers: { "if-none-match": etag } })).status).toBe(304);

    await deploy(collector, "2.4.0", "failed");
    const after = await fetch(url, { headers: { "if-none-match": etag } });
    expect(after.status).toBe(200);
    expect(await after.text()).toBe(
      makeBadge({ label: "production", message: "2.3.0 (2.4.0 failed)", color: "red" }),
    );
  });

  it("gives the badge key nothing but badges", async () => {
    const state = await fetch(`${collector.url}/state`, { headers: { authorization: `Bearer ${badgeKey}` } });
    expect(state.status).toBe(403);
    const viaQuery = await fetch(
      `${collector.url}/badges/storefront/production.json?token=${collector.token}`,
    );
    expect(viaQuery.status).toBe(401);
  });
});

describe("badges from a collector with VERSIONER_PUBLIC_BADGES=true", () => {
  let collector: RunningCollector;
  beforeAll(async () => {
    collector = await startCollector({ env: { VERSIONER_PUBLIC_BADGES: "true" } });
    await deploy(collector, "1.0.0", "completed");
  });
  afterAll(async () => {
    await collector.stop();
  });

  it("serves the shields.io endpoint JSON without a credential", async () => {
    const res = await fetch(`${collector.url}/badges/storefront/production.json`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      schemaVersion: 1,
      label: "production",
      message: "1.0.0",
      color: "brightgreen",
    });
    expect((await fetch(`${collector.url}/state`)).status).toBe(401);
  });
});
