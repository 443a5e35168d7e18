import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postDeployment } from "../testing/ingest-fixtures.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

// Which deployment events ingest hands to preflight (docs/governance.md): only one that would start
// a deployment, never the later events of an admitted one. A refusal records nothing but the
// refusal itself.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const deploy = (product: string, version: string, environment: string, status: string, extra: object = {}) =>
  postDeployment(t, product, version, environment, status, extra);

async function rule(body: Record<string, unknown>): Promise<{ id: string; name: string }> {
  const res = await t.call("POST", "/rules", { name: unique("rule"), ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** A freeze all day, every day, on one product's production. */
const freeze = (product: string) =>
  rule({
    type: "schedule",
    scope: { products: [product], environments: ["production"] },
    settings: { recurrence: "daily", timezone: "UTC", start: "00:00", end: "24:00" },
  });

async function count(table: string, where: string, ...args: string[]): Promise<number> {
  const result = await t.database.client.execute({
    sql: `SELECT count(*) AS n FROM ${table} WHERE ${where}`,
    args,
  });
  return Number(result.rows[0]?.n);
}

async function deploymentsOf(product: string) {
  const result = await t.database.client.execute({
    sql: "SELECT d.status, d.invoke_id FROM deployments d JOIN products p ON p.id = d.product_id WHERE p.name = ? ORDER BY d.created_at",
    args: [product],
  });
  return result.rows.map((r) => ({ status: r.status, invoke_id: r.invoke_id }));
}

describe("events that would start a deployment are judged", () => {
  it.each(["pending", "started", "completed"])(
    "refuses a new %s deployment under a freeze",
    async (status) => {
      const product = unique(`judged-${status}`);
      await freeze(product);
      const res = await deploy(product, "1", "production", status);
      expect(res.status).toBe(423);
      expect(res.body.detail.error).toBe("deployment_blocked");
      expect(await deploymentsOf(product)).toEqual([]);
      expect(await count("preflight_failures", "product = ? AND version = ?", product, "1")).toBe(1);
      expect(await count("events", "product_id IN (SELECT id FROM products WHERE name = ?)", product)).toBe(
        0,
      );
    },
  );

  it.each(["failed", "aborted"])("never judges a %s event, which starts nothing to run", async (status) => {
    const product = unique(`unjudged-${status}`);
    await freeze(product);
    const res = await deploy(product, "1", "production", status);
    expect(res.status).toBe(200);
    expect(res.body.extra_metadata).toEqual({});
    expect(await count("preflight_failures", "product = ?", product)).toBe(0);
  });

  it("records who was refused", async () => {
    const product = unique("who");
    await freeze(product);
    expect((await deploy(product, "1", "production", "started")).status).toBe(423);
    const result = await t.database.client.execute({
      sql: "SELECT actor, environment FROM preflight_failures WHERE product = ?",
      args: [product],
    });
    expect(result.rows[0]).toMatchObject({ actor: "admin@localhost", environment: "production" });
  });
});

describe("the later events of an admitted deployment are not", () => {
  it("lets a run admitted before the freeze go on and complete", async () => {
    const product = unique("run");
    await deploy(product, "1", "production", "pending", { invoke_id: "r1" });
    await freeze(product);
    const started = await deploy(product, "1", "production", "started", { invoke_id: "r1" });
    expect(started.status).toBe(200);
    const completed = await deploy(product, "1", "production", "completed", { invoke_id: "r1" });
    expect(completed.status).toBe(200);
    expect(completed.body.deployment_id).toBe(started.body.deployment_id);
    expect(await deploymentsOf(product)).toEqual([{ status: "completed", invoke_id: "r1" }]);
    // Another run of the same version is a new deployment: judged.
    expect((await deploy(product, "1", "production", "started", { invoke_id: "r2" })).status).toBe(423);
  });

  it("lets a run go on even after other deployments there", async () => {
    const product = unique("run-after");
    const pending = await deploy(product, "1", "production", "pending", { invoke_id: "r1" });
    await deploy(product, "2", "production", "completed");
    await freeze(product);
    const started = await deploy(product, "1", "production", "started", { invoke_id: "r1" });
    expect(started.status).toBe(200);
    expect(started.body.deployment_id).toBe(pending.body.deployment_id);
  });

  it("lets the open deployment without invoke_id advance while it is the latest there", async () => {
    const product = unique("open");
    await deploy(product, "1", "production", "pending");
    await freeze(product);
    const started = await deploy(product, "1", "production", "started");
    expect(started.status).toBe(200);
    expect(started.body.extra_metadata).toEqual({});
    expect((await deploy(product, "1", "production", "completed")).status).toBe(200);
    expect(await deploymentsOf(product)).toEqual([{ status: "completed", invoke_id: null }]);
  });

  it("judges a restart of an open deployment that another one followed, but lets it complete", async () => {
    const product = unique("superseded");
    await deploy(product, "1", "production", "started");
    await deploy(product, "2", "production", "completed");
    await freeze(product);
    // Version 1's open record is no longer the latest attempt: starting it again starts anew.
    expect((await deploy(product, "1", "production", "started")).status).toBe(423);
    // Its completion finishes what was admitted before the freeze.
    expect((await deploy(product, "1", "production", "completed")).status).toBe(200);
  });
});

describe("the verdict", () => {
  it("travels with the deployment: passed rules in extra_metadata.preflight_status, beside the event's own", async () => {
    const product = unique("verdict");
    const concurrency = await rule({ type: "concurrency", scope: { products: [product] } });
    const res = await deploy(product, "1", "production", "started", { extra_metadata: { ticket: "OPS-1" } });
    expect(res.status).toBe(200);
    expect(res.body.extra_metadata).toEqual({
      ticket: "OPS-1",
      preflight_status: {
        status: "passed",
        rules_evaluated: [expect.objectContaining({ rule_id: concurrency.id, evaluation_result: "passed" })],
      },
    });
  });

  it("blocks a second deployment while the first is in progress, naming it as recorded by the same batch", async () => {
    const product = unique("busy");
    await rule({ type: "concurrency", scope: { products: [product] } });
    const res = await t.call("POST", "/events/batch", {
      events: [
        {
          kind: "deployment",
          event: { product_name: product, version: "1", environment_name: "production", status: "started" },
        },
        {
          kind: "deployment",
          event: { product_name: product, version: "2", environment_name: "production", status: "started" },
        },
      ],
    });
    const [first, second] = res.body.results;
    expect(first.status).toBe(200);
    expect(second.status).toBe(409);
    expect(second.body.code).toBe("DEPLOYMENT_IN_PROGRESS");
    expect(second.body.detail.details).toMatchObject({
      conflicting_deployment_id: first.body.deployment_id,
      conflicting_deployment_status: "started",
      conflicting_deployment_started: first.body.deployed_at,
      conflicting_version: "1",
    });
  });

  it("finds the prerequisite environment of a flow by name", async () => {
    const product = unique("flow");
    const staging = unique("staging");
    await rule({
      type: "flow",
      scope: { products: [product], environments: ["production"] },
      settings: { prerequisites: [{ environment: staging }] },
    });
    expect((await deploy(product, "1", staging, "completed")).status).toBe(200);
    expect((await deploy(product, "1", "production", "started")).status).toBe(200);
    expect((await deploy(product, "2", "production", "started")).status).toBe(428);
  });
});

describe("skip_preflight_checks", () => {
  it("is honoured for a caller who may manage rules, and audited with what was deployed where", async () => {
    const product = unique("skip");
    await freeze(product);
    const res = await deploy(product, "3", "production", "started", { skip_preflight_checks: true });
    expect(res.status).toBe(200);
    expect(res.body.extra_metadata.preflight_status).toEqual({ status: "skipped", rules_evaluated: [] });
    const audit = await t.call("GET", "/audit-log?action=preflight.skip");
    const entry = audit.body.items.find((e: { target_name: string }) => e.target_name.startsWith(product));
    expect(entry).toMatchObject({
      action: "preflight.skip",
      target_type: "deployment",
      target_name: `${product} 3 → production`,
      after: { product, version: "3", environment: "production", status: "started" },
    });
  });

  it("is ignored for an ingest key, and not audited", async () => {
    const product = unique("skip-ci");
    await freeze(product);
    const key = await t.call("POST", "/api-keys", { name: unique("ci"), scope: "ingest" });
    const res = await t.call(
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
    expect(res.status).toBe(423);
    const audit = await t.call("GET", "/audit-log?action=preflight.skip");
    expect(audit.body.items.some((e: { target_name: string }) => e.target_name.startsWith(product))).toBe(
      false,
    );
  });
});
