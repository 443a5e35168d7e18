import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe("deployed_at on deployment reads", () => {
  it("is on /deployments items and /deployments/{id}, equal to the event response's", async () => {
    const product = unique("svc");
    const started = await t.call("POST", "/deployment-events", {
      product_name: product,
      version: "1.0.0",
      environment_name: "staging",
      status: "started",
      started_at: "2026-02-01T09:00:00Z",
    });
    const completed = await t.call("POST", "/deployment-events", {
      product_name: product,
      version: "1.0.1",
      environment_name: "production",
      status: "completed",
      completed_at: "2026-02-01T10:00:00Z",
    });
    const list = await t.call("GET", `/deployments?product=${product}`);
    expect(list.status).toBe(200);
    const byId = new Map(list.body.items.map((item: { id: string }) => [item.id, item]));
    for (const event of [started, completed]) {
      expect(byId.get(event.body.id)).toMatchObject({ deployed_at: event.body.deployed_at });
      const one = await t.call("GET", `/deployments/${event.body.id}`);
      expect(one.body.deployed_at).toBe(event.body.deployed_at);
    }
    // Completed: when it completed. Not finished yet: its latest known moment (here, the start).
    expect(completed.body.deployed_at).toMatch(/^2026-02-01T10:00:00(\.000)?Z$/);
    expect(started.body.deployed_at).toMatch(/^2026-02-01T09:00:00(\.000)?Z$/);
  });
});
