import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config.ts";
import { type Database, openDatabase } from "../db/client.ts";
import { createApp } from "../http/app.ts";
import { createLogger } from "../logger.ts";
import { ManualClock } from "../testing/test-app.ts";
import { freshTestDatabase, type TestDatabaseLocation } from "../testing/test-database.ts";
import { matchesEtag } from "./cli-bundle.ts";

const BUNDLE = '#!/usr/bin/env node\nconsole.log("versioner ✓");\n';
const SHA256 = createHash("sha256").update(BUNDLE).digest("hex");

let dir: string;
let location: TestDatabaseLocation;
let database: Database;
let app: ReturnType<typeof createApp>;

/** A collector app serving the bundle at `cliBundlePath`. */
function appServing(cliBundlePath: string): ReturnType<typeof createApp> {
  const config = loadConfig({ DATABASE_URL: location.url, VERSIONER_LOG_LEVEL: "silent" });
  const logger = createLogger(config.logLevel, () => {});
  return createApp({ database, config, clock: new ManualClock(), logger, cliBundlePath });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "versioner-cli-download-"));
  location = await freshTestDatabase();
  database = await openDatabase({ url: location.url, secretKey: location.secretKey });
  writeFileSync(join(dir, "versioner.mjs"), BUNDLE);
  app = appServing(join(dir, "versioner.mjs"));
});
afterAll(() => {
  database.close();
  location.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("GET /cli/versioner.mjs", () => {
  it("answers 404 with the way out while the bundle is not built, then serves it once it is", async () => {
    const path = join(dir, "not-yet-built.mjs");
    const fresh = appServing(path);
    const missing = await fresh.request("/cli/versioner.mjs");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { detail: string }).detail).toMatch(/npm run build/);

    writeFileSync(path, BUNDLE);
    const res = await fresh.request("/cli/versioner.mjs");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(BUNDLE);
  });

  it("is public and carries its checksum, digest and ETag, as JavaScript", async () => {
    const res = await app.request("/cli/versioner.mjs");
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(createHash("sha256").update(body).digest("hex")).toBe(SHA256);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(res.headers.get("x-checksum-sha256")).toBe(SHA256);
    expect(res.headers.get("repr-digest")).toBe(
      `sha-256=:${createHash("sha256").update(BUNDLE).digest("base64")}:`,
    );
    expect(res.headers.get("etag")).toBe(`"${SHA256}"`);
    expect(res.headers.get("cache-control")).toBe("no-cache");
  });

  it("answers 304 without a body when If-None-Match names the ETag", async () => {
    const res = await app.request("/cli/versioner.mjs", {
      headers: { "if-none-match": `W/"x", "${SHA256}"` },
    });
    expect(res.status).toBe(304);
    expect(await res.text()).toBe("");
    expect(res.headers.get("etag")).toBe(`"${SHA256}"`);
    const changed = await app.request("/cli/versioner.mjs", { headers: { "if-none-match": '"other"' } });
    expect(changed.status).toBe(200);
  });

  it("answers HEAD with the headers only", async () => {
    const res = await app.request("/cli/versioner.mjs", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-checksum-sha256")).toBe(SHA256);
    expect(await res.text()).toBe("");
  });

  it("is in the OpenAPI document as a public operation", async () => {
    const doc = (await (await app.request("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { "x-capability"?: string; security?: unknown }>>;
    };
    const operation = doc.paths["/cli/versioner.mjs"]?.get;
    expect(operation).toBeDefined();
    expect(operation?.["x-capability"]).toBeUndefined();
    expect(operation?.security).toBeUndefined();
  });
});

describe("matchesEtag", () => {
  it.each([
    [undefined, false],
    ['"abc"', true],
    ['W/"abc"', true],
    ['"x", "abc"', true],
    ["*", true],
    ['"abcd"', false],
  ])("%s → %s", (header, expected) => {
    expect(matchesEtag(header, '"abc"')).toBe(expected);
  });
});
