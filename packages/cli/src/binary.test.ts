import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  type LoopbackHandler,
  type LoopbackServer,
  sendJson,
  startLoopbackServer,
} from "@versioner/client/testing";
import { afterEach, beforeAll, describe, expect, it } from "vitest";

const PACKAGE = resolve(import.meta.dirname, "..");
const BIN = join(PACKAGE, "dist/versioner.mjs");
const API_KEY = "sk_live_binary_TopSecret_9f8e7d";
const cwd = mkdtempSync(join(tmpdir(), "versioner-bin-"));

// Rebuild so these tests never exercise a stale bundle (turbo also builds first; this is cheap).
beforeAll(() => {
  execFileSync(process.execPath, [join(PACKAGE, "build.mjs")], { stdio: "inherit" });
});

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the bundled CLI with a minimal environment (nothing inherited from the CI running the tests). */
function versioner(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? "", VERSIONER_API_KEY: API_KEY, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

// Every error answer echoes the Authorization header, to prove the CLI redacts what a server sends back.
async function collector(status: number, body: (authorization: string) => unknown): Promise<string> {
  const handler: LoopbackHandler = (req, res) =>
    sendJson(res, status, body(String(req.headers.authorization)));
  server = await startLoopbackServer(handler);
  return server.url;
}

async function closedPort(): Promise<string> {
  const closed = await startLoopbackServer(() => {});
  await closed.close();
  return closed.url;
}

function expectNoKey(outcome: Outcome): void {
  expect(outcome.stdout).not.toContain(API_KEY);
  expect(outcome.stderr).not.toContain(API_KEY);
}

const build = ["track", "build", "--product", "shop-api", "--version", "1.2.3", "--status", "success"];
const deployment = [
  "track",
  "deployment",
  "--product",
  "shop-api",
  "--version",
  "1.2.3",
  "--environment",
  "prod",
];

describe("the bundled CLI", () => {
  it("is one executable file with a node shebang", () => {
    expect(readFileSync(BIN, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
  });

  it("exits 0 and says what was recorded", async () => {
    const url = await collector(200, () => ({ id: "b-1" }));
    const outcome = await versioner(build, { VERSIONER_API_URL: url });
    expect(outcome).toEqual({
      code: 0,
      stdout: "Recorded build shop-api 1.2.3 (completed): id b-1\n",
      stderr: "",
    });
    expect(server?.requests[0]?.headers["user-agent"]).toMatch(/^versioner-cli\//);
  });

  it("takes every value from VERSIONER_* variables, as the GitLab and Jenkins wrappers may", async () => {
    const url = await collector(200, () => ({ id: "d-1" }));
    const outcome = await versioner(["track", "deployment"], {
      VERSIONER_API_URL: url,
      VERSIONER_PRODUCT_NAME: "billing",
      VERSIONER_VERSION: "3.1.0",
      VERSIONER_ENVIRONMENT: "staging",
      VERSIONER_STATUS: "started",
    });
    expect(outcome.code).toBe(0);
    expect(JSON.parse(server?.requests[0]?.body ?? "")).toMatchObject({
      product_name: "billing",
      version: "3.1.0",
      environment_name: "staging",
      status: "started",
    });
  });

  it("exits 1 on a usage error", async () => {
    const outcome = await versioner(["track", "build", "--product", "x"], {
      VERSIONER_API_URL: "http://127.0.0.1:9",
    });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/version is required/);
  });

  it("exits 1 when the collector is unreachable, and 0 with a warning when that is tolerated", async () => {
    const url = await closedPort();
    const failing = await versioner([...build, "--timeout", "2"], { VERSIONER_API_URL: url });
    expect(failing.code).toBe(1);
    expect(failing.stderr).toMatch(/not recorded: .*network error/);
    expectNoKey(failing);

    const tolerated = await versioner(build, {
      VERSIONER_API_URL: url,
      VERSIONER_FAIL_ON_API_ERROR: "false",
    });
    expect(tolerated.code).toBe(0);
    expect(tolerated.stderr).toMatch(/^warning: the build was not recorded/m);
    expectNoKey(tolerated);
  }, 30_000);

  it("exits 4 on an API error, and 0 with --fail-on-api-error false", async () => {
    const url = await collector(422, (auth) => ({
      detail: [{ loc: ["body", "version"], msg: `bad (${auth})`, type: "value_error" }],
      code: "VALIDATION_ERROR",
    }));
    const failing = await versioner(build, { VERSIONER_API_URL: url });
    expect(failing.code).toBe(4);
    expect(failing.stderr).toMatch(/HTTP 422 VALIDATION_ERROR: body.version: bad \(Bearer \*\*\*\)/);
    expectNoKey(failing);

    const tolerated = await versioner([...build, "--fail-on-api-error", "false"], { VERSIONER_API_URL: url });
    expect(tolerated.code).toBe(0);
    expect(tolerated.stderr).toMatch(/^warning:/);
    expectNoKey(tolerated);
  });

  it("exits 4 on 401 and never prints the key, even when it was passed as a flag", async () => {
    const url = await collector(401, (auth) => ({
      detail: `invalid credentials ${auth}`,
      code: "UNAUTHORIZED",
    }));
    const outcome = await versioner([...build, "--api-key", API_KEY, "--api-url", url]);
    expect(outcome.code).toBe(4);
    expect(outcome.stderr).toMatch(/--api-key is visible in process lists/);
    expectNoKey(outcome);
  });

  it("exits 5 on a preflight block, even with --fail-on-api-error false", async () => {
    const url = await collector(423, () => ({
      detail: {
        error: "deployment_blocked",
        code: "NO_DEPLOY_WINDOW",
        message: "Deployments are frozen on Fridays",
        retry_after: "2026-01-05T08:00:00Z",
        details: { rule_name: "Friday freeze" },
      },
      code: "NO_DEPLOY_WINDOW",
    }));
    for (const extra of [[], ["--fail-on-api-error", "false"]]) {
      const outcome = await versioner([...deployment, "--status", "started", ...extra], {
        VERSIONER_API_URL: url,
      });
      expect(outcome.code).toBe(5);
      expect(outcome.stderr).toContain("NO_DEPLOY_WINDOW");
      expect(outcome.stderr).toContain("Deployments are frozen on Fridays");
      expect(outcome.stderr).toContain("retry after: 2026-01-05T08:00:00Z");
      expect(outcome.stderr).toContain("rule: Friday freeze");
      expectNoKey(outcome);
    }
  });

  it("prints --version and --help", async () => {
    expect((await versioner(["--version"])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const help = await versioner(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("track deployment");
  });
});
