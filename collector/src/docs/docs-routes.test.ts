import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../testing/test-app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const noToken = { token: null } as const;

describe("interactive API docs", () => {
  it("serves /docs without a token, loading only same-origin assets", async () => {
    const res = await t.call("GET", "/docs", undefined, noToken);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const page = res.body as string;
    expect(page).toContain('<div id="swagger-ui">');
    const urls = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(urls.length).toBeGreaterThanOrEqual(4);
    for (const url of urls) expect(url).toMatch(/^\/docs\/assets\/[\w.-]+\?v=\d+\.\d+\.\d+$/);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
  });

  it("serves every asset the page names, publicly and cacheably, from the pinned package", async () => {
    const page = (await t.call("GET", "/docs", undefined, noToken)).body as string;
    for (const [, url] of page.matchAll(/(?:src|href)="([^"]+)"/g)) {
      const res = await t.app.request(url ?? "");
      expect(res.status, url).toBe(200);
      expect(res.headers.get("cache-control")).toContain("immutable");
      expect((await res.arrayBuffer()).byteLength, url).toBeGreaterThan(100);
    }
    const init = await (await t.app.request("/docs/assets/docs-init.js")).text();
    expect(init).toContain('url: "/openapi.json"');
    expect(init).toContain("validatorUrl: null");
  });

  it("answers a matching If-None-Match with 304 and compresses the bundle", async () => {
    const first = await t.app.request("/docs/assets/swagger-ui-bundle.js", {
      headers: { "accept-encoding": "gzip" },
    });
    expect(first.headers.get("content-encoding")).toBe("gzip");
    const etag = first.headers.get("etag") ?? "";
    expect(etag).toMatch(/^(W\/)?".+"$/);
    const again = await t.app.request("/docs/assets/swagger-ui-bundle.js", {
      headers: { "if-none-match": etag },
    });
    expect(again.status).toBe(304);
  });

  it("serves no file outside its allow-list", async () => {
    for (const path of [
      "/docs/assets/package.json",
      "/docs/assets/..%2Fpackage.json",
      "/docs/assets/index.html",
    ]) {
      const res = await t.call("GET", path, undefined, noToken);
      expect(res.status, path).toBe(404);
    }
  });

  it("leads /redoc to /docs, and answers with a trailing slash too", async () => {
    for (const path of ["/redoc", "/redoc/"]) {
      const res = await t.app.request(path);
      expect(res.status, path).toBe(308);
      expect(res.headers.get("location")).toBe("/docs");
    }
    expect((await t.call("GET", "/docs/", undefined, noToken)).status).toBe(200);
  });
});
