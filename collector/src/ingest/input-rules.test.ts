import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { TEST_ENGINE } from "../testing/test-engine.ts";

// Names, versions and JSON shapes that would corrupt identity or crash a request (issue 9, part 2):
// each is a 422 naming the field, and inside a batch it fails only its own event.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const build = (body: Record<string, unknown>) => t.call("POST", "/build-events/", body);
const deploy = (body: Record<string, unknown>) => t.call("POST", "/deployment-events/", body);

/** `{"a": {"a": … {}}}` with `levels` objects in all, built without recursion. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < levels; i += 1) value = { a: value };
  return value;
}

const DEEP = "__deep__";
/** The JSON text of `body` with every `"__deep__"` string replaced by `levels` nested objects (too deep for JSON.stringify). */
function withDeep(body: unknown, levels: number): string {
  const deep = `${'{"a":'.repeat(levels - 1)}{}${"}".repeat(levels - 1)}`;
  return JSON.stringify(body).replaceAll(`"${DEEP}"`, deep);
}

async function versionsOf(product: string): Promise<string[]> {
  const res = await t.call("GET", `/versions?product=${encodeURIComponent(product)}`);
  return res.body.items.map((v: { version: string }) => v.version);
}

function expectFieldError(res: { status: number; body: any }, loc: Array<string | number>) {
  expect(res.status).toBe(422);
  expect(res.body.code).toBe("VALIDATION_ERROR");
  expect(res.body.detail.map((issue: { loc: unknown }) => issue.loc)).toContainEqual(loc);
}

describe("status names", () => {
  it("refuses Object.prototype's member names as a status with a 422 (they were a 500)", async () => {
    for (const status of ["constructor", "__proto__"]) {
      const event = { product_name: unique("proto"), version: "1", environment_name: "dev", status };
      expectFieldError(await deploy(event), ["body", "status"]);
      expectFieldError(await build(event), ["body", "status"]);
    }
  });
});

describe("control characters in names and versions", () => {
  it("refuses a NUL in the version instead of storing a second '1.4.0' with another SHA", async () => {
    const product = unique("nul-version");
    expect(
      (await build({ product_name: product, version: "1.4.0", status: "completed", scm_sha: "a".repeat(40) }))
        .status,
    ).toBe(200);
    const res = await build({
      product_name: product,
      version: "1.4.0\u0000x",
      status: "completed",
      scm_sha: "b".repeat(40),
    });
    expectFieldError(res, ["body", "version"]);
    expect(await versionsOf(product)).toEqual(["1.4.0"]);
  });

  it("refuses a NUL in the product name instead of creating a second product of the same name", async () => {
    const product = unique("nul-product");
    await build({ product_name: product, version: "1", status: "completed" });
    const res = await build({ product_name: `${product}\u0000`, version: "1", status: "completed" });
    expectFieldError(res, ["body", "product_name"]);
    const products = await t.call("GET", "/products?limit=500");
    expect(products.body.items.filter((p: { name: string }) => p.name.startsWith(product))).toHaveLength(1);
  });

  it("refuses a NUL in the environment name", async () => {
    const product = unique("nul-env");
    const res = await deploy({
      product_name: product,
      version: "1",
      environment_name: "prod\u0000",
      status: "completed",
    });
    expectFieldError(res, ["body", "environment_name"]);
    expect((await t.call("GET", `/products/${product}`)).status).toBe(404);
  });

  it.each([
    ["tab", "1.0\t2"],
    ["newline", "1.0\n2"],
    ["carriage return", "1.0\r2"],
    ["escape", "1.0\u001b[31m"],
    ["DEL", "1.0\u007f"],
    ["C1 next-line", "1.0\u0085"],
  ])("refuses a %s in a version, naming the field and the character", async (_, version) => {
    const res = await build({ product_name: unique("ctl"), version, status: "completed" });
    expectFieldError(res, ["body", "version"]);
    expect(res.body.detail[0].msg).toMatch(/control character U\+00[0-9A-F]{2}/);
  });

  it("accepts any printable Unicode in names", async () => {
    const product = unique("café-ü-产品-🚀");
    const res = await deploy({
      product_name: product,
      version: "1.0.0+β",
      environment_name: "prod-東京",
      status: "completed",
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      product_name: product,
      version: "1.0.0+β",
      environment_name: "prod-東京",
    });
  });

  it("refuses control characters when products, environments and releases are created or renamed", async () => {
    expectFieldError(await t.call("POST", "/products", { name: "shop\u0000" }), ["body", "name"]);
    expectFieldError(await t.call("POST", "/environments", { name: "qa\n2" }), ["body", "name"]);
    expectFieldError(await t.call("POST", "/releases", { name: "R\u00071" }), ["body", "name"]);

    const product = unique("rename");
    await t.call("POST", "/products", { name: product });
    expectFieldError(await t.call("PATCH", `/products/${product}`, { name: `${product}\u0000` }), [
      "body",
      "name",
    ]);
    const environment = unique("env");
    await t.call("POST", "/environments", { name: environment });
    expectFieldError(await t.call("PATCH", `/environments/${environment}`, { name: "x\u007f" }), [
      "body",
      "name",
    ]);
    const release = unique("release");
    await t.call("POST", "/releases", { name: release });
    expectFieldError(await t.call("PATCH", `/releases/${release}`, { name: "x\u009b" }), ["body", "name"]);
    expect((await t.call("GET", `/products/${product}`)).body.name).toBe(product);
  });

  it("refuses a line break in a webhook header value (header injection) or URL", async () => {
    const channel = (body: Record<string, unknown>) =>
      t.call("POST", "/notification-channels", { name: unique("chan"), kind: "webhook", ...body });
    expectFieldError(
      await channel({ url: "https://hooks.example.com/x", headers: { "X-Team": "ops\r\nX-Evil: 1" } }),
      ["body", "headers", "X-Team"],
    );
    expectFieldError(await channel({ url: "https://hooks.example.com/x\n" + "y" }), ["body", "url"]);
  });

  it("refuses a NUL in a description but keeps its line breaks", async () => {
    expectFieldError(await t.call("POST", "/products", { name: unique("d"), description: "a\u0000b" }), [
      "body",
      "description",
    ]);
    const ok = await t.call("POST", "/products", {
      name: unique("d"),
      description: "line one\nline two\ttabbed",
    });
    expect(ok.status).toBe(201);
    expect(ok.body.description).toBe("line one\nline two\ttabbed");
  });
});

describe("JSON shapes", () => {
  it("refuses extra_metadata nested 10,000 levels deep with a 422, not a 500", async () => {
    const body = { product_name: unique("deep"), version: "1", status: "completed", extra_metadata: DEEP };
    const res = await t.call("POST", "/build-events/", withDeep(body, 10_000));
    expectFieldError(res, ["body", "extra_metadata"]);
    expect(res.body.detail[0].msg).toMatch(/32 levels/);
  });

  it("accepts 32 levels of extra_metadata and refuses 33", async () => {
    const product = unique("depth");
    expect(
      (await build({ product_name: product, version: "1", status: "completed", extra_metadata: nested(32) }))
        .status,
    ).toBe(200);
    expectFieldError(
      await build({ product_name: product, version: "2", status: "completed", extra_metadata: nested(33) }),
      ["body", "extra_metadata"],
    );
  });

  it("refuses deep nesting in a field it does not know, since the raw payload is stored", async () => {
    const body = {
      product_name: unique("unknown-field"),
      version: "1",
      environment_name: "dev",
      status: "completed",
      custom: DEEP,
    };
    const res = await t.call("POST", "/deployment-events/", withDeep(body, 10_000));
    expectFieldError(res, ["body", "custom"]);
  });

  it("refuses a lone surrogate in scm_branch, which used to crash button rendering", async () => {
    const product = unique("surrogate");
    await t.call("POST", "/products", { name: product });
    // Buttons render for the environments a version could go to next: there must be one.
    await t.call("POST", "/environments", { name: unique("dev"), type: "dev" });
    const button = await t.call("POST", "/deployment-buttons", {
      product_name: product,
      name: "Deploy",
      url_template: "https://ci.example.com/deploy?branch={vi_scm_branch}",
    });
    expect(button.status).toBe(201);
    const first = await build({
      product_name: product,
      version: "1",
      status: "completed",
      scm_branch: "main",
    });
    expect(first.body.buttons[0].url).toBe("https://ci.example.com/deploy?branch=main");
    const res = await build({
      product_name: product,
      version: "2",
      status: "completed",
      scm_branch: "\ud83d",
    });
    expectFieldError(res, ["body", "scm_branch"]);
    expect(res.body.detail[0].msg).toMatch(/lone surrogate/);
    // A well-formed emoji is fine, and renders.
    const ok = await build({
      product_name: product,
      version: "3",
      status: "completed",
      scm_branch: "feat/\ud83d\ude80",
    });
    expect(ok.status).toBe(200);
    expect(ok.body.buttons[0].url).toContain("feat%2F%F0%9F%9A%80");
  });

  it("refuses lone surrogates in extra_metadata keys and values, naming the path", async () => {
    const product = unique("meta-surrogate");
    expectFieldError(
      await build({
        product_name: product,
        version: "1",
        status: "completed",
        extra_metadata: { a: ["ok", "\udc00"] },
      }),
      ["body", "extra_metadata", "a", 1],
    );
    expectFieldError(
      await build({
        product_name: product,
        version: "1",
        status: "completed",
        extra_metadata: { "k\ud800": 1 },
      }),
      ["body", "extra_metadata", "k\ud800"],
    );
  });
});

describe("batch isolation", () => {
  it("answers each bad event with its own 422 and records its neighbours", async () => {
    const product = unique("batch-bad");
    const good = (version: string) => ({
      kind: "deployment",
      event: { product_name: product, version, environment_name: "prod", status: "completed" },
    });
    const body = {
      events: [
        good("1"),
        { kind: "build", event: { product_name: product, version: "1.4.0\u0000x", status: "completed" } },
        {
          kind: "build",
          event: { product_name: product, version: "3", status: "completed", extra_metadata: DEEP },
        },
        {
          kind: "build",
          event: { product_name: product, version: "4", status: "completed", scm_branch: "\ud83d" },
        },
        { kind: "deployment", event: { ...good("5").event, unknown: nested(100) } },
        good("2"),
      ],
    };
    const res = await t.call("POST", "/events/batch", withDeep(body, 10_000));
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { status: number }) => r.status)).toEqual([200, 422, 422, 422, 422, 200]);
    expect(res.body).toMatchObject({ accepted: 2, rejected: 4 });
    const locs = res.body.results.map(
      (r: { body: { detail?: Array<{ loc: unknown }> } }) => r.body.detail?.[0]?.loc,
    );
    expect(locs.slice(1, 5)).toEqual([
      ["body", "events", 1, "event", "version"],
      ["body", "events", 2, "event", "extra_metadata"],
      ["body", "events", 3, "event", "scm_branch"],
      ["body", "events", 4, "event", "unknown"],
    ]);
    expect((await versionsOf(product)).sort()).toEqual(["1", "2"]);
  });
});

describe("rows stored before these rules", () => {
  it("a name with a NUL reads as its prefix (whole on a server), is not found by name, is found by the documented query, and renames by id", async () => {
    const product = unique("legacy");
    await build({ product_name: product, version: "1", status: "completed" });
    // What an event could store before the rules: the name with a NUL inside.
    await t.database.client.execute({
      sql: "UPDATE products SET name = ? WHERE name = ?",
      args: [`${product}\u0000x`, product],
    });
    const found = await t.database.client.execute(
      "SELECT id FROM products WHERE instr(CAST(name AS BLOB), x'00') > 0",
    );
    expect(found.rows).toHaveLength(1);
    const id = String(found.rows[0]?.id);
    // The local file's driver cuts text at a NUL; a libSQL server sends it whole (docs/api.md).
    expect((await t.call("GET", `/products/${id}`)).body.name).toBe(
      TEST_ENGINE === "sqld" ? `${product}\u0000x` : product,
    );
    expect((await t.call("GET", `/products/${product}`)).status).toBe(404);
    const renamed = await t.call("PATCH", `/products/${id}`, { name: `${product}-legacy` });
    expect(renamed.status).toBe(200);
    expect((await t.call("GET", `/products/${product}-legacy`)).body.id).toBe(id);
  });
});
