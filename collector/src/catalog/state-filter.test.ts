import { hasDrift } from "@versioner/schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

let t: TestApp;
// Unique names: the test app's database is shared by every test of this file.
const shop = unique("shop");
const web = unique("web");
const api = unique("api");
const dev = unique("dev");
const qa = unique("qa");
const prod = unique("prod");

async function deploy(product: string, version: string, environment: string, status = "completed") {
  const res = await t.call("POST", "/deployment-events", {
    product_name: product,
    version,
    environment_name: environment,
    status,
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  t = await createTestApp();
  // shop: 1.1 in dev, 1.0 in qa and prod (drift). web: 2.0 everywhere it runs (no drift).
  // api: 3.0 in prod only, plus a failed 3.1 in dev (one current version: no drift).
  await deploy(shop, "1.0", qa);
  await deploy(shop, "1.0", prod);
  await deploy(shop, "1.1", dev);
  await deploy(web, "2.0", dev);
  await deploy(web, "2.0", prod);
  await deploy(api, "3.0", prod);
  await deploy(api, "3.1", dev, "failed");
});
afterAll(() => t.close());

type Row = { name: string; drift: boolean; cells: Array<{ environment_name: string }> };

async function state(query = "") {
  const res = await t.call("GET", `/state${query}`);
  expect(res.status, query).toBe(200);
  return res;
}

function row(body: { products: Row[] }, name: string): Row | undefined {
  return body.products.find((p) => p.name === name);
}

describe("GET /state drift", () => {
  it("marks a product whose current versions differ across the environments, and only those", async () => {
    const { body } = await state();
    expect(row(body, shop)?.drift).toBe(true);
    expect(row(body, web)?.drift).toBe(false);
    expect(row(body, api)?.drift).toBe(false);
  });

  it("is computed over the shown columns only", async () => {
    const { body } = await state(`?environment=${qa}&environment=${prod}`);
    expect(row(body, shop)?.drift).toBe(false);
    expect(row(body, shop)?.cells.map((c) => c.environment_name)).toEqual([qa, prod]);
  });

  it("follows the documented rule: two or more current versions, not all equal", () => {
    const cell = (version: string | null) => ({ current: version ? { version } : null });
    expect(hasDrift([])).toBe(false);
    expect(hasDrift([cell("1"), cell(null)])).toBe(false);
    expect(hasDrift([cell("1"), cell(null), cell("1")])).toBe(false);
    expect(hasDrift([cell("1"), cell(null), cell("2")])).toBe(true);
  });
});

describe("GET /state filters", () => {
  it("filters rows by product (name or id), repeatable", async () => {
    const all = await state();
    const webId = row(all.body, web) as unknown as { id: string };
    const { body } = await state(`?product=${shop}&product=${webId.id}`);
    expect(body.products.map((p: Row) => p.name).sort()).toEqual([shop, web].sort());
    expect(body.environments.length).toBe(all.body.environments.length);
    const one = await state(`?product=${api}`);
    expect(one.body.products.map((p: Row) => p.name)).toEqual([api]);
  });

  it("filters columns by type and environment, both applying when both are given", async () => {
    const production = await state("?type=production");
    expect(production.body.environments.every((e: { type: string }) => e.type === "production")).toBe(true);
    expect(production.body.environments.map((e: { name: string }) => e.name)).toContain(prod);
    // Every product stays a row, with cells for the shown columns only.
    expect(row(production.body, shop)?.cells.map((c) => c.environment_name)).not.toContain(dev);
    const both = await state(`?type=production&type=test&environment=${qa}&environment=${dev}`);
    expect(both.body.environments.map((e: { name: string }) => e.name)).toEqual([qa]);
  });

  it("answers 422 naming the parameter for an unknown type", async () => {
    const res = await t.call("GET", "/state?type=prod");
    expect(res.status).toBe(422);
    expect(res.body.detail[0].loc).toEqual(["query", "type", 0]);
  });

  it("keeps one ETag per filter, and 304s that stay correct after a change", async () => {
    const plain = await state();
    const filtered = await state(`?product=${shop}`);
    const reordered = await state(`?type=production&type=dev`);
    const same = await state(`?type=dev&type=production`);
    const etags = [plain, filtered, reordered].map((res) => res.headers.get("etag"));
    expect(new Set(etags).size).toBe(3);
    expect(same.headers.get("etag")).toBe(reordered.headers.get("etag"));

    const etag = filtered.headers.get("etag") ?? "";
    const unchanged = await t.call("GET", `/state?product=${shop}`, undefined, {
      headers: { "if-none-match": etag },
    });
    expect(unchanged.status).toBe(304);
    // The unfiltered ETag never validates a filtered answer (nor the other way round).
    const crossed = await t.call("GET", `/state?product=${shop}`, undefined, {
      headers: { "if-none-match": plain.headers.get("etag") ?? "" },
    });
    expect(crossed.status).toBe(200);

    await deploy(shop, "1.1", prod);
    const changed = await t.call("GET", `/state?product=${shop}`, undefined, {
      headers: { "if-none-match": etag },
    });
    expect(changed.status).toBe(200);
    const cells = changed.body.products[0].cells as Array<{ environment_name: string; current: unknown }>;
    expect(cells.find((c) => c.environment_name === prod)?.current).toMatchObject({ version: "1.1" });
  });

  it("documents the repeatable filters in the OpenAPI document", async () => {
    const doc = (await t.call("GET", "/openapi.json")).body;
    const params = doc.paths["/state"].get.parameters as Array<{ name: string; in: string; schema: any }>;
    const query = params.filter((p) => p.in === "query");
    expect(query.map((p) => p.name).sort()).toEqual(["environment", "product", "type"]);
    for (const param of query) expect(param.schema.type, param.name).toBe("array");
  });
});
