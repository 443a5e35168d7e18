// The collector serves the CLI that matches it: fetched from the real collector process with
// node's fetch and piped to `node -`, as `curl $URL/cli/versioner.mjs | node - --help` does.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type RunningCollector, startCollector } from "../support/collector.ts";
import { runProcess } from "../support/run-process.ts";

/** Runs `node - ...args` with `script` on stdin. */
function nodeFromStdin(script: Uint8Array, args: string[], env: Record<string, string> = {}) {
  return runProcess(process.execPath, ["-", ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    input: script,
  });
}

describe("GET /cli/versioner.mjs on the real collector", () => {
  let collector: RunningCollector;

  beforeAll(async () => {
    collector = await startCollector();
  });
  afterAll(async () => {
    await collector?.stop();
  });

  async function download() {
    const res = await fetch(`${collector.url}/cli/versioner.mjs`);
    return { res, body: new Uint8Array(await res.arrayBuffer()) };
  }

  it("serves the CLI without a token, with a SHA-256 checksum header that matches the body", async () => {
    const { res, body } = await download();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const sha256 = createHash("sha256").update(body).digest("hex");
    expect(res.headers.get("x-checksum-sha256")).toBe(sha256);
    expect(res.headers.get("etag")).toBe(`"${sha256}"`);
    // ~40 KB of CLI and ~115 KB of MCP server, Brotli-packed until `versioner mcp` runs (packages/cli/build.mjs).
    expect(body.byteLength).toBeLessThan(170 * 1024);
  });

  it("runs when piped to `node - --help`", async () => {
    const { body } = await download();
    const result = await nodeFromStdin(body, ["--help"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: versioner <command> \[flags\]/);
    expect(result.stdout).toContain("track deployment");
  });

  it("piped to node, records a deployment and prints the matrix of the collector it came from", async () => {
    const { body } = await download();
    const env = { VERSIONER_API_URL: collector.url, VERSIONER_API_KEY: collector.token };
    const product = `piped-${Date.now()}`;
    const tracked = await nodeFromStdin(
      body,
      ["track", "deployment", "--product", product, "--version", "1.0.0", "--environment", "production"],
      env,
    );
    expect(tracked.stderr).toBe("");
    expect(tracked.code).toBe(0);
    const state = await nodeFromStdin(body, ["state", "--product", product], env);
    expect(state.code).toBe(0);
    expect(state.stdout).toMatch(new RegExp(`^${product}\\s+1\\.0\\.0$`, "m"));
    expect((await api(collector, "GET", `/deployments?product=${product}`)).body.items).toHaveLength(1);
  });
});
