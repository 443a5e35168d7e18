import { makeBadge } from "badge-maker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, createTestApp, type TestApp, unique } from "../testing/test-app.ts";

let t: TestApp;
const keys: Record<"badges" | "read" | "ingest" | "admin", string> = {
  badges: "",
  read: "",
  ingest: "",
  admin: "",
};
let product: string;

async function createKey(app: TestApp, scope: string): Promise<string> {
  const res = await app.call("POST", "/api-keys", { name: unique(scope), scope });
  expect(res.status).toBe(201);
  return res.body.token;
}

beforeAll(async () => {
  t = await createTestApp();
  for (const scope of Object.keys(keys) as Array<keyof typeof keys>) keys[scope] = await createKey(t, scope);
  product = unique("private");
  await t.call("POST", "/deployment-events", {
    product_name: product,
    version: "4.2.0",
    environment_name: "production",
    status: "completed",
  });
});
afterAll(() => t.close());

function get(path: string, headers: Record<string, string> = {}) {
  return t.app.request(path, { headers });
}

describe("a private collector (the default)", () => {
  it("refuses an anonymous badge request: 401, an explaining badge for <img>, the error body for JSON", async () => {
    const svg = await get(`/badges/${product}/production.svg`);
    expect(svg.status).toBe(401);
    expect(svg.headers.get("content-type")).toBe("image/svg+xml; charset=utf-8");
    expect(svg.headers.get("cache-control")).toBe("no-store");
    expect(await svg.text()).toBe(
      makeBadge({ label: "versioner", message: "token required", color: "lightgrey" }),
    );

    const json = await get(`/badges/${product}/production.json`);
    expect(json.status).toBe(401);
    expect(await json.json()).toMatchObject({
      code: "UNAUTHORIZED",
      detail: expect.stringContaining("?token="),
    });
  });

  it("serves the badge for a badge key in ?token=", async () => {
    const res = await get(`/badges/${product}/production.json?token=${keys.badges}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ label: "production", message: "4.2.0" });
  });

  it("accepts no other credential in ?token=, and warns without logging it", async () => {
    const personal = await t.call("POST", "/tokens", { name: "mine" });
    expect(personal.status).toBe(201);
    const others = [
      ADMIN_TOKEN,
      personal.body.token,
      keys.read,
      keys.ingest,
      keys.admin,
      "sk_default_nope_nope",
    ];
    for (const token of others) {
      const svg = await get(`/badges/${product}/production.svg?token=${encodeURIComponent(token)}`);
      expect(svg.status, token).toBe(401);
      expect(await svg.text()).toBe(
        makeBadge({ label: "versioner", message: "invalid token", color: "lightgrey" }),
      );
      const json = await get(`/badges/${product}/production.json?token=${encodeURIComponent(token)}`);
      expect(json.status, token).toBe(401);
    }
    const log = t.logLines.join("\n");
    for (const token of others) expect(log).not.toContain(token);
    expect(log).toMatch(/rotate it.*api key .*\(scope admin\)/);
    expect(log).toMatch(/rotate it.*personal token of admin@localhost/);
    const warnings = t.logLines.filter((line) => line.includes("rotate it")).length;
    await get(`/badges/${product}/production.svg?token=not-a-credential`);
    expect(t.logLines.filter((line) => line.includes("rotate it")).length, "no warning for garbage").toBe(
      warnings,
    );
  });

  it("refuses a revoked badge key", async () => {
    const created = await t.call("POST", "/api-keys", { name: unique("revoked"), scope: "badges" });
    const { id, token } = created.body;
    expect((await get(`/badges/${product}/production.svg?token=${token}`)).status).toBe(200);
    expect((await t.call("DELETE", `/api-keys/${id}`)).status).toBe(204);
    expect((await get(`/badges/${product}/production.svg?token=${token}`)).status).toBe(401);
  });

  it("serves badges to a header credential holding badges.read, and 403 to one without", async () => {
    for (const token of [ADMIN_TOKEN, keys.read, keys.admin, keys.badges]) {
      const res = await get(`/badges/${product}/production.svg`, { authorization: `Bearer ${token}` });
      expect(res.status, token).toBe(200);
    }
    const ingest = await t.call("GET", `/badges/${product}/production.json`, undefined, {
      token: keys.ingest,
    });
    expect(ingest.status).toBe(403);
    expect(ingest.body.detail).toContain("badges.read");
  });
});

describe("a badge key reads badges and nothing else", () => {
  it("works as ?token= on badge URLs only", async () => {
    expect((await get(`/state?token=${keys.badges}`)).status).toBe(401);
    expect((await get(`/products?token=${keys.badges}`)).status).toBe(401);
  });

  it("is refused everywhere else with 403", async () => {
    const attempts: Array<[string, string, unknown?]> = [
      ["GET", "/state"],
      ["GET", "/products"],
      ["GET", `/products/${product}`],
      ["GET", "/deployments"],
      ["GET", "/environments"],
      ["GET", "/releases"],
      ["GET", "/api-keys"],
      ["GET", "/audit-log"],
      [
        "POST",
        "/deployment-events",
        { product_name: product, version: "9", environment_name: "dev", status: "completed" },
      ],
      ["POST", "/products", { name: unique("p") }],
      ["POST", "/api-keys", { name: unique("k"), scope: "admin" }],
    ];
    for (const [method, path, body] of attempts) {
      const res = await t.call(method, path, body, { token: keys.badges });
      expect(res.status, `${method} ${path}`).toBe(403);
    }
  });
});

describe("VERSIONER_PUBLIC_BADGES=true", () => {
  let pub: TestApp;
  beforeAll(async () => {
    pub = await createTestApp({ VERSIONER_PUBLIC_BADGES: "true" });
    await pub.call("POST", "/deployment-events", {
      product_name: "shop",
      version: "7.0.0",
      environment_name: "production",
      status: "completed",
    });
  });
  afterAll(() => pub.close());

  it("serves badges without a credential, whatever ?token= holds", async () => {
    for (const query of ["", "?token=anything"]) {
      const res = await pub.app.request(`/badges/shop/production.svg${query}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(
        makeBadge({ label: "production", message: "7.0.0", color: "brightgreen" }),
      );
    }
  });

  it("opens nothing else", async () => {
    expect((await pub.call("GET", "/state", undefined, { token: null })).status).toBe(401);
    expect((await pub.call("GET", "/products/shop", undefined, { token: null })).status).toBe(401);
  });

  it("still checks a header credential that is sent", async () => {
    const res = await pub.app.request("/badges/shop/production.svg", {
      headers: { authorization: "Bearer wrong" },
    });
    expect(res.status).toBe(401);
  });
});
