import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config.ts";
import { type DomainEvent, DomainEventBus } from "../events/domain-events.ts";
import { createApp } from "../http/app.ts";
import { createLogger } from "../logger.ts";
import { postDeployment } from "../testing/ingest-fixtures.ts";
import { ADMIN_TOKEN, createTestApp, type TestApp, unique } from "../testing/test-app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

async function rule(body: Record<string, unknown>) {
  const res = await t.call("POST", "/rules", { name: unique("rule"), ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; name: string };
}

const allDay = { recurrence: "daily", timezone: "UTC", start: "00:00", end: "24:00" };
const ask = (product: string, version: string, environment: string) =>
  t.call("POST", "/preflight", { product_name: product, version, environment_name: environment });

describe("POST /preflight (dry run) reads", () => {
  it("lists an active lock first as the 'environment lock' evaluation", async () => {
    const product = unique("dry-lock");
    const environment = unique("env-dry-lock");
    expect((await postDeployment(t, product, "1", environment, "completed")).status).toBe(200);
    const lock = await t.call("POST", `/environments/${environment}/lock`, { reason: "freeze" });
    expect(lock.status).toBe(201);
    const res = await ask(product, "2", environment);
    expect(res.body).toMatchObject({ allowed: false, http_status: 423, warnings: [] });
    expect(res.body.rules_evaluated).toEqual([
      {
        rule_name: "environment lock",
        rule_id: lock.body.id,
        mode: "enabled",
        status: "enabled",
        evaluation_result: "failed",
        error_message: `${environment} is locked by admin@localhost: freeze`,
        code: "ENVIRONMENT_LOCKED",
      },
    ]);
  });

  it("sees the deployment running in the cell, naming it in the 409 block", async () => {
    const product = unique("dry-conc");
    const environment = unique("env-dry-conc");
    const concurrency = await rule({ type: "concurrency", scope: { products: [product] } });
    const running = await postDeployment(t, product, "1", environment, "started");
    expect(running.status).toBe(200);
    const res = await ask(product, "2", environment);
    expect(res.body).toMatchObject({
      allowed: false,
      http_status: 409,
      block: {
        code: "DEPLOYMENT_IN_PROGRESS",
        details: {
          rule_id: concurrency.id,
          conflicting_deployment_id: running.body.id,
          conflicting_deployment_status: "started",
          conflicting_deployment_started: running.body.deployed_at,
          conflicting_version: "1",
        },
      },
    });
    expect((await ask(product, "2", unique("env-idle"))).body.allowed).toBe(true);
  });

  it("finds the version, so its approvals count; an unknown product has none", async () => {
    const product = unique("dry-approved");
    const built = await t.call("POST", "/build-events", {
      product_name: product,
      version: "1",
      status: "completed",
    });
    expect(built.status).toBe(200);
    await rule({
      type: "version_approval",
      scope: { products: [product], environments: [] },
      settings: { required_types: ["qa"] },
    });
    expect(
      (await t.call("POST", `/versions/${built.body.version_id}/approvals`, { type: "qa" })).status,
    ).toBe(201);
    expect((await ask(product, "1", "production")).body).toMatchObject({ allowed: true, block: null });
    expect((await ask(product, "2", "production")).body).toMatchObject({
      allowed: false,
      block: { code: "QUALITY_APPROVAL_REQUIRED", details: { missing_approvals: ["qa"] } },
    });
    const unknown = unique("dry-unknown");
    await rule({
      type: "version_approval",
      scope: { products: [unknown], environments: [] },
      settings: { required_types: ["qa"] },
    });
    expect((await ask(unknown, "1", "production")).body).toMatchObject({
      allowed: false,
      block: { code: "QUALITY_APPROVAL_REQUIRED" },
    });
  });

  it("lists a passing rule as passed, and only failing report-only rules as warnings", async () => {
    const product = unique("dry-pass");
    const watch = await rule({ type: "concurrency", mode: "report_only", scope: { products: [product] } });
    const res = await ask(product, "1", "production");
    expect(res.body).toEqual({
      allowed: true,
      block: null,
      http_status: null,
      warnings: [],
      rules_evaluated: [
        {
          rule_name: watch.name,
          rule_id: watch.id,
          mode: "report_only",
          status: "report_only",
          evaluation_result: "passed",
          error_message: null,
          code: null,
        },
      ],
    });
  });
});

describe("preflight_status on an admitted deployment", () => {
  it("is failed when any rule failed, passed when every rule passed", async () => {
    const product = unique("status");
    await rule({ type: "concurrency", scope: { products: [product] } });
    const passed = await postDeployment(t, product, "1", "production", "completed");
    expect(passed.status).toBe(200);
    expect(passed.body.extra_metadata.preflight_status).toMatchObject({
      status: "passed",
      rules_evaluated: [expect.objectContaining({ evaluation_result: "passed" })],
    });
    await rule({ type: "schedule", mode: "report_only", scope: { products: [product] }, settings: allDay });
    const mixed = await postDeployment(t, product, "2", "production", "completed");
    expect(mixed.status).toBe(200);
    expect(mixed.body.extra_metadata.preflight_status.status).toBe("failed");
    expect(
      mixed.body.extra_metadata.preflight_status.rules_evaluated.map(
        (r: { evaluation_result: string }) => r.evaluation_result,
      ),
    ).toEqual(["failed", "passed"]);
  });
});

describe("GET /preflight-failures", () => {
  it("without a filter lists the refusals of every product", async () => {
    const first = unique("failures-a");
    const second = unique("failures-b");
    await rule({ type: "schedule", scope: { products: [first, second] }, settings: allDay });
    for (const product of [first, second]) {
      expect((await postDeployment(t, product, "1", "production", "started")).status).toBe(423);
    }
    const res = await t.call("GET", "/preflight-failures?limit=100");
    expect(res.status).toBe(200);
    const named = res.body.items.map((f: { product: string }) => f.product);
    expect(named).toEqual(expect.arrayContaining([first, second]));
  });
});

describe("deployment.preflight_failed", () => {
  it("carries the ids of what exists, and null for what does not", async () => {
    const events: DomainEvent[] = [];
    const bus = new DomainEventBus();
    bus.subscribe((event) => {
      if (event.type === "deployment.preflight_failed") events.push(event);
    });
    const app = createApp({
      database: t.database,
      runtime: t.runtime,
      config: loadConfig({ DATABASE_URL: "file::memory:" }),
      clock: t.clock,
      logger: createLogger("silent"),
      bus,
    });
    const post = (body: object) =>
      app.request("/deployment-events", {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const product = unique("event");
    const environment = unique("env-event");
    const known = await postDeployment(t, product, "1", environment, "completed");
    expect(known.status).toBe(200);
    const freeze = await rule({ type: "schedule", scope: { products: [product] }, settings: allDay });
    const blocked = await post({
      product_name: product,
      version: "1",
      environment_name: environment,
      status: "started",
    });
    expect(blocked.status).toBe(423);
    const newcomer = await post({
      product_name: product,
      version: "2",
      environment_name: "nowhere-yet",
      status: "started",
    });
    expect(newcomer.status).toBe(423);

    expect(events.map((e) => e.data)).toEqual([
      {
        product: { id: known.body.product_id, name: product },
        version: { id: known.body.version_id, version: "1" },
        environment: { id: known.body.environment_id, name: environment },
        preflight_failure: expect.objectContaining({ rule_id: freeze.id, rule_name: freeze.name }),
      },
      {
        product: { id: known.body.product_id, name: product },
        version: { id: null, version: "2" },
        environment: { id: null, name: "nowhere-yet" },
        preflight_failure: expect.objectContaining({ code: "NO_DEPLOY_WINDOW" }),
      },
    ]);
  });
});
