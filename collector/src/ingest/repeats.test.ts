import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postDeployment, stateCell } from "../testing/ingest-fixtures.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

// Each case was reported as data loss (issue 9 §1): events sent as the README does, without
// Idempotency-Key or invoke_id, answered as "replayed" and never recorded.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const deploy = (product: string, version: string, environment: string, status: string, extra: object = {}) =>
  postDeployment(t, product, version, environment, status, extra);

const cell = (product: string, environment: string) => stateCell(t, product, environment);

async function deploymentsOf(product: string) {
  const list = await t.call("GET", `/deployments?product=${product}&limit=500`);
  return list.body.items as Array<{ id: string; version: string; status: string }>;
}

describe("events without a key are recorded unless they repeat the latest one", () => {
  it("records a roll-forward after a rollback within minutes", async () => {
    const product = unique("checkout");
    const first = await deploy(product, "1.5.0", "production", "completed");
    t.clock.advance(60_000);
    await deploy(product, "1.4.0", "production", "completed");
    t.clock.advance(60_000);
    const forward = await deploy(product, "1.5.0", "production", "completed");
    expect(forward.status).toBe(200);
    expect(forward.headers.get("idempotent-replayed")).toBeNull();
    expect(forward.body.deployment_id).not.toBe(first.body.deployment_id);
    expect((await cell(product, "production")).current.version).toBe("1.5.0");
    expect(await deploymentsOf(product)).toHaveLength(3);
  });

  it("records a second started/success of the same version after an earlier one finished", async () => {
    const product = unique("qa-redeploy");
    await deploy(product, "0.3.1", "qa", "started");
    t.clock.advance(10_000);
    const done = await deploy(product, "0.3.1", "qa", "success");
    t.clock.advance(60_000);
    const pending = await deploy(product, "0.3.1", "qa", "pending");
    t.clock.advance(1_000);
    const started = await deploy(product, "0.3.1", "qa", "started");
    t.clock.advance(10_000);
    const success = await deploy(product, "0.3.1", "qa", "success");
    for (const res of [started, success]) {
      expect(res.status).toBe(200);
      expect(res.headers.get("idempotent-replayed")).toBeNull();
    }
    expect(pending.body.deployment_id).not.toBe(done.body.deployment_id);
    expect(started.body.deployment_id).toBe(pending.body.deployment_id);
    expect(success.body).toMatchObject({ deployment_id: pending.body.deployment_id, status: "completed" });
    const c = await cell(product, "qa");
    expect(c.in_progress).toBeNull();
    expect(c.current.deployment_id).toBe(pending.body.deployment_id);
    expect((await deploymentsOf(product)).map((d) => d.status)).toEqual(["completed", "completed"]);
  });

  it("records the hosted product's build with full metadata after a plain build of the same version", async () => {
    const product = unique("api");
    const sha = "a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e";
    const plain = { product_name: product, version: "2.1.0", status: "completed", scm_sha: sha };
    await t.call("POST", "/build-events/", plain);
    t.clock.advance(30_000);
    const full = await t.call("POST", "/build-events/", {
      ...plain,
      scm_repository: "acme/api",
      scm_branch: "main",
      build_number: "142",
      build_url: "https://ci.example/acme/api/142",
      source_system: "github",
      built_by: "jane",
      extra_metadata: { docker_image: "acme/api:2.1.0", test_coverage: 87.5 },
    });
    expect(full.status).toBe(200);
    expect(full.headers.get("idempotent-replayed")).toBeNull();
    expect(full.body.build_number).toBe("142");
    const version = await t.call("GET", `/versions/${full.body.version_id}`);
    expect(version.body).toMatchObject({
      build_number: "142",
      extra_metadata: { docker_image: "acme/api:2.1.0", test_coverage: 87.5 },
    });
    expect(version.body.builds).toHaveLength(2);
  });

  it("answers an exact resend of the latest event as a repeat and writes nothing", async () => {
    const product = unique("resend");
    const first = await deploy(product, "1", "prod", "completed", { deployed_by: "ana" });
    t.clock.advance(5_000);
    const again = await deploy(product, "1", "prod", "success", { deployed_by: "ana" });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    expect(await deploymentsOf(product)).toHaveLength(1);
  });
});

describe("what counts as a repeat", () => {
  it("records an identical event when something else was recorded for that product and environment since", async () => {
    const product = unique("between");
    const res = await t.call("POST", "/events/batch", {
      events: ["1", "2", "1", "1"].map((version) => ({
        kind: "deployment",
        event: { product_name: product, version, environment_name: "dev", status: "completed" },
      })),
    });
    expect(res.body.accepted).toBe(4);
    const ids = res.body.results.map((r: { body: { deployment_id: string } }) => r.body.deployment_id);
    expect(new Set(ids.slice(0, 3)).size).toBe(3);
    expect(ids[3]).toBe(ids[2]);
    expect(await deploymentsOf(product)).toHaveLength(3);
  });

  it("keeps other products and environments out of the comparison", async () => {
    const product = unique("streams");
    const first = await deploy(product, "1", "dev", "completed");
    await deploy(product, "2", "qa", "completed");
    await deploy(unique("other"), "2", "dev", "completed");
    const again = await deploy(product, "1", "dev", "completed");
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
  });

  it("records an identical event without invoke_id after the window as a redeploy, never one with an invoke_id", async () => {
    const product = unique("window");
    const first = await deploy(product, "1", "dev", "completed");
    const run = await deploy(product, "1", "qa", "completed", { invoke_id: "run-7" });
    t.clock.advance(601_000);
    const redeploy = await deploy(product, "1", "dev", "completed");
    expect(redeploy.headers.get("idempotent-replayed")).toBeNull();
    expect(redeploy.body.deployment_id).not.toBe(first.body.deployment_id);
    const retry = await deploy(product, "1", "qa", "completed", { invoke_id: "run-7" });
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.body).toEqual(run.body);
  });

  it("compares with events stored before hashes existed by hashing their payload", async () => {
    const product = unique("legacy");
    const body = { product_name: product, version: "1", environment_name: "dev", status: "completed" };
    const headers = { "idempotency-key": unique("legacy-key") };
    const keyed = await t.call("POST", "/deployment-events", body, { headers });
    const plain = await deploy(product, "1", "prod", "completed");
    await t.database.client.execute({
      sql: "UPDATE events SET body_hash = NULL WHERE id IN (?, ?)",
      args: [keyed.body.event_id, plain.body.event_id],
    });
    const replay = await t.call("POST", "/deployment-events", body, { headers });
    expect(replay.body).toEqual(keyed.body);
    const reused = await t.call("POST", "/deployment-events", { ...body, version: "2" }, { headers });
    expect(reused.body.code).toBe("IDEMPOTENCY_KEY_REUSED");
    const resend = await deploy(product, "1", "prod", "Success");
    expect(resend.headers.get("idempotent-replayed")).toBe("true");
    expect(resend.body).toEqual(plain.body);
  });
});

describe("lifecycle without invoke_id", () => {
  it("starts a new deployment when the open one is no longer the latest there, and closes the open one", async () => {
    const product = unique("stale-open");
    const stale = await deploy(product, "1.5.0", "production", "started");
    t.clock.advance(60_000);
    await deploy(product, "1.4.0", "production", "completed");
    t.clock.advance(60_000);
    const forward = await deploy(product, "1.5.0", "production", "completed");
    expect(forward.body.deployment_id).not.toBe(stale.body.deployment_id);
    const c = await cell(product, "production");
    expect(c.current.version).toBe("1.5.0");
    expect(c.in_progress).toBeNull();
    const byId = new Map((await deploymentsOf(product)).map((d) => [d.id, d.status]));
    expect(byId.get(stale.body.deployment_id)).toBe("aborted");
    expect([...byId.values()].filter((status) => status === "started")).toEqual([]);
  });

  it("advances the open deployment while it is the latest there, whatever other environments do", async () => {
    const product = unique("latest-open");
    const started = await deploy(product, "2.0.0", "staging", "started");
    await deploy(product, "1.9.0", "production", "completed");
    const done = await deploy(product, "2.0.0", "staging", "completed");
    expect(done.body.deployment_id).toBe(started.body.deployment_id);
  });

  it("closes the open deployment without invoke_id when a run completes the same version there", async () => {
    const product = unique("mixed");
    const plain = await deploy(product, "4.0.0", "production", "started");
    const other = await deploy(product, "3.9.0", "production", "started");
    const run = await deploy(product, "4.0.0", "production", "completed", { invoke_id: "gha-1" });
    const byId = new Map((await deploymentsOf(product)).map((d) => [d.id, d.status]));
    expect(byId.get(plain.body.deployment_id)).toBe("aborted");
    expect(byId.get(run.body.deployment_id)).toBe("completed");
    // Another version's open deployment is not this run's business.
    expect(byId.get(other.body.deployment_id)).toBe("started");
  });

  it("applies the same rule to builds of a version", async () => {
    const product = unique("build-runs");
    const base = { product_name: product, version: "3.0.0" };
    const stale = await t.call("POST", "/build-events", { ...base, status: "started" });
    await t.call("POST", "/build-events", { ...base, status: "started", invoke_id: "ci-2" });
    const done = await t.call("POST", "/build-events", { ...base, status: "completed" });
    expect(done.body.build_id).not.toBe(stale.body.build_id);
    const version = await t.call("GET", `/versions/${done.body.version_id}`);
    const statuses = new Map(
      version.body.builds.map((b: { id: string; status: string }) => [b.id, b.status] as const),
    );
    expect(statuses.get(stale.body.build_id)).toBe("aborted");
    expect(statuses.get(done.body.build_id)).toBe("completed");
  });
});

describe("Idempotency-Key", () => {
  it("refuses the same key with a different body with 409 IDEMPOTENCY_KEY_REUSED naming the key", async () => {
    const product = unique("reused");
    const key = unique("deploy-key");
    const headers = { "idempotency-key": key };
    const body = { product_name: product, version: "1", environment_name: "staging", status: "completed" };
    const first = await t.call("POST", "/deployment-events", body, { headers });
    expect(first.status).toBe(200);
    const other = await t.call(
      "POST",
      "/deployment-events",
      { ...body, environment_name: "production" },
      { headers },
    );
    expect(other.status).toBe(409);
    expect(other.body.code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(other.body.detail).toContain(key);
    expect(await deploymentsOf(product)).toHaveLength(1);
    // The original request stays replayable.
    const replay = await t.call("POST", "/deployment-events", body, { headers });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body).toEqual(first.body);
  });

  it("refuses a key reused for the other event kind instead of replaying the wrong response", async () => {
    const product = unique("kinds");
    const headers = { "idempotency-key": unique("kind-key") };
    const build = await t.call(
      "POST",
      "/build-events",
      { product_name: product, version: "1", status: "completed" },
      { headers },
    );
    expect(build.status).toBe(200);
    const deployment = await t.call(
      "POST",
      "/deployment-events",
      { product_name: product, version: "1", environment_name: "dev", status: "completed" },
      { headers },
    );
    expect(deployment.status).toBe(409);
    expect(deployment.body.code).toBe("IDEMPOTENCY_KEY_REUSED");
  });

  it("replays a resend whose JSON differs only in key order, aliases and spelling of the same values", async () => {
    const product = unique("canonical");
    const headers = { "idempotency-key": unique("canon-key") };
    const first = await t.call(
      "POST",
      "/deployment-events",
      {
        product_name: product,
        version: "1",
        environment_name: "dev",
        status: "success",
        extra_metadata: { a: 1, b: { c: 2, d: 3 } },
      },
      { headers },
    );
    const again = await t.call(
      "POST",
      "/deployment-events",
      {
        extra_metadata: { b: { d: 3, c: 2 }, a: 1 },
        status: "completed",
        environment_name: "dev",
        version: "1",
        product_name: product,
        deployed_by: null,
      },
      { headers },
    );
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
  });

  it("answers 409 per item inside a batch", async () => {
    const product = unique("batch-reused");
    const key = unique("batch-key");
    const event = { product_name: product, version: "1", environment_name: "dev", status: "completed" };
    const res = await t.call("POST", "/events/batch", {
      events: [
        { kind: "deployment", idempotency_key: key, event },
        { kind: "deployment", idempotency_key: key, event: { ...event, version: "2" } },
        { kind: "deployment", idempotency_key: key, event },
      ],
    });
    expect(res.body.results.map((r: { status: number }) => r.status)).toEqual([200, 409, 200]);
    expect(res.body.results[1].body.code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(res.body.results[2].body).toEqual(res.body.results[0].body);
    expect(await deploymentsOf(product)).toHaveLength(1);
  });
});
