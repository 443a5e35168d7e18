import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config.ts";
import { type DomainEvent, DomainEventBus } from "../events/domain-events.ts";
import { createApp } from "../http/app.ts";
import { createLogger } from "../logger.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

function deploy(app: TestApp, product: string, version: string, environment: string, status = "completed") {
  return app.call("POST", "/deployment-events", {
    product_name: product,
    version,
    environment_name: environment,
    status,
  });
}

type Cell = { environment_name: string; status: string; deployment_id: string | null };
type Row = { product_name: string; cells: Cell[] };

/** product name → environment name → cell status */
function grid(body: { products: Row[] }) {
  return Object.fromEntries(
    body.products.map((p) => [
      p.product_name,
      Object.fromEntries(p.cells.map((c) => [c.environment_name, c.status])),
    ]),
  );
}

describe("the seed workflow", () => {
  let seed: TestApp;
  beforeAll(async () => {
    // A database of its own: targets default to every production environment there is.
    seed = await createTestApp();
  });
  afterAll(() => seed.close());

  it("User Platform v2.0 goes dev → staging → production and completes; a failure shows in the grid", async () => {
    const members = [
      ["user-service", "1.2.3"],
      ["auth-service", "2.1.0"],
      ["api-gateway", "3.0.1"],
    ] as const;
    for (const [product, version] of members) {
      await seed.call("POST", "/build-events", { product_name: product, version, status: "completed" });
    }
    const created = await seed.call("POST", "/releases", {
      name: "User Platform v2.0",
      description: "Q3 platform",
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: "draft", target_environments: [] });
    for (const [product_name, version] of members) {
      const added = await seed.call("POST", "/releases/User Platform v2.0/versions", {
        product_name,
        version,
      });
      expect(added.status).toBe(201);
    }
    const progress = () => seed.call("GET", `/releases/${created.body.id}/progress`);

    await deploy(seed, "user-service", "1.2.3", "dev");
    expect((await seed.call("GET", `/releases/${created.body.id}`)).body.status).toBe("in_progress");
    for (const [product, version] of members.slice(1)) await deploy(seed, product, version, "dev");
    for (const [product, version] of members) await deploy(seed, product, version, "staging");

    // A failed production attempt shows as failed; the release stays in progress.
    await deploy(seed, "api-gateway", "3.0.1", "production", "failed");
    await deploy(seed, "user-service", "1.2.3", "production", "started");
    let body = (await progress()).body;
    expect(grid(body)).toEqual({
      "api-gateway": { dev: "deployed", staging: "deployed", production: "failed" },
      "auth-service": { dev: "deployed", staging: "deployed", production: "not_deployed" },
      "user-service": { dev: "deployed", staging: "deployed", production: "in_progress" },
    });
    expect(body.environments.map((e: { name: string; target: boolean }) => [e.name, e.target])).toEqual([
      ["dev", false],
      ["staging", false],
      ["production", true],
    ]);
    expect(body.summary).toEqual({ deployed: 0, in_progress: 1, failed: 1, not_deployed: 1 });
    expect(body.release.status).toBe("in_progress");

    await deploy(seed, "user-service", "1.2.3", "production");
    await deploy(seed, "auth-service", "2.1.0", "production");
    expect((await seed.call("GET", `/releases/${created.body.id}`)).body.status).toBe("in_progress");
    await deploy(seed, "api-gateway", "3.0.1", "production");
    body = (await progress()).body;
    expect(body.release.status).toBe("completed");
    expect(body.release.completed_at).not.toBeNull();
    expect(Object.values(grid(body)).every((row) => row.production === "deployed")).toBe(true);
    const cell = body.products[0].cells.find((c: Cell) => c.environment_name === "production");
    expect(cell.deployment_id).toEqual(expect.any(String));

    // Completed releases are closed to membership changes.
    const late = await seed.call("POST", `/releases/${created.body.id}/versions`, {
      product_name: "user-service",
      version: "1.2.3",
    });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe("RELEASE_CLOSED");
  });
});

describe("releases", () => {
  it("creates, reads by id or name, edits, lists by status with a cursor, and audits each change", async () => {
    const name = unique("rel");
    const [prod] = [unique("prod")];
    await t.call("POST", "/environments", { name: prod, type: "production" });
    const created = await t.call("POST", "/releases", {
      name,
      extra_metadata: { jira: "REL-1" },
      target_environments: [prod],
    });
    expect(created.body).toMatchObject({ name, status: "draft", target_environments: [prod] });
    expect((await t.call("GET", `/releases/${name}`)).body.id).toBe(created.body.id);
    const edited = await t.call("PATCH", `/releases/${created.body.id}`, {
      description: "d",
      name: `${name}-b`,
    });
    expect(edited.body).toMatchObject({
      description: "d",
      name: `${name}-b`,
      extra_metadata: { jira: "REL-1" },
    });
    expect((await t.call("POST", "/releases", { name: `${name}-b` })).body.code).toBe("NAME_TAKEN");
    const unknown = await t.call("POST", "/releases", {
      name: unique("rel"),
      target_environments: ["nowhere"],
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.detail[0].loc).toEqual(["body", "target_environments", 0]);

    for (const i of [1, 2, 3]) {
      await t.call("POST", "/releases", { name: `${name}-page-${i}` });
      t.clock.advance(1000);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: Array<{ name: string }>; next_cursor: string | null } } = await t.call(
        "GET",
        `/releases?status=draft&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      seen.push(...res.body.items.map((r) => r.name));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen.filter((n) => n.startsWith(`${name}-page`))).toEqual([
      `${name}-page-3`,
      `${name}-page-2`,
      `${name}-page-1`,
    ]);
    expect((await t.call("GET", "/releases?status=bogus")).status).toBe(422);

    const cancelled = await t.call("POST", `/releases/${created.body.id}/cancel`);
    expect(cancelled.body).toMatchObject({ status: "cancelled", cancelled_at: expect.any(String) });
    expect((await t.call("POST", `/releases/${created.body.id}/cancel`)).status).toBe(200);
    expect((await t.call("PATCH", `/releases/${created.body.id}`, { description: "x" })).status).toBe(409);
    const cancelledOnly = await t.call("GET", "/releases?status=cancelled");
    expect(cancelledOnly.body.items.map((r: { id: string }) => r.id)).toContain(created.body.id);

    const audit = await t.database.client.execute({
      sql: "SELECT action FROM audit_log WHERE target_id = ? ORDER BY at, rowid",
      args: [created.body.id],
    });
    expect(audit.rows.map((r) => r.action)).toEqual(["release.create", "release.update", "release.cancel"]);
  });

  it("holds at most one version per product: 409 unless replace, by name+version or version_id", async () => {
    const product = unique("member");
    const v1 = await t.call("POST", "/build-events", {
      product_name: product,
      version: "1",
      status: "completed",
    });
    const v2 = await t.call("POST", "/build-events", {
      product_name: product,
      version: "2",
      status: "completed",
    });
    const release = (await t.call("POST", "/releases", { name: unique("rel-members") })).body;
    const path = `/releases/${release.id}/versions`;
    expect((await t.call("POST", path, { product_name: product, version: "1" })).status).toBe(201);
    expect((await t.call("POST", path, { version_id: v1.body.version_id })).status).toBe(200);
    const clash = await t.call("POST", path, { version_id: v2.body.version_id });
    expect(clash.status).toBe(409);
    expect(clash.body.code).toBe("RELEASE_MEMBER_CONFLICT");
    const replaced = await t.call("POST", path, { version_id: v2.body.version_id, replace: true });
    expect(replaced.status).toBe(201);
    expect(replaced.body).toMatchObject({ product_name: product, version: "2" });
    const listed = await t.call("GET", path);
    expect(listed.body.items.map((m: { version: string }) => m.version)).toEqual(["2"]);
    expect((await t.call("GET", `/releases/${release.id}`)).body.versions).toHaveLength(1);

    expect((await t.call("POST", path, { product_name: product, version: "9" })).status).toBe(404);
    expect((await t.call("POST", path, { product_name: product })).status).toBe(422);
    expect((await t.call("DELETE", `${path}/${v1.body.version_id}`)).status).toBe(404);
    expect((await t.call("DELETE", `${path}/${v2.body.version_id}`)).status).toBe(204);
    expect((await t.call("GET", path)).body.items).toEqual([]);

    // The same version may belong to several releases.
    const other = (await t.call("POST", "/releases", { name: unique("rel-other") })).body;
    expect(
      (await t.call("POST", `/releases/${other.id}/versions`, { version_id: v2.body.version_id })).status,
    ).toBe(201);

    await t.call("POST", `/releases/${release.id}/cancel`);
    const closed = await t.call("POST", path, { version_id: v1.body.version_id });
    expect(closed.status).toBe(409);
    expect(closed.body.code).toBe("RELEASE_CLOSED");

    const audit = await t.database.client.execute({
      sql: "SELECT action FROM audit_log WHERE target_id = ? ORDER BY at, rowid",
      args: [release.id],
    });
    expect(audit.rows.map((r) => r.action)).toEqual([
      "release.create",
      "release.member_add",
      "release.member_add",
      "release.member_remove",
      "release.cancel",
    ]);
  });

  it("completes when every member reaches the named target environments", async () => {
    const product = unique("targets");
    const [qa, live] = [unique("qa"), unique("live")];
    await t.call("POST", "/environments", { name: qa, type: "test" });
    await t.call("POST", "/environments", { name: live, type: "production" });
    await t.call("POST", "/build-events", { product_name: product, version: "1", status: "completed" });
    const release = (
      await t.call("POST", "/releases", { name: unique("rel-targets"), target_environments: [qa] })
    ).body;
    await t.call("POST", `/releases/${release.id}/versions`, { product_name: product, version: "1" });
    await deploy(t, product, "1", qa, "started");
    expect((await t.call("GET", `/releases/${release.id}`)).body.status).toBe("in_progress");
    await deploy(t, product, "1", qa, "completed");
    const done = await t.call("GET", `/releases/${release.id}/progress`);
    expect(done.body.release.status).toBe("completed");
    expect(done.body.summary).toEqual({ deployed: 1, in_progress: 0, failed: 0, not_deployed: 0 });
  });

  it("does not move cancelled releases, and needs releases.manage to write", async () => {
    const product = unique("cancelled");
    await t.call("POST", "/build-events", { product_name: product, version: "1", status: "completed" });
    const release = (await t.call("POST", "/releases", { name: unique("rel-cancel") })).body;
    await t.call("POST", `/releases/${release.id}/versions`, { product_name: product, version: "1" });
    await t.call("POST", `/releases/${release.id}/cancel`);
    await deploy(t, product, "1", unique("dev"));
    expect((await t.call("GET", `/releases/${release.id}`)).body.status).toBe("cancelled");

    const reader = await t.call("POST", "/api-keys", { name: unique("reader"), scope: "read" });
    const token = reader.body.token as string;
    expect((await t.call("GET", `/releases/${release.id}/progress`, undefined, { token })).status).toBe(200);
    expect((await t.call("POST", "/releases", { name: unique("x") }, { token })).status).toBe(403);
  });
});

describe("release domain events", () => {
  it("publishes created, in_progress, member_failed, completed and cancelled on the bus", async () => {
    const own = await createTestApp();
    const seen: DomainEvent[] = [];
    const bus = new DomainEventBus();
    bus.subscribe((event) => {
      if (event.type.startsWith("release.")) seen.push(event);
    });
    const app = createApp({
      database: own.database,
      runtime: own.runtime,
      config: loadConfig({ DATABASE_URL: "file::memory:" }),
      clock: own.clock,
      logger: createLogger("silent"),
      bus,
    });
    const call = async (method: string, path: string, body?: object) => {
      const res = await app.request(path, {
        method,
        headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
        body: body ? JSON.stringify(body) : undefined,
      });
      return res.json() as Promise<Record<string, unknown>>;
    };
    try {
      const product = unique("events");
      await call("POST", "/build-events", { product_name: product, version: "1", status: "completed" });
      const release = await call("POST", "/releases", { name: unique("rel-events") });
      await call("POST", `/releases/${release.id}/versions`, { product_name: product, version: "1" });
      const event = { product_name: product, version: "1", environment_name: "production" };
      await call("POST", "/deployment-events", { ...event, status: "failed" });
      await call("POST", "/deployment-events", { ...event, status: "completed" });
      expect(seen.map((e) => e.type)).toEqual([
        "release.created",
        "release.in_progress",
        "release.member_failed",
        "release.completed",
      ]);
      expect(seen[2]).toMatchObject({
        product_name: product,
        environment_name: "production",
        environment_type: "production",
        status: "in_progress",
        data: { release: { id: release.id }, deployment: { status: "failed" } },
      });
      const other = await call("POST", "/releases", { name: unique("rel-events") });
      await call("POST", `/releases/${other.id}/cancel`);
      expect(seen.at(-1)).toMatchObject({ type: "release.cancelled", data: { release: { id: other.id } } });
    } finally {
      own.close();
    }
  });

  it("moves a release within one /events/batch that deploys every member", async () => {
    const own = await createTestApp();
    try {
      const [a, b] = [unique("batch-a"), unique("batch-b")];
      for (const product of [a, b]) {
        await own.call("POST", "/build-events", { product_name: product, version: "1", status: "completed" });
      }
      const release = (await own.call("POST", "/releases", { name: unique("rel-batch") })).body;
      for (const product of [a, b]) {
        await own.call("POST", `/releases/${release.id}/versions`, { product_name: product, version: "1" });
      }
      const events = [a, b].map((product) => ({
        kind: "deployment",
        event: { product_name: product, version: "1", environment_name: "prod", status: "completed" },
      }));
      const res = await own.call("POST", "/events/batch", { events });
      expect(res.body.accepted).toBe(2);
      expect((await own.call("GET", `/releases/${release.id}`)).body.status).toBe("completed");
    } finally {
      own.close();
    }
  });
});
