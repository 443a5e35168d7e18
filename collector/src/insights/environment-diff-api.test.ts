import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../testing/test-app.ts";

let t: TestApp;
const minute = 60_000;

async function deploy(product: string, version: string, environment: string, sha: string) {
  t.clock.advance(minute);
  const res = await t.call("POST", "/deployment-events/", {
    product_name: product,
    version,
    environment_name: environment,
    status: "completed",
    scm_sha: sha,
    scm_repository: `https://github.com/acme/${product}`,
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  t = await createTestApp();
  await t.call("POST", "/products", { name: "diff-api", extra_metadata: { team: "core" } });
  await t.call("POST", "/products", { name: "diff-web", extra_metadata: { team: "front" } });
  // api: 1.9 then 1.10 to staging; production still on 1.9.
  await deploy("diff-api", "1.9", "diff-staging", "aaaaaaa1");
  await deploy("diff-api", "1.9", "diff-production", "aaaaaaa1");
  await deploy("diff-api", "1.10", "diff-staging", "bbbbbbb2");
  // web: the same on both sides.
  await deploy("diff-web", "7", "diff-staging", "ccccccc3");
  await deploy("diff-web", "7", "diff-production", "ccccccc3");
  // only in production.
  await deploy("diff-legacy", "0.1", "diff-production", "ddddddd4");
});
afterAll(() => t.close());

describe("GET /environments/{a}/diff/{b}", () => {
  it("lists what differs, with both versions, SHAs, the side ahead and a compare link", async () => {
    const res = await t.call("GET", "/environments/diff-staging/diff/diff-production");
    expect(res.status).toBe(200);
    expect(res.body.a.name).toBe("diff-staging");
    expect(res.body.summary).toEqual({ differs: 1, only_in_a: 0, only_in_b: 1, same: 1 });
    const [api, legacy] = res.body.items;
    expect(api).toMatchObject({
      product_name: "diff-api",
      status: "differs",
      a: { version: "1.10", scm_sha: "bbbbbbb2" },
      b: { version: "1.9", scm_sha: "aaaaaaa1" },
      ahead: "a",
      compare_url: "https://github.com/acme/diff-api/compare/aaaaaaa1...bbbbbbb2",
    });
    expect(legacy).toMatchObject({ product_name: "diff-legacy", status: "only_in_b", a: null, ahead: null });
  });

  it("filters by product and by team metadata", async () => {
    const byProduct = await t.call(
      "GET",
      "/environments/diff-staging/diff/diff-production?product=diff-legacy",
    );
    expect(byProduct.body.items.map((i: { product_name: string }) => i.product_name)).toEqual([
      "diff-legacy",
    ]);
    const byTeam = await t.call("GET", "/environments/diff-staging/diff/diff-production?team=front");
    expect(byTeam.body).toMatchObject({ items: [], summary: { same: 1 } });
  });

  it("404 for an unknown environment", async () => {
    const res = await t.call("GET", "/environments/diff-staging/diff/nowhere");
    expect(res.status).toBe(404);
  });
});

describe("GET /products/{ref}/diff", () => {
  it("gives the compare link and the versions between, in either direction", async () => {
    await deploy("diff-api", "1.11", "diff-dev", "eeeeeee5");
    const forward = await t.call("GET", "/products/diff-api/diff?from=1.9&to=1.11");
    expect(forward.status).toBe(200);
    expect(forward.body).toMatchObject({
      direction: "forward",
      compare_url: "https://github.com/acme/diff-api/compare/aaaaaaa1...eeeeeee5",
    });
    expect(forward.body.versions.map((v: { version: string }) => v.version)).toEqual(["1.10", "1.11"]);
    const backward = await t.call("GET", "/products/diff-api/diff?from=1.11&to=1.10");
    expect(backward.body.direction).toBe("backward");
    expect(backward.body.versions.map((v: { version: string }) => v.version)).toEqual(["1.11"]);
    const same = await t.call("GET", "/products/diff-api/diff?from=1.9&to=1.9");
    expect(same.body).toMatchObject({ direction: "same", versions: [], compare_url: null });
  });

  it("404 names an unknown version; 422 without `to`", async () => {
    expect((await t.call("GET", "/products/diff-api/diff?from=1.9&to=9.9")).status).toBe(404);
    const missing = await t.call("GET", "/products/diff-api/diff?from=1.9");
    expect(missing.status).toBe(422);
    expect(missing.body.detail[0].loc).toEqual(["query", "to"]);
  });
});
