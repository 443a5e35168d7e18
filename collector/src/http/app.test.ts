import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CAPABILITIES } from "../auth/capabilities.ts";
import { CONFIG_VARIABLES, loadConfig } from "../config.ts";
import { createTestApp, type TestApp } from "../testing/test-app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

// Sign-in is public by nature: it is how a person without a token gets a session.
const PUBLIC = new Set(["/health", "/openapi.json", "/docs", "/auth/login", "/cli/versioner.mjs"]);
// Platform webhooks authenticate by signature or the integration's secret (docs/integrations/).
const WEBHOOKS = new Set(["/integrations/vercel/{token}", "/integrations/github", "/integrations/argocd"]);

describe("OpenAPI document", () => {
  it("is OpenAPI 3.1 and every non-public operation declares a known capability", async () => {
    const doc = (await t.call("GET", "/openapi.json", undefined, { token: null })).body;
    expect(doc.openapi).toBe("3.1.0");
    const operations = Object.entries(
      doc.paths as Record<string, Record<string, Record<string, unknown>>>,
    ).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
    expect(operations.length).toBeGreaterThan(15);
    for (const { path, method, op } of operations) {
      if (PUBLIC.has(path) || (WEBHOOKS.has(path) && method === "post")) continue;
      expect(CAPABILITIES, `${method.toUpperCase()} ${path}`).toContain(op["x-capability"]);
    }
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/build-events", "/deployment-events", "/state"]),
    );
  });
});

describe("errors and request ids", () => {
  it("returns 404 for unknown routes in the error shape, with the request id echoed", async () => {
    const res = await t.call("GET", "/no/such/route", undefined, { headers: { "x-request-id": "req-123" } });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      detail: "No route for GET /no/such/route",
      code: "NOT_FOUND",
      request_id: "req-123",
    });
    expect(res.headers.get("x-request-id")).toBe("req-123");
  });

  it("generates a request id when none is sent and logs the request with it", async () => {
    const res = await t.call("GET", "/state");
    const id = res.headers.get("x-request-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(t.logLines.some((line) => line.includes(id ?? "?"))).toBe(true);
  });

  it("accepts collection paths with and without a trailing slash", async () => {
    expect((await t.call("GET", "/products")).status).toBe(200);
    expect((await t.call("GET", "/products/")).status).toBe(200);
  });
});

describe("health", () => {
  it("reports liveness and database reachability", async () => {
    const res = await t.call("GET", "/health", undefined, { token: null });
    expect(res.body).toMatchObject({ status: "ok", database: "ok" });
  });
});

describe("configuration", () => {
  it("lists every bad variable at once, never echoing secrets", () => {
    expect(() =>
      loadConfig({
        PORT: "eighty",
        VERSIONER_ORG: "Bad Org!",
        VERSIONER_LOG_LEVEL: "loud",
        VERSIONER_BOOTSTRAP_TOKEN: "x",
      }),
    ).toThrowError(/PORT[\s\S]*VERSIONER_ORG[\s\S]*VERSIONER_BOOTSTRAP_TOKEN[\s\S]*VERSIONER_LOG_LEVEL|PORT/);
    try {
      loadConfig({ PORT: "eighty", VERSIONER_ORG: "Bad Org!", VERSIONER_BOOTSTRAP_TOKEN: "x" });
    } catch (error) {
      const message = String(error);
      expect(message).toContain("PORT");
      expect(message).toContain("VERSIONER_ORG");
      expect(message).toContain("VERSIONER_BOOTSTRAP_TOKEN");
      expect(message).not.toContain('"x"');
    }
  });

  it("documents every variable it reads in README.md's configuration table", () => {
    const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
    for (const name of CONFIG_VARIABLES)
      expect(readme, name).toMatch(new RegExp(`\\|\\s*\`${name}\`\\s*\\|`));
  });

  it("refuses a bootstrap token shaped like an API key", () => {
    expect(() => loadConfig({ VERSIONER_BOOTSTRAP_TOKEN: "sk_mine_1234" })).toThrowError(
      /reserved for API keys/,
    );
  });

  it("reads through a replica only into a local file", () => {
    const sync = { DATABASE_SYNC_URL: "http://db.internal:8080" };
    expect(loadConfig({ ...sync, DATABASE_URL: "file:/var/lib/versioner/replica.db" })).toMatchObject({
      databaseSyncUrl: "http://db.internal:8080",
      databaseSyncIntervalSeconds: 1,
    });
    expect(loadConfig({ ...sync, DATABASE_URL: "data/replica.db" }).databaseSyncUrl).toBe(
      sync.DATABASE_SYNC_URL,
    );
    for (const url of [":memory:", "file::memory:", "http://other:8080", "libsql://x.turso.io"])
      expect(() => loadConfig({ ...sync, DATABASE_URL: url }), url).toThrowError(/replica's local file/);
    expect(() => loadConfig({ DATABASE_SYNC_URL: "ftp://db" })).toThrowError(/DATABASE_SYNC_URL/);
  });

  it("defaults to the embedded database on port 8080", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      databaseUrl: "file:./data/versioner.db",
      port: 8080,
      bodyLimitBytes: 1048576,
    });
  });
});
