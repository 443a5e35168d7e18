import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, createTestApp, type TestApp, unique } from "../testing/test-app.ts";

const PASSWORD = "correct horse battery";
const HTML = { accept: "text/html,application/xhtml+xml" };

let t: TestApp;

async function createUser(role: string) {
  const email = `${unique(role)}@example.com`;
  const res = await t.call("POST", "/users", { email, name: role, role, password: PASSWORD });
  expect(res.status).toBe(201);
  return email;
}

function form(fields: Record<string, string>) {
  return {
    "content-type": "application/x-www-form-urlencoded",
    body: new URLSearchParams(fields).toString(),
  };
}

async function post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const { body, ...formHeaders } = form(fields);
  return t.app.request(path, { method: "POST", headers: { ...formHeaders, ...headers }, body });
}

/** Signs in through the form; returns the cookie header and the page's CSRF token. */
async function signIn(fields: Record<string, string>) {
  const res = await post("/sign-in", fields);
  expect(res.status).toBe(303);
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  const page = await t.app.request("/settings", { headers: { ...HTML, cookie } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? "";
  return { cookie, csrf };
}

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe("dashboard routing", () => {
  it("sends a signed-out browser to sign-in and keeps 401 JSON for API clients", async () => {
    const browser = await t.app.request("/products?cursor=x", { headers: HTML });
    expect(browser.status).toBe(302);
    expect(browser.headers.get("location")).toBe("/sign-in?next=%2Fproducts%3Fcursor%3Dx");
    const api = await t.call("GET", "/products", undefined, { token: null });
    expect(api.status).toBe(401);
    expect(api.body.code).toBe("UNAUTHORIZED");
  });

  it("answers JSON to a bearer token even when it accepts text/html", async () => {
    const res = await t.call("GET", "/products", undefined, { headers: HTML });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
  });

  it("serves htmx from node_modules and its own CSS under content-hashed, immutable URLs", async () => {
    const page = await (await t.app.request("/sign-in", { headers: HTML })).text();
    const htmxUrl = /src="(\/assets\/htmx\.[0-9a-f]{12}\.js)"/.exec(page)?.[1];
    const cssUrl = /href="(\/assets\/dashboard\.[0-9a-f]{12}\.css)"/.exec(page)?.[1];
    expect(htmxUrl).toBeDefined();
    const htmx = await t.app.request(htmxUrl ?? "");
    expect(htmx.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const installed = createRequire(import.meta.url).resolve("htmx.org/dist/htmx.min.js");
    expect(await htmx.text()).toBe(readFileSync(installed, "utf8"));
    expect((await t.app.request(cssUrl ?? "")).headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect((await t.app.request("/assets/dashboard.000000000000.css")).status).toBe(401);
  });
});

describe("dashboard pages", () => {
  it("show an unknown resource as a 404 page, not JSON", async () => {
    const { cookie } = await signIn({ token: ADMIN_TOKEN });
    const res = await t.app.request("/products/no-such-product", { headers: { ...HTML, cookie } });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toContain("Product &#39;no-such-product&#39; not found");
  });

  it("restore a person's last filters on a bare visit, but not for htmx's own requests", async () => {
    const { cookie } = await signIn({ email: await createUser("viewer"), password: PASSWORD });
    const filtered = await t.app.request("/?team=core&drift=0", { headers: { ...HTML, cookie } });
    expect(filtered.status).toBe(200);
    const bare = await t.app.request("/", { headers: { ...HTML, cookie } });
    expect(bare.status).toBe(302);
    expect(bare.headers.get("location")).toBe("/?team=core&drift=0");
    const htmx = await t.app.request("/", { headers: { "hx-request": "true", cookie } });
    expect(htmx.status).toBe(200);
    const other = await signIn({ token: ADMIN_TOKEN });
    expect((await t.app.request("/", { headers: { ...HTML, cookie: other.cookie } })).status).toBe(200);
  });
});

describe("deployments timeline", () => {
  it("pages through deployments, keeping the filters", async () => {
    const { cookie } = await signIn({ token: ADMIN_TOKEN });
    const product = unique("paged");
    const events = Array.from({ length: 52 }, (_, i) => ({
      kind: "deployment",
      event: { product_name: product, version: `1.0.${i}`, environment_name: "qa", status: "completed" },
    }));
    expect((await t.call("POST", "/events/batch", { events })).status).toBe(200);
    const rows = (html: string) => html.match(/<tr><td><a href="\/deployments\//g)?.length ?? 0;
    const first = await (
      await t.app.request(`/deployments?product=${product}`, { headers: { ...HTML, cookie } })
    ).text();
    expect(rows(first)).toBe(50);
    const next = /href="(\/deployments\?[^"]*cursor=[^"]+)" rel="next"/
      .exec(first)?.[1]
      ?.replaceAll("&amp;", "&");
    expect(next).toContain(`product=${product}`);
    const second = await (await t.app.request(next ?? "", { headers: { ...HTML, cookie } })).text();
    expect(rows(second)).toBe(2);
    expect(second).toContain("1.0.0");
    expect(second).not.toContain('rel="next"');
  });
});

describe("sign-in", () => {
  it("refuses a wrong password with the reason on the page", async () => {
    const email = await createUser("viewer");
    const res = await post("/sign-in", { email, password: "wrong password" });
    expect(res.status).toBe(401);
    expect(await res.text()).toContain("Invalid email or password");
  });

  it("signs in with a personal token, not with an API key", async () => {
    const { cookie } = await signIn({ token: ADMIN_TOKEN });
    expect(cookie).toMatch(/^versioner_session=/);
    const key = await t.call("POST", "/api-keys", { name: unique("key"), scope: "admin" });
    const refused = await post("/sign-in", { token: key.body.token });
    expect(refused.status).toBe(401);
    expect(await refused.text()).toContain("sign in with a personal token");
  });

  it("only follows a same-site next, and refuses a sign-in posted from another site", async () => {
    const email = await createUser("viewer");
    const res = await post("/sign-in", { email, password: PASSWORD, next: "//evil.example/" });
    expect(res.headers.get("location")).toBe("/");
    const foreign = await post(
      "/sign-in",
      { email, password: PASSWORD },
      { origin: "https://evil.example", host: "localhost" },
    );
    expect(foreign.status).toBe(403);
  });

  it("signs out only with the page's CSRF token", async () => {
    const email = await createUser("viewer");
    const { cookie, csrf } = await signIn({ email, password: PASSWORD });
    await post("/sign-out", { _csrf: "forged" }, { cookie });
    expect((await t.app.request("/settings", { headers: { ...HTML, cookie } })).status).toBe(200);
    await post("/sign-out", { _csrf: csrf }, { cookie });
    expect((await t.app.request("/settings", { headers: { ...HTML, cookie } })).status).toBe(302);
  });
});

describe("dashboard forms", () => {
  it("refuse a post without the session's CSRF token", async () => {
    const { cookie } = await signIn({ token: ADMIN_TOKEN });
    const name = unique("no-csrf");
    const res = await post("/dashboard/products", { name }, { cookie });
    expect(res.status).toBe(403);
    expect((await t.call("GET", `/products/${name}`)).status).toBe(404);
  });

  it("refuse a role without the capability, like the API does", async () => {
    const email = await createUser("viewer");
    const { cookie, csrf } = await signIn({ email, password: PASSWORD });
    const name = unique("viewer-made");
    const res = await post("/dashboard/products", { _csrf: csrf, name }, { cookie });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("products.write");
    expect((await t.call("GET", `/products/${name}`)).status).toBe(404);
  });

  it("send invalid input back to the form with the field at fault", async () => {
    const { cookie, csrf } = await signIn({ token: ADMIN_TOKEN });
    const res = await post(
      "/dashboard/products",
      { _csrf: csrf, name: " ", extra_metadata: "x" },
      { cookie },
    );
    expect(res.status).toBe(303);
    expect(new URL(res.headers.get("location") ?? "", "http://x").searchParams.get("error")).toBe(
      "name: must not be empty",
    );
  });

  it("show write controls only to roles that may use them", async () => {
    const admin = await signIn({ token: ADMIN_TOKEN });
    const viewer = await signIn({ email: await createUser("viewer"), password: PASSWORD });
    const sre = await signIn({ email: await createUser("sre"), password: PASSWORD });
    const page = async (path: string, cookie: string) =>
      (await t.app.request(path, { headers: { ...HTML, cookie } })).text();
    expect(await page("/products", admin.cookie)).toContain('action="/dashboard/products"');
    expect(await page("/products", viewer.cookie)).not.toContain('action="/dashboard/products"');
    expect(await page("/products", sre.cookie)).not.toContain('action="/dashboard/products"');
    expect(await page("/environments", sre.cookie)).toContain('action="/dashboard/environments"');
    expect(await page("/environments", viewer.cookie)).not.toContain('action="/dashboard/environments"');
  });
});

describe("live updates", () => {
  it("stream a change after the deployment has committed", async () => {
    const { cookie } = await signIn({ token: ADMIN_TOKEN });
    const res = await t.app.request("/dashboard/live", { headers: { cookie } });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const next = async () => decoder.decode((await reader.read()).value);
    expect(await next()).toContain("event: ready");
    const product = unique("live");
    const sent = await t.call("POST", "/deployment-events", {
      product_name: product,
      version: "1.0.0",
      environment_name: "production",
      status: "completed",
    });
    expect(sent.status).toBe(200);
    const change = await next();
    expect(change).toContain("event: change");
    expect(change).toContain(`"product":"${product}"`);
    // By the time the change is announced, a refresh reads the new state.
    const state = await t.call("GET", "/state");
    expect(state.body.products.some((p: { name: string }) => p.name === product)).toBe(true);
    await reader.cancel();
  });
});
