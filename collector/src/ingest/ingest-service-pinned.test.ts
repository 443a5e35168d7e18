import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postDeployment, stateCell } from "../testing/ingest-fixtures.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

// Rules of ingest-service.ts that the other ingest tests leave open, each shown through the API.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const deploy = (product: string, version: string, environment: string, status: string, extra: object = {}) =>
  postDeployment(t, product, version, environment, status, extra);

async function rowOf(app: TestApp, table: string, where: string, ...args: string[]) {
  const result = await app.database.client.execute({ sql: `SELECT * FROM ${table} WHERE ${where}`, args });
  return result.rows[0] as unknown as Record<string, unknown>;
}

async function receivedAt(eventId: string): Promise<string> {
  return String((await rowOf(t, "events", "id = ?", eventId)).received_at);
}

describe("environments created by a deployment", () => {
  it("start at sort order 10 on an empty collector, typed from the name, with no description", async () => {
    const fresh = await createTestApp();
    try {
      const res = await postDeployment(fresh, unique("env"), "1", "staging-eu", "completed");
      const row = await rowOf(fresh, "environments", "id = ?", res.body.environment_id);
      const now = String((await rowOf(fresh, "events", "id = ?", res.body.event_id)).received_at);
      expect(row).toMatchObject({
        name: "staging-eu",
        type: "staging",
        description: null,
        metadata: "{}",
        sort_order: 10,
        created_at: now,
        updated_at: now,
      });
    } finally {
      fresh.close();
    }
  });
});

describe("products created by an event", () => {
  it("have no description and no metadata", async () => {
    const product = unique("new-product");
    const res = await t.call("POST", "/build-events", {
      product_name: product,
      version: "1",
      status: "started",
    });
    const now = await receivedAt(res.body.event_id);
    expect(await rowOf(t, "products", "id = ?", res.body.product_id)).toMatchObject({
      name: product,
      description: null,
      extra_metadata: "{}",
      created_at: now,
      updated_at: now,
    });
  });
});

describe("SHA comparison", () => {
  it("ignores case in full SHAs and in abbreviations", async () => {
    const product = unique("sha-case");
    const sha = "ABCDEF0123456789ABCDEF0123456789ABCDEF01";
    expect((await deploy(product, "1", "prod", "completed", { scm_sha: sha })).status).toBe(200);
    expect((await deploy(product, "1", "prod", "completed", { scm_sha: sha.toLowerCase() })).status).toBe(
      200,
    );
    expect(
      (await deploy(product, "1", "prod", "completed", { scm_sha: sha.slice(0, 8).toLowerCase() })).status,
    ).toBe(200);
    const other = await deploy(product, "1", "prod", "completed", { scm_sha: "b".repeat(40) });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe("VERSION_SHA_CONFLICT");
  });
});

describe("Idempotency-Key reuse", () => {
  it("names the key and the kind of event it was used for", async () => {
    const key = unique("key");
    const headers = { "idempotency-key": key };
    const product = unique("idem");
    await t.call(
      "POST",
      "/build-events",
      { product_name: product, version: "1", status: "started" },
      { headers },
    );
    const res = await t.call(
      "POST",
      "/deployment-events",
      { product_name: product, version: "1", environment_name: "prod", status: "started" },
      { headers },
    );
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({
      code: "IDEMPOTENCY_KEY_REUSED",
      detail: `Idempotency-Key '${key}' was already used for another request (a build event with a different body); send a new key for a new event`,
    });
  });
});

describe("deployment responses", () => {
  it("carry every field of the deployment as recorded", async () => {
    const product = unique("resp");
    const res = await deploy(product, "1", "prod", "failed", {
      deployed_by: "jdoe",
      deployed_by_email: "jdoe@example.com",
      deployed_by_name: "Jane Doe",
      deploy_url: "https://ci.example.com/1",
      source_system: "gitlab",
      extra_metadata: { ticket: "OPS-1" },
      completed_at: "2026-02-28T10:00:00Z",
    });
    expect(res.body).toEqual({
      id: res.body.deployment_id,
      deployment_id: expect.any(String),
      event_id: expect.any(String),
      product_id: expect.any(String),
      product_name: product,
      version_id: expect.any(String),
      version: "1",
      environment_id: expect.any(String),
      environment_name: "prod",
      status: "failed",
      deployed_at: "2026-02-28T10:00:00.000Z",
      completed_at: "2026-02-28T10:00:00.000Z",
      deployed_by: "jdoe",
      deployed_by_email: "jdoe@example.com",
      deployed_by_name: "Jane Doe",
      deploy_url: "https://ci.example.com/1",
      source_system: "gitlab",
      extra_metadata: { ticket: "OPS-1" },
    });
    const cell = await stateCell(t, product, "prod");
    expect(cell.current).toBeNull();
  });
});

describe("unknown fields of a single event", () => {
  it.each([
    ["/build-events", { product_name: "p", version: "1", status: "started" }],
    ["/deployment-events", { product_name: "p", version: "1", environment_name: "prod", status: "started" }],
  ])("are refused on %s when nested too deep, naming the path from the body", async (path, event) => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { d: deep };
    const res = await t.call("POST", path, { ...event, product_name: unique("deep"), custom: deep });
    expect(res.status).toBe(422);
    expect(JSON.stringify(res.body.detail)).toContain('"loc":["body","custom"');
  });
});

describe("the event row", () => {
  async function eventRow(id: string) {
    const row = await rowOf(t, "events", "id = ?", id);
    return { ...row, payload: JSON.parse(String(row.payload)), response: JSON.parse(String(row.response)) };
  }

  it("keeps a build's raw payload, its response, record, key and hash, with no environment", async () => {
    const product = unique("row-build");
    const key = unique("key");
    const body = { product_name: product, version: "1", status: "Success", custom_field: { a: 1 } };
    const res = await t.call("POST", "/build-events", body, { headers: { "idempotency-key": key } });
    expect(await eventRow(res.body.event_id)).toMatchObject({
      kind: "build",
      idempotency_key: key,
      body_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      product_id: res.body.product_id,
      version_id: res.body.version_id,
      environment_id: null,
      record_id: res.body.build_id,
      status: "completed",
      payload: body,
      response: res.body,
    });
  });

  it("keeps a deployment's environment and record, and no key when none was sent", async () => {
    const res = await deploy(unique("row-deploy"), "1", "prod", "started");
    expect(await eventRow(res.body.event_id)).toMatchObject({
      kind: "deployment",
      idempotency_key: null,
      environment_id: res.body.environment_id,
      record_id: res.body.deployment_id,
      status: "started",
      response: res.body,
    });
  });
});

describe("Idempotency-Key on events stored before hashes existed", () => {
  it("compares by hashing the stored payload: the same body replays, another is refused", async () => {
    const product = unique("legacy-key");
    const key = unique("key");
    const headers = { "idempotency-key": key };
    const body = { product_name: product, version: "1", environment_name: "prod", status: "completed" };
    const first = await t.call("POST", "/deployment-events", body, { headers });
    await t.database.client.execute({
      sql: "UPDATE events SET body_hash = NULL WHERE id = ?",
      args: [first.body.event_id],
    });
    const again = await t.call("POST", "/deployment-events", { ...body, status: "success" }, { headers });
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.event_id).toBe(first.body.event_id);
    const other = await t.call("POST", "/deployment-events", { ...body, status: "failed" }, { headers });
    expect(other.status).toBe(409);
  });
});

describe("build responses for a known product", () => {
  it("list no buttons when the product has none", async () => {
    const product = unique("no-buttons");
    await t.call("POST", "/build-events", { product_name: product, version: "1", status: "started" });
    const res = await t.call("POST", "/build-events", {
      product_name: product,
      version: "2",
      status: "started",
    });
    expect(res.body.buttons).toEqual([]);
  });
});

describe("SHA edge cases", () => {
  it("accepts the same short SHA again, and keeps the stored spelling of a full one", async () => {
    const product = unique("sha-short");
    expect((await deploy(product, "1", "prod", "completed", { scm_sha: "abc" })).status).toBe(200);
    expect((await deploy(product, "1", "prod", "failed", { scm_sha: "ABC" })).status).toBe(200);
    const other = unique("sha-spelling");
    const sha = "abcdef0123456789abcdef0123456789abcdef01";
    const first = await deploy(other, "1", "prod", "completed", { scm_sha: sha });
    await deploy(other, "1", "prod", "completed", { scm_sha: sha.toUpperCase() });
    expect((await rowOf(t, "versions", "id = ?", first.body.version_id)).scm_sha).toBe(sha);
  });
});

describe("build runs", () => {
  const build = (product: string, status: string, extra: object = {}) =>
    t.call("POST", "/build-events", { product_name: product, version: "1", status, ...extra });

  it("advance by invoke_id even after other builds of the version", async () => {
    const product = unique("run-build");
    const run = await build(product, "started", { invoke_id: "r1" });
    await build(product, "started");
    const done = await build(product, "completed", { invoke_id: "r1" });
    expect(done.body.build_id).toBe(run.body.build_id);
  });

  it("take a second event of the same rank", async () => {
    const product = unique("same-rank");
    const run = await build(product, "started", { invoke_id: "r1" });
    const again = await build(product, "started", { invoke_id: "r1", build_url: "https://ci.example.com/2" });
    expect(again.body.build_id).toBe(run.body.build_id);
    expect(again.body.build_url).toBe("https://ci.example.com/2");
  });
});
