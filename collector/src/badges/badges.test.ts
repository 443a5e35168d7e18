import { makeBadge } from "badge-maker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { ShieldsEndpoint } from "./shields-endpoint.ts";

let t: TestApp;
let badgeKey: string;

beforeAll(async () => {
  t = await createTestApp();
  const key = await t.call("POST", "/api-keys", { name: "readme badges", scope: "badges" });
  expect(key.status).toBe(201);
  badgeKey = key.body.token;
});
afterAll(() => t.close());

function deploy(product: string, version: string, status: string, environment = "production") {
  return t
    .call("POST", "/deployment-events", {
      product_name: product,
      version,
      environment_name: environment,
      status,
    })
    .then((res) => expect(res.status, JSON.stringify(res.body)).toBeLessThan(300));
}

/** A badge as a README would fetch it: no header, the badge key in the query. */
async function fetchBadge(path: string, headers: Record<string, string> = {}) {
  const separator = path.includes("?") ? "&" : "?";
  const res = await t.app.request(`${path}${separator}token=${encodeURIComponent(badgeKey)}`, { headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function svgAndJson(product: string, environment: string) {
  const svg = await fetchBadge(`/badges/${product}/${environment}.svg`);
  const json = await fetchBadge(`/badges/${product}/${environment}.json`);
  expect(svg.status).toBe(200);
  expect(json.status).toBe(200);
  expect(svg.headers.get("content-type")).toBe("image/svg+xml; charset=utf-8");
  expect(json.headers.get("content-type")).toMatch(/^application\/json/);
  return { svg: svg.text, json: JSON.parse(json.text) };
}

describe("badge content by the latest attempt", () => {
  const cases: Array<{
    name: string;
    events: Array<[version: string, status: string]>;
    message: string;
    color: string;
  }> = [
    { name: "completed", events: [["1.0.0", "completed"]], message: "1.0.0", color: "brightgreen" },
    {
      name: "failed after a completed one",
      events: [
        ["1.0.0", "completed"],
        ["1.1.0", "failed"],
      ],
      message: "1.0.0 (1.1.0 failed)",
      color: "red",
    },
    {
      name: "aborted (a CI alias: cancelled)",
      events: [
        ["1.0.0", "completed"],
        ["1.1.0", "cancelled"],
      ],
      message: "1.0.0 (1.1.0 aborted)",
      color: "red",
    },
    {
      name: "failed with nothing running",
      events: [["2.0.0", "failed"]],
      message: "2.0.0 failed",
      color: "red",
    },
    {
      name: "started",
      events: [
        ["1.0.0", "completed"],
        ["1.2.0", "started"],
      ],
      message: "1.0.0 (deploying 1.2.0)",
      color: "blue",
    },
    {
      name: "pending, first deployment",
      events: [["0.1.0", "pending"]],
      message: "deploying 0.1.0",
      color: "blue",
    },
    {
      name: "completed again after a failure",
      events: [
        ["1.0.0", "completed"],
        ["1.1.0", "failed"],
        ["1.1.1", "completed"],
      ],
      message: "1.1.1",
      color: "brightgreen",
    },
  ];

  for (const c of cases) {
    it(`${c.name}: ${c.color} "${c.message}", the SVG byte for byte badge-maker's`, async () => {
      const product = unique("badge");
      for (const [version, status] of c.events) await deploy(product, version, status);
      const { svg, json } = await svgAndJson(product, "production");
      expect(svg).toBe(makeBadge({ label: "production", message: c.message, color: c.color }));
      expect(json).toEqual({ schemaVersion: 1, label: "production", message: c.message, color: c.color });
      expect(ShieldsEndpoint.safeParse(json).success).toBe(true);
    });
  }

  it('is lightgrey "no deployment" when the product never reached the environment', async () => {
    const product = unique("badge");
    await deploy(product, "1.0.0", "completed", "staging");
    const { svg, json } = await svgAndJson(product, "qa-never");
    expect(json).toMatchObject({ message: "not found", isError: true });
    await deploy(unique("other"), "1", "completed", "qa-never");
    const again = await svgAndJson(product, "qa-never");
    expect(again.json).toEqual({
      schemaVersion: 1,
      label: "qa-never",
      message: "no deployment",
      color: "lightgrey",
    });
    expect(again.svg).toBe(makeBadge({ label: "qa-never", message: "no deployment", color: "lightgrey" }));
    expect(svg).toBe(makeBadge({ label: "qa-never", message: "not found", color: "lightgrey" }));
  });

  it("answers an unknown product with a grey 'not found' badge and 200, as shields.io does", async () => {
    const { svg, json } = await svgAndJson("no-such-product", "production");
    expect(svg).toBe(makeBadge({ label: "production", message: "not found", color: "lightgrey" }));
    expect(json).toEqual({
      schemaVersion: 1,
      label: "production",
      message: "not found",
      color: "lightgrey",
      isError: true,
    });
    expect(ShieldsEndpoint.safeParse(json).success).toBe(true);
  });

  it("finds the product by id and keeps dots in environment names", async () => {
    const product = unique("badge");
    await deploy(product, "3.1.4", "completed", "eu.prod");
    const id = (await t.call("GET", `/products/${product}`)).body.id;
    const { json } = await svgAndJson(id, "eu.prod");
    expect(json).toMatchObject({ label: "eu.prod", message: "3.1.4" });
  });

  it("takes a label and a style from the query", async () => {
    const product = unique("badge");
    await deploy(product, "5.0.0", "completed");
    const svg = await fetchBadge(`/badges/${product}/production.svg?label=prod&style=for-the-badge`);
    expect(svg.text).toBe(
      makeBadge({ label: "prod", message: "5.0.0", color: "brightgreen", style: "for-the-badge" }),
    );
    const json = await fetchBadge(`/badges/${product}/production.json?label=&style=flat-square`);
    expect(JSON.parse(json.text)).toEqual({
      schemaVersion: 1,
      label: "",
      message: "5.0.0",
      color: "brightgreen",
      style: "flat-square",
    });
    expect((await fetchBadge(`/badges/${product}/production.svg?style=shiny`)).status).toBe(422);
    expect((await fetchBadge(`/badges/${product}/production.png`)).status).toBe(422);
  });

  it("escapes what it draws: a version cannot inject markup into the SVG", async () => {
    const product = unique("badge");
    await deploy(product, "<script>alert(1)</script>", "completed");
    const svg = await fetchBadge(`/badges/${product}/production.svg`);
    expect(svg.text).not.toContain("<script>");
    expect(svg.headers.get("content-security-policy")).toContain("default-src 'none'");
  });
});

describe("the shields.io endpoint schema", () => {
  it("accepts the documented example and refuses what shields refuses", () => {
    const ok = { schemaVersion: 1, label: "hello", message: "sweet world", color: "orange" };
    expect(ShieldsEndpoint.safeParse(ok).success).toBe(true);
    expect(ShieldsEndpoint.safeParse({ ...ok, label: "" }).success).toBe(true);
    expect(ShieldsEndpoint.safeParse({ ...ok, namedLogo: "github", logoColor: "white" }).success).toBe(true);
    for (const bad of [
      { ...ok, schemaVersion: 2 },
      { ...ok, message: "" },
      { schemaVersion: 1, message: "no label" },
      { ...ok, unknown: true },
      { ...ok, cacheSeconds: -1 },
      { ...ok, namedLogo: "github", logoSvg: "<svg/>" },
      { ...ok, logoColor: "white" },
      { ...ok, logoWidth: 12 },
    ]) {
      expect(ShieldsEndpoint.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});

describe("caching", () => {
  it("answers 304 to the ETag until the state changes, then a new badge under a new ETag", async () => {
    const product = unique("badge");
    await deploy(product, "1.0.0", "completed");
    const path = `/badges/${product}/production.svg`;
    const first = await fetchBadge(path);
    const etag = first.headers.get("etag") ?? "";
    expect(etag).toMatch(/^"badge-\d+-\d+"$/);
    expect(first.headers.get("cache-control")).toBe("no-cache");

    const unchanged = await fetchBadge(path, { "if-none-match": etag });
    expect(unchanged.status).toBe(304);
    expect(unchanged.text).toBe("");
    expect(unchanged.headers.get("etag")).toBe(etag);
    expect((await fetchBadge(path, { "if-none-match": `"other", W/${etag}` })).status).toBe(304);
    expect((await fetchBadge(path.replace(".svg", ".json"), { "if-none-match": etag })).status).toBe(304);

    await deploy(product, "1.1.0", "started");
    const changed = await fetchBadge(path, { "if-none-match": etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
    expect(changed.text).toBe(
      makeBadge({ label: "production", message: "1.0.0 (deploying 1.1.0)", color: "blue" }),
    );
  });

  it("answers HEAD with the headers and no body", async () => {
    const product = unique("badge");
    await deploy(product, "1.0.0", "completed");
    const res = await t.app.request(`/badges/${product}/production.svg?token=${badgeKey}`, {
      method: "HEAD",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toMatch(/^"badge-/);
    expect(await res.text()).toBe("");
  });

  it("changes the ETag when a product is renamed", async () => {
    const product = unique("badge");
    await deploy(product, "1.0.0", "completed");
    const before = await fetchBadge(`/badges/${product}/production.json`);
    await t.call("PATCH", `/products/${product}`, { name: `${product}-renamed` });
    const after = await fetchBadge(`/badges/${product}-renamed/production.json`, {
      "if-none-match": before.headers.get("etag") ?? "",
    });
    expect(after.status).toBe(200);
    expect(JSON.parse(after.text)).toMatchObject({ message: "1.0.0" });
  });
});
