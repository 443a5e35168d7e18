import { BuildEventResponse, DeploymentEventResponse } from "@versioner/schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postDeployment, stateCell } from "../testing/ingest-fixtures.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

async function count(table: string): Promise<number> {
  const result = await t.database.client.execute(`SELECT count(*) AS n FROM ${table}`);
  return Number(result.rows[0]?.n);
}

async function counts() {
  const tables = ["products", "versions", "builds", "environments", "deployments", "events", "current_state"];
  return Object.fromEntries(await Promise.all(tables.map(async (name) => [name, await count(name)])));
}

const deploy = (product: string, version: string, environment: string, status: string, extra: object = {}) =>
  postDeployment(t, product, version, environment, status, extra);

const cell = (product: string, environment: string) => stateCell(t, product, environment);

describe("build events", () => {
  it("auto-creates the product and version and answers with the hosted response shape", async () => {
    const product = unique("svc");
    const res = await t.call("POST", "/build-events/", {
      product_name: product,
      version: "1.2.3",
      status: "Success",
      scm_sha: "abcdef1234567890",
      build_number: 42,
      build_url: "https://ci.example/42",
      extra_metadata: { docker_image: "svc:1.2.3" },
    });
    expect(res.status).toBe(200);
    expect(BuildEventResponse.parse(res.body)).toBeTruthy();
    expect(res.body).toMatchObject({
      product_name: product,
      version: "1.2.3",
      status: "completed",
      build_number: "42",
    });
    expect(res.body.id).toBe(res.body.build_id);
    const version = await t.call("GET", `/versions/${res.body.version_id}`);
    expect(version.body).toMatchObject({
      status: "completed",
      scm_sha: "abcdef1234567890",
      product_name: product,
    });
    expect(version.body.builds).toHaveLength(1);
    expect((await t.call("GET", `/products/${product}`)).body.id).toBe(res.body.product_id);
  });

  it("accepts the older /version-events/ path", async () => {
    const res = await t.call("POST", "/version-events/", {
      product_name: unique("old"),
      version: "1",
      status: "built",
    });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("completed");
  });

  it("rejects the same version with another SHA with 409 VERSION_SHA_CONFLICT and writes nothing", async () => {
    const product = unique("immutable");
    await t.call("POST", "/build-events", {
      product_name: product,
      version: "2.0.0",
      status: "completed",
      scm_sha: "a".repeat(40),
    });
    const before = await counts();
    for (const path of ["/build-events", "/deployment-events"]) {
      const res = await t.call("POST", path, {
        product_name: product,
        version: "2.0.0",
        environment_name: "prod",
        status: "completed",
        scm_sha: "b".repeat(40),
      });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe("VERSION_SHA_CONFLICT");
      expect(res.body.detail).toContain("2.0.0");
      expect(res.body.request_id).toBeTruthy();
    }
    expect(await counts()).toEqual(before);
  });

  it("treats an abbreviated SHA as the same commit and keeps the longer one", async () => {
    const product = unique("short-sha");
    const sha = "0123456789abcdef0123456789abcdef01234567";
    await t.call("POST", "/build-events", {
      product_name: product,
      version: "1",
      status: "started",
      scm_sha: sha.slice(0, 7),
    });
    const res = await t.call("POST", "/build-events", {
      product_name: product,
      version: "1",
      status: "completed",
      scm_sha: sha,
    });
    expect(res.status).toBe(200);
    expect(res.body.scm_sha).toBe(sha);
  });

  it("advances one build record per invoke_id and keeps re-runs visible", async () => {
    const product = unique("builds");
    const base = { product_name: product, version: "7", scm_sha: "c".repeat(40) };
    const first = await t.call("POST", "/build-events", { ...base, status: "started", invoke_id: "run-1" });
    const done = await t.call("POST", "/build-events", { ...base, status: "failed", invoke_id: "run-1" });
    expect(done.body.build_id).toBe(first.body.build_id);
    expect(done.body.status).toBe("failed");
    const rerun = await t.call("POST", "/build-events", { ...base, status: "completed", invoke_id: "run-2" });
    expect(rerun.body.build_id).not.toBe(first.body.build_id);
    const version = await t.call("GET", `/versions/${rerun.body.version_id}`);
    expect(version.body.builds.map((b: { status: string }) => b.status).sort()).toEqual([
      "completed",
      "failed",
    ]);
    expect(version.body.status).toBe("completed");
  });
});

describe("validation", () => {
  it("normalises every status alias, case-insensitively and trimmed", async () => {
    const product = unique("aliases");
    const cases: Array<[string, string]> = [
      [" QUEUED ", "pending"],
      ["In_Progress", "started"],
      ["deploying", "started"],
      ["Success", "completed"],
      ["error", "failed"],
      ["Canceled", "aborted"],
      ["skipped", "aborted"],
    ];
    for (const [index, [input, expected]] of cases.entries()) {
      const res = await deploy(product, `v${index}`, "dev", input);
      expect(res.status, input).toBe(200);
      expect(res.body.status).toBe(expected);
    }
  });

  it("answers 422 naming the field for an unknown status and for a missing field", async () => {
    const bogus = await deploy(unique("bad"), "1", "dev", "bogus");
    expect(bogus.status).toBe(422);
    expect(bogus.body.code).toBe("VALIDATION_ERROR");
    expect(bogus.body.detail[0]).toMatchObject({ loc: ["body", "status"] });
    const missing = await t.call("POST", "/deployment-events", {
      product_name: "x",
      version: "1",
      status: "completed",
    });
    expect(missing.status).toBe(422);
    expect(missing.body.detail).toEqual([
      { loc: ["body", "environment_name"], msg: "Field required", type: "missing" },
    ]);
  });

  it("rejects metadata that is not an object or is over 100 KB", async () => {
    const notObject = await deploy(unique("meta"), "1", "dev", "completed", { extra_metadata: [1, 2] });
    expect(notObject.status).toBe(422);
    expect(notObject.body.detail[0].loc).toEqual(["body", "extra_metadata"]);
    const big = await deploy(unique("meta"), "1", "dev", "completed", {
      extra_metadata: { blob: "x".repeat(101 * 1024) },
    });
    expect(big.status).toBe(422);
    expect(big.body.detail[0].loc).toEqual(["body", "extra_metadata"]);
  });

  it("answers 400 for malformed JSON and 413 above the body limit", async () => {
    const malformed = await t.call("POST", "/build-events", "{not json");
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ code: "INVALID_JSON", detail: "Invalid JSON in request body" });
    const huge = await t.call("POST", "/build-events", {
      product_name: "x",
      version: "1",
      status: "ok",
      pad: "y".repeat(1024 * 1024),
    });
    expect(huge.status).toBe(413);
    expect(huge.body.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("rejects a timestamp that is not RFC 3339", async () => {
    const res = await deploy(unique("time"), "1", "dev", "completed", { completed_at: "yesterday" });
    expect(res.status).toBe(422);
    expect(res.body.detail[0].loc).toEqual(["body", "completed_at"]);
  });
});

describe("deployment events", () => {
  it("auto-creates product, version and environment with an inferred type", async () => {
    const product = unique("auto");
    const environment = unique("preprod");
    const res = await deploy(product, "3.1.4", environment, "completed", { deployed_by: "ana" });
    expect(res.status).toBe(200);
    expect(DeploymentEventResponse.parse(res.body)).toBeTruthy();
    expect(res.body.id).toBe(res.body.deployment_id);
    const env = await t.call("GET", `/environments/${environment}`);
    expect(env.body.type).toBe("staging");
    const version = await t.call("GET", `/versions/${res.body.version_id}`);
    expect(version.body.status).toBeNull();
    expect((await cell(product, environment)).current).toMatchObject({
      version: "3.1.4",
      deployed_by: "ana",
    });
  });

  it("advances one deployment per invoke_id: started shows in progress, completed makes it current", async () => {
    const product = unique("lifecycle");
    const started = await deploy(product, "1.0", "prod", "started", { invoke_id: "job-9" });
    expect((await cell(product, "prod")).in_progress).toMatchObject({ version: "1.0", status: "started" });
    t.clock.advance(60_000);
    const completed = await deploy(product, "1.0", "prod", "completed", { invoke_id: "job-9" });
    expect(completed.body.deployment_id).toBe(started.body.deployment_id);
    expect(completed.body.event_id).not.toBe(started.body.event_id);
    const c = await cell(product, "prod");
    expect(c.current.version).toBe("1.0");
    expect(c.in_progress).toBeNull();
    const list = await t.call("GET", `/deployments?product=${product}`);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({
      status: "completed",
      product_name: product,
      environment_name: "prod",
    });
  });

  it("without invoke_id, a finishing event advances the open deployment; a later one is a redeploy", async () => {
    const product = unique("no-invoke");
    const started = await deploy(product, "1", "qa", "started");
    t.clock.advance(1000);
    const done = await deploy(product, "1", "qa", "completed");
    expect(done.body.deployment_id).toBe(started.body.deployment_id);
    t.clock.advance(3600_000);
    const redeploy = await deploy(product, "1", "qa", "completed");
    expect(redeploy.body.deployment_id).not.toBe(started.body.deployment_id);
  });

  it("never moves a deployment backwards when events arrive out of order", async () => {
    const product = unique("order");
    await deploy(product, "1", "prod", "completed", { invoke_id: "r1" });
    const late = await deploy(product, "1", "prod", "started", { invoke_id: "r1" });
    expect(late.status).toBe(200);
    expect(late.body.status).toBe("completed");
    expect((await cell(product, "prod")).in_progress).toBeNull();
  });

  it("marks a failed latest attempt while the previous version stays current", async () => {
    const product = unique("failing");
    await deploy(product, "1", "production", "completed");
    t.clock.advance(1000);
    await deploy(product, "2", "production", "failed");
    const c = await cell(product, "production");
    expect(c.current.version).toBe("1");
    expect(c.failed).toMatchObject({ version: "2", status: "failed" });
    t.clock.advance(1000);
    await deploy(product, "3", "production", "completed");
    const after = await cell(product, "production");
    expect(after.current.version).toBe("3");
    expect(after.failed).toBeNull();
  });

  it("keeps the newest completed deployment current when an older one is backfilled", async () => {
    const product = unique("backfill");
    await deploy(product, "new", "prod", "completed", { completed_at: "2026-02-10T00:00:00Z" });
    await deploy(product, "old", "prod", "completed", { completed_at: "2026-01-10T00:00:00Z" });
    expect((await cell(product, "prod")).current.version).toBe("new");
  });
});

describe("idempotency", () => {
  it("replays the original response for a repeated Idempotency-Key and writes nothing", async () => {
    const product = unique("idem");
    const headers = { "idempotency-key": unique("key") };
    const body = { product_name: product, version: "1", environment_name: "prod", status: "completed" };
    const first = await t.call("POST", "/deployment-events", body, { headers });
    const before = await counts();
    t.clock.advance(24 * 3600_000);
    const second = await t.call("POST", "/deployment-events", body, { headers });
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(await counts()).toEqual(before);
  });

  it("treats the same event as the latest one, within the window, as a repeat", async () => {
    const product = unique("natural");
    const first = await deploy(product, "1", "prod", "completed");
    const before = await counts();
    t.clock.advance(30_000);
    const again = await deploy(product, "1", "prod", "completed");
    expect(again.body).toEqual(first.body);
    expect(await counts()).toEqual(before);
  });

  it("keeps the same event with an invoke_id as the latest one a repeat however late", async () => {
    const product = unique("natural-invoke");
    const first = await deploy(product, "1", "prod", "started", { invoke_id: "x1" });
    t.clock.advance(7 * 24 * 3600_000);
    const again = await deploy(product, "1", "prod", "started", { invoke_id: "x1" });
    expect(again.body).toEqual(first.body);
  });
});

describe("batch", () => {
  it("records each event separately in one transaction", async () => {
    const product = unique("batch");
    const res = await t.call("POST", "/events/batch", {
      events: [
        {
          kind: "build",
          event: { product_name: product, version: "1", status: "completed", scm_sha: "d".repeat(40) },
        },
        {
          kind: "deployment",
          event: { product_name: product, version: "1", environment_name: "dev", status: "completed" },
        },
        {
          kind: "deployment",
          event: { product_name: product, version: "1", environment_name: "dev", status: "nope" },
        },
        {
          kind: "build",
          event: { product_name: product, version: "1", status: "completed", scm_sha: "e".repeat(40) },
        },
        {
          kind: "deployment",
          event: { product_name: product, version: "2", environment_name: "prod", status: "completed" },
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { status: number }) => r.status)).toEqual([200, 200, 422, 409, 200]);
    expect(res.body).toMatchObject({ accepted: 3, rejected: 2 });
    expect(res.body.results[2].body.detail[0].loc).toEqual(["body", "events", 2, "event", "status"]);
    expect(res.body.results[3].body.code).toBe("VERSION_SHA_CONFLICT");
    expect((await cell(product, "prod")).current.version).toBe("2");
    expect(res.body.results[1].body.product_id).toBe(res.body.results[0].body.product_id);
  });

  it("refuses more than 1000 events", async () => {
    const events = Array.from({ length: 1001 }, (_, i) => ({
      kind: "build",
      event: { product_name: "p", version: String(i), status: "completed" },
    }));
    const res = await t.call("POST", "/events/batch", { events });
    expect(res.status).toBe(422);
    expect(res.body.detail[0].loc).toEqual(["body", "events"]);
  });

  it("is idempotent per item key", async () => {
    const product = unique("batch-idem");
    const item = {
      kind: "deployment",
      idempotency_key: unique("bk"),
      event: { product_name: product, version: "1", environment_name: "dev", status: "completed" },
    };
    const first = await t.call("POST", "/events/batch", { events: [item, item] });
    expect(first.body.results[1].body).toEqual(first.body.results[0].body);
    const list = await t.call("GET", `/deployments?product=${product}`);
    expect(list.body.items).toHaveLength(1);
  });
});
