import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

function deploy(
  product: string,
  version: string,
  environment: string,
  status = "completed",
  extra: object = {},
) {
  return t.call("POST", "/deployment-events", {
    product_name: product,
    version,
    environment_name: environment,
    status,
    ...extra,
  });
}

describe("products", () => {
  it("creates, reads by id or name, edits, renames and lists", async () => {
    const name = unique("catalog");
    const created = await t.call("POST", "/products/", {
      name,
      description: "d",
      extra_metadata: { team: "core" },
    });
    expect(created.status).toBe(201);
    expect((await t.call("GET", `/products/${created.body.id}`)).body.name).toBe(name);
    expect((await t.call("GET", `/products/${name}`)).body.extra_metadata).toEqual({ team: "core" });
    const renamed = `${name}-renamed`;
    const patched = await t.call("PATCH", `/products/${name}`, { name: renamed, description: null });
    expect(patched.body).toMatchObject({
      name: renamed,
      description: null,
      extra_metadata: { team: "core" },
    });
    expect((await t.call("GET", `/products/${name}`)).status).toBe(404);
    const list = await t.call("GET", "/products?limit=500");
    expect(list.body.items.map((p: { name: string }) => p.name)).toContain(renamed);
  });

  it("refuses a duplicate name with 409 NAME_TAKEN", async () => {
    const name = unique("dup");
    await t.call("POST", "/products", { name });
    const again = await t.call("POST", "/products", { name });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("NAME_TAKEN");
  });

  it("keeps a renamed product's history and routes new events by the new name", async () => {
    const name = unique("history");
    await deploy(name, "1", "prod");
    await t.call("PATCH", `/products/${name}`, { name: `${name}-v2` });
    const list = await t.call("GET", `/deployments?product=${name}-v2`);
    expect(list.body.items).toHaveLength(1);
  });

  it("deletes only with ?confirm=<name>, cascading to versions, deployments and state", async () => {
    const name = unique("doomed");
    const dep = await deploy(name, "1", "prod");
    const refused = await t.call("DELETE", `/products/${name}`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe("CONFIRMATION_REQUIRED");
    const deleted = await t.call("DELETE", `/products/${dep.body.product_id}?confirm=${name}`);
    expect(deleted.status).toBe(204);
    expect((await t.call("GET", `/products/${name}`)).status).toBe(404);
    expect((await t.call("GET", `/versions/${dep.body.version_id}`)).status).toBe(404);
    expect((await t.call("GET", `/deployments/${dep.body.deployment_id}`)).status).toBe(404);
    const state = await t.call("GET", "/state");
    expect(state.body.products.find((p: { name: string }) => p.name === name)).toBeUndefined();
    // The name is free again and a new event starts a fresh history.
    const fresh = await deploy(name, "1", "prod");
    expect(fresh.body.product_id).not.toBe(dep.body.product_id);
  });

  it("paginates with a cursor", async () => {
    const prefix = unique("page");
    for (const i of [1, 2, 3]) await t.call("POST", "/products", { name: `${prefix}-${i}` });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const path = `/products?limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const res = await t.call("GET", path);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((p: { name: string }) => p.name));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(seen.filter((n) => n.startsWith(prefix))).toEqual([`${prefix}-1`, `${prefix}-2`, `${prefix}-3`]);
    expect(new Set(seen).size).toBe(seen.length);
    expect((await t.call("GET", "/products?cursor=garbage")).status).toBe(422);
    expect((await t.call("GET", "/products?limit=501")).status).toBe(422);
  });
});

describe("environments", () => {
  it("infers types, filters by type and orders by type then sort_order", async () => {
    const suffix = unique("e");
    for (const name of [`prod-${suffix}`, `dev-${suffix}`, `uat-${suffix}`, `qa-${suffix}`]) {
      expect((await t.call("POST", "/environments", { name })).status).toBe(201);
    }
    const explicit = await t.call("POST", "/environments", {
      name: `edge-${suffix}`,
      type: "production",
      sort_order: -5,
    });
    expect(explicit.body.type).toBe("production");
    const all = await t.call("GET", "/environments/");
    const mine = all.body.items
      .filter((e: { name: string }) => e.name.endsWith(suffix))
      .map((e: { name: string }) => e.name);
    expect(mine).toEqual([
      `dev-${suffix}`,
      `qa-${suffix}`,
      `uat-${suffix}`,
      `edge-${suffix}`,
      `prod-${suffix}`,
    ]);
    const prod = await t.call("GET", "/environments?type=production");
    expect(prod.body.items.every((e: { type: string }) => e.type === "production")).toBe(true);
    expect((await t.call("GET", "/environments?type=moon")).status).toBe(422);
  });

  it("renames and retypes; state follows the environment", async () => {
    const product = unique("env-rename");
    const env = unique("box");
    await deploy(product, "1", env);
    const renamed = await t.call("PATCH", `/environments/${env}`, { name: `${env}-new`, type: "test" });
    expect(renamed.body).toMatchObject({ name: `${env}-new`, type: "test" });
    const state = await t.call("GET", "/state");
    const row = state.body.products.find((p: { name: string }) => p.name === product);
    expect(
      row.cells.find((c: { environment_name: string }) => c.environment_name === `${env}-new`).current
        .version,
    ).toBe("1");
    const clash = await t.call("POST", "/environments", { name: `${env}-new` });
    expect(clash.body.code).toBe("NAME_TAKEN");
  });
});

describe("deployments and versions", () => {
  it("filters deployments by product, environment, status alias, version and time, newest first", async () => {
    const product = unique("filters");
    await deploy(product, "1", "dev");
    t.clock.advance(60_000);
    const mark = t.clock.now().toISOString();
    await deploy(product, "2", "dev", "failed");
    t.clock.advance(60_000);
    await deploy(product, "2", "prod");
    const all = await t.call("GET", `/deployments?product=${product}`);
    expect(all.body.items.map((d: { version: string }) => d.version)).toEqual(["2", "2", "1"]);
    expect((await t.call("GET", `/deployments?product=${product}&environment=dev`)).body.items).toHaveLength(
      2,
    );
    expect((await t.call("GET", `/deployments?product=${product}&status=error`)).body.items).toHaveLength(1);
    expect((await t.call("GET", `/deployments?product=${product}&since=${mark}`)).body.items).toHaveLength(2);
    expect((await t.call("GET", `/deployments?product=${product}&until=${mark}`)).body.items).toHaveLength(1);
    expect((await t.call("GET", `/deployments?product=${product}&version=1`)).body.items).toHaveLength(1);
    expect((await t.call("GET", `/deployments?product=${product}&status=weird`)).status).toBe(422);
    const first = await t.call("GET", `/deployments?product=${product}&limit=2`);
    const second = await t.call(
      "GET",
      `/deployments?product=${product}&limit=2&cursor=${first.body.next_cursor}`,
    );
    expect(second.body.items).toHaveLength(1);
    expect(second.body.next_cursor).toBeNull();
    expect((await t.call("GET", `/deployments/${first.body.items[0].id}`)).body.product_name).toBe(product);
  });

  it("lists versions by product and by full or abbreviated SHA", async () => {
    const product = unique("versions");
    const sha = "fedcba9876543210fedcba9876543210fedcba98";
    await t.call("POST", "/build-events", {
      product_name: product,
      version: "9.9",
      status: "completed",
      scm_sha: sha,
    });
    expect((await t.call("GET", `/versions?product=${product}`)).body.items).toHaveLength(1);
    expect((await t.call("GET", `/versions?scm_sha=${sha}`)).body.items[0].version).toBe("9.9");
    expect((await t.call("GET", `/versions?scm_sha=${sha.slice(0, 8)}`)).body.items[0].version).toBe("9.9");
    expect((await t.call("GET", "/versions/nope")).status).toBe(404);
  });
});

describe("state", () => {
  it("lists every product × environment with environments in promotion order", async () => {
    const product = unique("matrix");
    const suffix = unique("m");
    await deploy(product, "1", `production-${suffix}`);
    await deploy(product, "1", `staging-${suffix}`);
    await deploy(product, "2", `dev-${suffix}`, "started");
    const state = await t.call("GET", "/state/");
    const names = state.body.environments
      .map((e: { name: string }) => e.name)
      .filter((n: string) => n.endsWith(suffix));
    expect(names).toEqual([`dev-${suffix}`, `staging-${suffix}`, `production-${suffix}`]);
    const row = state.body.products.find((p: { name: string }) => p.name === product);
    expect(row.cells).toHaveLength(state.body.environments.length);
    const dev = row.cells.find((c: { environment_name: string }) => c.environment_name === `dev-${suffix}`);
    expect(dev).toMatchObject({
      current: null,
      in_progress: { version: "2", status: "started" },
      failed: null,
    });
  });
});
