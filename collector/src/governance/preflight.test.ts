import { randomUUID } from "node:crypto";
import { PreflightBlock } from "@versioner/schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploymentRequestSlots, deploymentRequests, versionApprovals } from "../db/schema/index.ts";
import { startReceiver } from "../testing/http-receiver.ts";
import { postDeployment } from "../testing/ingest-fixtures.ts";
import { createChannel, testWorker } from "../testing/notification-fixtures.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

let t: TestApp;
beforeAll(async () => {
  // The notification test delivers to a receiver on the loopback interface.
  t = await createTestApp({ VERSIONER_ALLOW_PRIVATE_WEBHOOKS: "true" });
});
afterAll(() => t.close());

/** Moves the test clock forward to an instant (the manual clock never goes back). */
function setTime(iso: string) {
  const delta = Date.parse(iso) - t.clock.now().getTime();
  expect(delta, `the clock is already past ${iso}`).toBeGreaterThan(0);
  t.clock.advance(delta);
}

const deploy = (product: string, version: string, environment: string, status: string, extra: object = {}) =>
  postDeployment(t, product, version, environment, status, extra);

async function rule(body: Record<string, unknown>) {
  const res = await t.call("POST", "/rules", { name: unique("rule"), ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function count(table: string, where = "1 = 1", args: string[] = []): Promise<number> {
  const result = await t.database.client.execute({
    sql: `SELECT count(*) AS n FROM ${table} WHERE ${where}`,
    args,
  });
  return Number(result.rows[0]?.n);
}

const scoped = (product: string, environments: string[] = []) => ({ products: [product], environments });

describe("rules API", () => {
  it("creates with defaults, reads, changes and deletes a rule, each change audited", async () => {
    const product = unique("crud");
    const created = await rule({ type: "concurrency", scope: { products: [product] } });
    expect(created).toMatchObject({
      type: "concurrency",
      mode: "enabled",
      scope: { products: [product], environments: [] },
      settings: {},
      description: null,
    });
    expect((await t.call("GET", `/rules/${created.id}`)).body).toEqual(created);
    expect((await t.call("GET", "/rules")).body.items.map((r: { id: string }) => r.id)).toContain(created.id);

    const changed = await t.call("PATCH", `/rules/${created.id}`, {
      mode: "report_only",
      description: "why",
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ mode: "report_only", description: "why", name: created.name });

    expect((await t.call("DELETE", `/rules/${created.id}`)).status).toBe(204);
    expect((await t.call("GET", `/rules/${created.id}`)).status).toBe(404);
    const audit = await t.call("GET", `/audit-log?target_type=rule&target_id=${created.id}`);
    expect(audit.body.items.map((e: { action: string }) => e.action).sort()).toEqual([
      "rule.create",
      "rule.delete",
      "rule.update",
    ]);
    const update = audit.body.items.find((e: { action: string }) => e.action === "rule.update");
    expect(update.before.mode).toBe("enabled");
    expect(update.after.mode).toBe("report_only");
  });

  it("refuses a taken name (409) and bad settings (422 naming the field)", async () => {
    const first = await rule({ type: "concurrency", scope: { products: [unique("p")] } });
    const clash = await t.call("POST", "/rules", { name: first.name, type: "concurrency" });
    expect(clash.status).toBe(409);
    expect(clash.body.code).toBe("NAME_TAKEN");

    const cases: Array<[Record<string, unknown>, Array<string | number>]> = [
      [
        {
          type: "schedule",
          settings: { recurrence: "daily", timezone: "Nowhere/City", start: "10:00", end: "11:00" },
        },
        ["body", "settings", "timezone"],
      ],
      [
        { type: "schedule", settings: { recurrence: "weekly", start: "10:00", end: "11:00" } },
        ["body", "settings", "days_of_week"],
      ],
      [{ type: "flow", settings: { prerequisites: [] } }, ["body", "settings", "prerequisites"]],
      [
        { type: "version_approval", settings: { required_types: ["vibes"] } },
        ["body", "settings", "required_types", 0],
      ],
      [{ type: "concurrency", settings: { max: 2 } }, ["body", "settings"]],
      [{ type: "nonsense" }, ["body", "type"]],
    ];
    for (const [body, loc] of cases) {
      const res = await t.call("POST", "/rules", { name: unique("bad"), ...body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(
        res.body.detail.map((issue: { loc: unknown }) => issue.loc),
        JSON.stringify(res.body),
      ).toContainEqual(loc);
    }
    const patched = await t.call("PATCH", `/rules/${first.id}`, { settings: { extra: true } });
    expect(patched.status).toBe(422);
  });
});

describe("schedule rules", () => {
  it("block inside a Friday freeze with the hosted block body, keep the attempt, and allow after it", async () => {
    const product = unique("freeze");
    const freeze = await rule({
      type: "schedule",
      scope: scoped(product, ["production"]),
      settings: {
        recurrence: "weekly",
        timezone: "Europe/Berlin",
        start: "00:00",
        end: "24:00",
        days_of_week: [5],
        reason: "No Friday deploys",
      },
    });
    setTime("2026-03-06T12:00:00Z"); // a Friday
    const before = await count("deployments");
    const res = await deploy(product, "1.0.0", "production", "started", { deployed_by: "octocat" });

    expect(res.status).toBe(423);
    expect(Object.keys(res.body).sort()).toEqual(["code", "detail", "request_id"]);
    expect(res.body.code).toBe("NO_DEPLOY_WINDOW");
    expect(res.body.request_id).toBe(res.headers.get("x-request-id"));
    expect(PreflightBlock.strict().parse(res.body.detail)).toBeTruthy();
    expect(res.body.detail).toEqual({
      error: "deployment_blocked",
      code: "NO_DEPLOY_WINDOW",
      message: `No-deploy window '${freeze.name}' is active until 2026-03-06T23:00:00.000Z: No Friday deploys`,
      retry_after: "2026-03-06T23:00:00.000Z",
      details: {
        rule_name: freeze.name,
        rule_id: freeze.id,
        window_name: freeze.name,
        window_start: "2026-03-05T23:00:00.000Z",
        window_end: "2026-03-06T23:00:00.000Z",
        timezone: "Europe/Berlin",
        recurrence: "weekly",
        reason: "No Friday deploys",
      },
    });
    // Nothing recorded as a deployment: not even the product was created.
    expect(await count("deployments")).toBe(before);
    expect(await count("products", "name = ?", [product])).toBe(0);

    const failures = await t.call("GET", `/preflight-failures?product=${product}`);
    expect(failures.status).toBe(200);
    expect(failures.body.items).toHaveLength(1);
    expect(failures.body.items[0]).toMatchObject({
      product,
      version: "1.0.0",
      environment: "production",
      code: "NO_DEPLOY_WINDOW",
      rule_id: freeze.id,
      rule_name: freeze.name,
      retry_after: "2026-03-06T23:00:00.000Z",
      actor: "admin@localhost",
      details: { window_end: "2026-03-06T23:00:00.000Z" },
    });

    // Other environments are out of the rule's scope.
    expect((await deploy(product, "1.0.0", "staging", "started")).status).toBe(200);
    setTime("2026-03-06T23:00:00Z");
    expect((await deploy(product, "1.0.0", "production", "started")).status).toBe(200);
  });

  it("report_only never blocks: the 200 carries extra_metadata.preflight_status; disabled is not evaluated", async () => {
    const product = unique("report");
    const watch = await rule({
      type: "schedule",
      mode: "report_only",
      scope: scoped(product),
      settings: { recurrence: "daily", timezone: "UTC", start: "00:00", end: "24:00" },
    });
    await rule({
      type: "schedule",
      mode: "disabled",
      scope: scoped(product),
      settings: { recurrence: "daily", timezone: "UTC", start: "00:00", end: "24:00" },
    });
    const res = await deploy(product, "1", "production", "started");
    expect(res.status).toBe(200);
    const status = res.body.extra_metadata.preflight_status;
    expect(status.status).toBe("failed");
    expect(status.rules_evaluated).toEqual([
      {
        rule_name: watch.name,
        rule_id: watch.id,
        mode: "report_only",
        status: "report_only",
        evaluation_result: "failed",
        error_message: expect.stringContaining(`No-deploy window '${watch.name}' is active until`),
        code: "NO_DEPLOY_WINDOW",
        retry_after: expect.any(String),
      },
    ]);
    // Kept on the deployment, as the response showed it.
    const stored = await t.call("GET", `/deployments/${res.body.id}`);
    expect(stored.body.extra_metadata.preflight_status.status).toBe("failed");
    expect(await count("preflight_failures", "product = ?", [product])).toBe(0);
  });

  it("a deployment no rule applies to looks as it always did", async () => {
    const res = await deploy(unique("free"), "1", "production", "started");
    expect(res.status).toBe(200);
    expect(res.body.extra_metadata).toEqual({});
  });
});

describe("scope matching", () => {
  it("applies a rule only to the named products and environments; empty lists mean all", async () => {
    const product = unique("scope");
    const other = unique("scope-other");
    const lockdown = { recurrence: "daily", timezone: "UTC", start: "00:00", end: "24:00" };
    await rule({ type: "schedule", scope: scoped(product, ["production"]), settings: lockdown });
    expect((await deploy(product, "1", "production", "pending")).status).toBe(423);
    expect((await deploy(product, "1", "staging", "pending")).status).toBe(200);
    expect((await deploy(other, "1", "production", "pending")).status).toBe(200);

    const everywhere = await rule({ type: "schedule", settings: lockdown });
    try {
      expect((await deploy(other, "2", "qa", "pending")).status).toBe(423);
      const environmentOnly = await t.call("PATCH", `/rules/${everywhere.id}`, {
        scope: { products: [], environments: ["qa"] },
      });
      expect(environmentOnly.status).toBe(200);
      expect((await deploy(other, "3", "qa", "pending")).status).toBe(423);
      expect((await deploy(other, "3", "dev", "pending")).status).toBe(200);
    } finally {
      await t.call("DELETE", `/rules/${everywhere.id}`);
    }
  });
});

describe("which events are judged", () => {
  it("never blocks the finishing events of an admitted deployment, but judges a one-shot completed report", async () => {
    const product = unique("finish");
    expect((await deploy(product, "1", "production", "started")).status).toBe(200);
    expect((await deploy(product, "2", "production", "pending", { invoke_id: "run-2" })).status).toBe(200);
    const lock = await t.call("POST", "/environments/production/lock", { reason: "incident", product });
    expect(lock.status).toBe(201);
    try {
      expect((await deploy(product, "1", "production", "completed")).status).toBe(200);
      // A queued run moving on to started was admitted when it was queued.
      expect((await deploy(product, "2", "production", "started", { invoke_id: "run-2" })).status).toBe(200);
      expect((await deploy(product, "2", "production", "failed", { invoke_id: "run-2" })).status).toBe(200);
      // A report of a deployment nobody announced is a new deployment: judged.
      const oneShot = await deploy(product, "3", "production", "completed");
      expect(oneShot.status).toBe(423);
      expect(oneShot.body.code).toBe("ENVIRONMENT_LOCKED");
      // A failed or aborted one-shot deployed nothing: recorded, never blocked.
      expect((await deploy(product, "4", "production", "failed")).status).toBe(200);
    } finally {
      await t.call("DELETE", `/environments/production/lock?product=${product}`);
    }
  });
});

describe("environment locks", () => {
  it("lock, list, block with owner and reason, refuse a second lock, unlock", async () => {
    const product = unique("locked");
    const environment = unique("env-lock");
    expect((await deploy(product, "1", environment, "completed")).status).toBe(200);
    const locked = await t.call("POST", `/environments/${environment}/lock`, { reason: "DB migration" });
    expect(locked.status).toBe(201);
    expect(locked.body).toEqual({
      id: expect.any(String),
      environment,
      product: null,
      reason: "DB migration",
      locked_by: "admin@localhost",
      created_at: expect.any(String),
      expires_at: null,
    });
    expect((await t.call("GET", "/locks")).body.items).toContainEqual(locked.body);
    const again = await t.call("POST", `/environments/${environment}/lock`, { reason: "twice" });
    expect(again.status).toBe(409);

    const res = await deploy(product, "2", environment, "started");
    expect(res.status).toBe(423);
    expect(res.body.code).toBe("ENVIRONMENT_LOCKED");
    expect(res.body.detail).toEqual({
      error: "deployment_blocked",
      code: "ENVIRONMENT_LOCKED",
      message: `${environment} is locked by admin@localhost: DB migration`,
      details: {
        rule_name: "environment lock",
        rule_id: locked.body.id,
        lock_id: locked.body.id,
        environment,
        product: null,
        locked_by: "admin@localhost",
        reason: "DB migration",
        locked_at: locked.body.created_at,
        expires_at: null,
      },
    });

    expect((await t.call("DELETE", `/environments/${environment}/lock`)).status).toBe(204);
    expect((await t.call("DELETE", `/environments/${environment}/lock`)).status).toBe(404);
    expect((await deploy(product, "2", environment, "started")).status).toBe(200);
    const audit = await t.call("GET", "/audit-log?action=environment.");
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(["environment.lock", "environment.unlock"]),
    );
  });

  it("a product lock stops only that product; an expiring lock gives retry_after and lapses", async () => {
    const product = unique("plock");
    const other = unique("plock-other");
    const environment = unique("env-plock");
    await deploy(product, "1", environment, "completed");
    await deploy(other, "1", environment, "completed");
    const expires = new Date(t.clock.now().getTime() + 3_600_000).toISOString();
    const lock = await t.call("POST", `/environments/${environment}/lock`, {
      reason: "hotfix soak",
      product,
      expires_at: expires,
    });
    expect(lock.status).toBe(201);
    expect(lock.body.product).toBe(product);
    const blocked = await deploy(product, "2", environment, "started");
    expect(blocked.status).toBe(423);
    expect(blocked.body.detail.retry_after).toBe(expires);
    expect(blocked.body.detail.details.product).toBe(product);
    expect((await deploy(other, "2", environment, "started")).status).toBe(200);
    t.clock.advance(3_600_000);
    expect((await deploy(product, "2", environment, "started")).status).toBe(200);
    expect((await t.call("GET", "/locks")).body.items.map((l: { id: string }) => l.id)).not.toContain(
      lock.body.id,
    );
  });

  it("refuses a lock on an unknown environment (404) or already expired (409)", async () => {
    expect((await t.call("POST", "/environments/nowhere-at-all/lock", { reason: "x" })).status).toBe(404);
    const environment = unique("env-past");
    await deploy(unique("p"), "1", environment, "completed");
    const past = await t.call("POST", `/environments/${environment}/lock`, {
      reason: "x",
      expires_at: "2020-01-01T00:00:00Z",
    });
    expect(past.status).toBe(409);
  });
});

describe("flow rules", () => {
  it("require the prerequisite environment, then its soak time (retry_after when it completes)", async () => {
    const product = unique("flow");
    const flow = await rule({
      type: "flow",
      scope: scoped(product, ["production"]),
      settings: { prerequisites: [{ environment: "staging", min_soak_minutes: 60 }] },
    });
    const missing = await deploy(product, "1.0", "production", "started");
    expect(missing.status).toBe(428);
    expect(missing.body.code).toBe("FLOW_VIOLATION");
    expect(missing.body.detail).toMatchObject({
      error: "deployment_blocked",
      code: "FLOW_VIOLATION",
      message: `${product} 1.0 must be deployed to staging before production`,
      details: {
        rule_name: flow.name,
        rule_id: flow.id,
        target_environment: "production",
        required_environments: ["staging"],
        missing_environments: ["staging"],
      },
    });
    expect(missing.body.detail.retry_after).toBeUndefined();

    const staged = await deploy(product, "1.0", "staging", "completed");
    expect(staged.status).toBe(200);
    t.clock.advance(20 * 60_000);
    const soaking = await deploy(product, "1.0", "production", "started");
    expect(soaking.status).toBe(428);
    expect(soaking.body.code).toBe("INSUFFICIENT_SOAK_TIME");
    const soakedAt = new Date(Date.parse(staged.body.deployed_at) + 60 * 60_000).toISOString();
    expect(soaking.body.detail.retry_after).toBe(soakedAt);
    expect(soaking.body.detail.details).toMatchObject({
      rule_name: flow.name,
      rule_id: flow.id,
      environment: "staging",
      required_soak_minutes: 60,
      deployed_at: staged.body.deployed_at,
      soak_complete_at: soakedAt,
    });
    setTime(soakedAt);
    expect((await deploy(product, "1.0", "production", "started")).status).toBe(200);
  });

  it("strict ordering refuses a version that reached the prerequisites out of order", async () => {
    const product = unique("order");
    const settings = {
      prerequisites: [{ environment: "qa" }, { environment: "staging" }],
      strict_order: true,
    };
    const strict = await rule({ type: "flow", scope: scoped(product, ["production"]), settings });
    await deploy(product, "1", "staging", "completed");
    await deploy(product, "1", "qa", "completed");
    const res = await deploy(product, "1", "production", "started");
    expect(res.status).toBe(428);
    expect(res.body.detail.code).toBe("FLOW_VIOLATION");
    expect(res.body.detail.details.out_of_order).toEqual(["qa", "staging"]);
    await t.call("PATCH", `/rules/${strict.id}`, { settings: { ...settings, strict_order: false } });
    expect((await deploy(product, "1", "production", "started")).status).toBe(200);
  });
});

describe("concurrency rules", () => {
  it("409 DEPLOYMENT_IN_PROGRESS naming the running deployment, until it finishes", async () => {
    const product = unique("conc");
    const concurrency = await rule({ type: "concurrency", scope: scoped(product) });
    const first = await deploy(product, "1", "production", "started");
    expect(first.status).toBe(200);
    const second = await deploy(product, "2", "production", "started");
    expect(second.status).toBe(409);
    expect(second.body.code).toBe("DEPLOYMENT_IN_PROGRESS");
    expect(second.body.detail).toMatchObject({
      error: "deployment_blocked",
      code: "DEPLOYMENT_IN_PROGRESS",
      details: {
        rule_name: concurrency.name,
        rule_id: concurrency.id,
        conflicting_deployment_id: first.body.id,
        conflicting_deployment_status: "started",
        conflicting_deployment_started: first.body.deployed_at,
        conflicting_version: "1",
      },
    });
    expect(second.body.detail.message).toContain(first.body.id);
    // Another environment is another cell.
    expect((await deploy(product, "2", "staging", "started")).status).toBe(200);
    expect((await deploy(product, "1", "production", "completed")).status).toBe(200);
    expect((await deploy(product, "2", "production", "started")).status).toBe(200);
  });
});

describe("approval rules", () => {
  async function registered(product: string, version: string) {
    const build = await t.call("POST", "/build-events", {
      product_name: product,
      version,
      status: "completed",
    });
    expect(build.status).toBe(200);
    return build.body as { product_id: string; version_id: string };
  }

  it("version_approval: 428 QUALITY_APPROVAL_REQUIRED until the required types are approved", async () => {
    const product = unique("approve");
    const approval = await rule({
      type: "version_approval",
      scope: scoped(product, ["production"]),
      settings: { required_types: ["qa", "security"] },
    });
    const unknown = await deploy(product, "0.9", "production", "started");
    expect(unknown.status).toBe(428);
    expect(unknown.body.detail.details.missing_approvals).toEqual(["qa", "security"]);

    const ids = await registered(product, "1.0");
    const approve = (type: string) =>
      t.database.db.insert(versionApprovals).values({
        id: randomUUID(),
        product_id: ids.product_id,
        version_id: ids.version_id,
        type,
        decision: "approved",
        environment_id: null,
        comment: null,
        approved_by_id: "u1",
        approved_by: "qa@example.test",
        approver_role: "qa",
        created_at: t.clock.now().toISOString(),
      });
    await approve("qa");
    const res = await deploy(product, "1.0", "production", "started");
    expect(res.status).toBe(428);
    expect(res.body.code).toBe("QUALITY_APPROVAL_REQUIRED");
    expect(res.body.detail.details).toEqual({
      rule_name: approval.name,
      rule_id: approval.id,
      required_approvals: ["qa", "security"],
      current_approvals: ["qa"],
      missing_approvals: ["security"],
      rejected_approvals: [],
      prerequisite_environment: null,
    });
    await approve("security");
    expect((await deploy(product, "1.0", "production", "started")).status).toBe(200);
  });

  it("deployment_request: 428 APPROVAL_REQUIRED until an approved request covers the deployment", async () => {
    const product = unique("request");
    const environment = unique("env-request");
    const requirement = await rule({
      type: "deployment_request",
      scope: scoped(product, [environment]),
      settings: { required_types: ["uat"] },
    });
    const ids = await registered(product, "2.0");
    const env = await t.call("POST", "/environments", { name: environment });
    expect(env.status).toBe(201);
    const none = await deploy(product, "2.0", environment, "started");
    expect(none.status).toBe(428);
    expect(none.body.code).toBe("APPROVAL_REQUIRED");
    expect(none.body.detail.details).toMatchObject({
      rule_name: requirement.name,
      rule_id: requirement.id,
      deployment_request_id: null,
      missing_approvals: ["uat"],
    });
    const now = t.clock.now().toISOString();
    const requestId = randomUUID();
    await t.database.db.insert(deploymentRequests).values({
      id: requestId,
      name: "release",
      description: null,
      product_id: ids.product_id,
      version_id: ids.version_id,
      environment_id: env.body.id,
      status: "approved",
      created_by_id: "u1",
      created_by: "pm@example.test",
      submitted_at: now,
      decided_at: now,
      completed_at: null,
      completed_by_deployment_id: null,
      cancelled_at: null,
      created_at: now,
      updated_at: now,
    });
    await t.database.db.insert(deploymentRequestSlots).values({
      request_id: requestId,
      type: "uat",
      status: "approved",
      decided_by_id: "u2",
      decided_by: "po@example.test",
      decided_role: "product",
      comment: null,
      decided_at: now,
    });
    expect((await deploy(product, "2.0", environment, "started")).status).toBe(200);
  });
});

describe("batches", () => {
  it("blocks items one by one: the others are recorded, the block body is the item's", async () => {
    const product = unique("batch");
    await rule({ type: "concurrency", scope: scoped(product) });
    const item = (version: string, environment: string) => ({
      kind: "deployment",
      event: { product_name: product, version, environment_name: environment, status: "started" },
    });
    const res = await t.call("POST", "/events/batch", {
      events: [item("1", "production"), item("2", "production"), item("2", "staging")],
    });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(2);
    expect(res.body.rejected).toBe(1);
    expect(res.body.results.map((r: { status: number }) => r.status)).toEqual([200, 409, 200]);
    const blocked = res.body.results[1].body;
    expect(blocked.code).toBe("DEPLOYMENT_IN_PROGRESS");
    expect(blocked.detail.error).toBe("deployment_blocked");
    // The item saw the deployment the first item started in the same batch.
    expect(blocked.detail.details.conflicting_deployment_id).toBe(res.body.results[0].body.id);
    expect(await count("preflight_failures", "product = ?", [product])).toBe(1);
  });
});

describe("skip_preflight_checks", () => {
  it("is honoured for rules.manage callers and audited; ignored for an ingest key", async () => {
    const product = unique("skip");
    await rule({
      type: "schedule",
      scope: scoped(product),
      settings: { recurrence: "daily", timezone: "UTC", start: "00:00", end: "24:00" },
    });
    const key = await t.call("POST", "/api-keys", { name: unique("ci"), scope: "ingest" });
    const fromCi = await t.call(
      "POST",
      "/deployment-events",
      {
        product_name: product,
        version: "1",
        environment_name: "production",
        status: "started",
        skip_preflight_checks: true,
      },
      { token: key.body.token },
    );
    expect(fromCi.status).toBe(423);

    const breakGlass = await deploy(product, "1", "production", "started", { skip_preflight_checks: true });
    expect(breakGlass.status).toBe(200);
    expect(breakGlass.body.extra_metadata.preflight_status).toEqual({
      status: "skipped",
      rules_evaluated: [],
    });
    const audit = await t.call("GET", "/audit-log?action=preflight.skip");
    expect(audit.body.items[0]).toMatchObject({
      actor_name: "admin@localhost",
      target_name: `${product} 1 → production`,
    });
  });
});

describe("notifications", () => {
  it("publishes deployment.preflight_failed to subscribed channels", async () => {
    const receiver = await startReceiver();
    try {
      const product = unique("notify");
      await createChannel(t, {
        kind: "webhook",
        url: receiver.url,
        subscriptions: [{ event_types: ["deployment.preflight_failed"], products: [product] }],
      });
      const freeze = await rule({
        type: "schedule",
        scope: scoped(product),
        settings: { recurrence: "daily", timezone: "UTC", start: "00:00", end: "24:00" },
      });
      const blocked = await deploy(product, "7", "production", "started", { deployed_by: "octocat" });
      expect(blocked.status).toBe(423);
      await testWorker(t, unique("worker")).runOnce();
      expect(receiver.received).toHaveLength(1);
      expect(receiver.received[0]?.json).toMatchObject({
        event_type: "deployment.preflight_failed",
        subject: "deployment",
        product_name: product,
        version: "7",
        environment: "production",
        is_successful: false,
        deployment_id: null,
        preflight: {
          code: "NO_DEPLOY_WINDOW",
          message: blocked.body.detail.message,
          rule_name: freeze.name,
          rule_id: freeze.id,
          retry_after: blocked.body.detail.retry_after,
        },
      });
    } finally {
      await receiver.close();
    }
  });
});

describe("POST /preflight", () => {
  it("answers the dry run without recording anything", async () => {
    const product = unique("dry");
    const freeze = await rule({
      type: "schedule",
      scope: scoped(product, ["production"]),
      settings: { recurrence: "daily", timezone: "UTC", start: "00:00", end: "24:00" },
    });
    const watch = await rule({
      type: "flow",
      mode: "report_only",
      scope: scoped(product),
      settings: { prerequisites: [{ environment: "staging" }] },
    });
    const ask = (environment: string) =>
      t.call("POST", "/preflight", { product_name: product, version: "1", environment_name: environment });

    const blocked = await ask("production");
    expect(blocked.status).toBe(200);
    expect(blocked.body).toMatchObject({
      allowed: false,
      http_status: 423,
      block: { error: "deployment_blocked", code: "NO_DEPLOY_WINDOW", details: { rule_id: freeze.id } },
    });
    expect(blocked.body.rules_evaluated.map((r: { rule_id: string }) => r.rule_id)).toEqual([
      freeze.id,
      watch.id,
    ]);
    expect(blocked.body.warnings).toEqual([
      expect.objectContaining({ rule_id: watch.id, evaluation_result: "failed" }),
    ]);

    const allowed = await ask("qa");
    expect(allowed.body).toMatchObject({ allowed: true, block: null, http_status: null });
    expect(allowed.body.warnings).toHaveLength(1);
    expect(await count("preflight_failures", "product = ?", [product])).toBe(0);
    expect(await count("products", "name = ?", [product])).toBe(0);
  });

  it("is open to ingest and read keys", async () => {
    for (const scope of ["ingest", "read"]) {
      const key = await t.call("POST", "/api-keys", { name: unique(scope), scope });
      const res = await t.call(
        "POST",
        "/preflight",
        { product_name: "x", version: "1", environment_name: "production" },
        { token: key.body.token },
      );
      expect(res.status, scope).toBe(200);
    }
  });
});

describe("GET /preflight-failures", () => {
  it("pages newest first and filters by environment", async () => {
    const product = unique("pages");
    await rule({
      type: "schedule",
      scope: scoped(product),
      settings: { recurrence: "daily", timezone: "UTC", start: "00:00", end: "24:00" },
    });
    for (const environment of ["a-env", "b-env", "a-env"]) await deploy(product, "1", environment, "started");
    const first = await t.call("GET", `/preflight-failures?product=${product}&limit=2`);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await t.call(
      "GET",
      `/preflight-failures?product=${product}&limit=2&cursor=${first.body.next_cursor}`,
    );
    expect(second.body.items).toHaveLength(1);
    expect(second.body.next_cursor).toBeNull();
    expect(first.body.items[0].created_at > second.body.items[0].created_at).toBe(true);
    const onlyA = await t.call("GET", `/preflight-failures?product=${product}&environment=a-env`);
    expect(onlyA.body.items.map((f: { environment: string }) => f.environment)).toEqual(["a-env", "a-env"]);
  });
});
