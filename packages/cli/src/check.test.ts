import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Env } from "@versioner/ci-env";
import { type LoopbackServer, sendJson, startLoopbackServer } from "@versioner/client/testing";
import { afterEach, describe, expect, it } from "vitest";
import { run } from "./run.ts";

// Not a git repository, so git detection finds nothing and tests stay hermetic.
const cwd = mkdtempSync(join(tmpdir(), "versioner-check-"));
const QUESTION = ["--product", "shop", "--version", "1.4.0", "--environment", "production"];
const NOW = Date.parse("2026-12-04T15:00:00Z");

const allowed = (warnings: unknown[] = []) => ({
  allowed: true,
  block: null,
  http_status: null,
  warnings,
  rules_evaluated: warnings,
});
const blocked = (code: string, retryAfter?: string) => ({
  allowed: false,
  block: {
    error: "deployment_blocked",
    code,
    message: `blocked by ${code}`,
    ...(retryAfter ? { retry_after: retryAfter } : {}),
    details: { rule_name: "Friday freeze", rule_id: "r1" },
  },
  http_status: code === "DEPLOYMENT_IN_PROGRESS" ? 409 : 423,
  warnings: [],
  rules_evaluated: [],
});

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A collector answering the n-th preflight with `answers[n]` (the last one repeats). */
async function collector(answers: unknown[]) {
  server = await startLoopbackServer((_req, res, index) =>
    sendJson(res, 200, answers[Math.min(index, answers.length - 1)]),
  );
  return server;
}

async function check(argv: string[], env: Env) {
  let stdout = "";
  let stderr = "";
  let clock = NOW;
  const sleeps: number[] = [];
  const code = await run(["check", ...argv], {
    env,
    cwd,
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
  });
  return { code, stdout, stderr, sleeps };
}

describe("versioner check", () => {
  it("asks POST /preflight and exits 0 when allowed, printing report-only warnings", async () => {
    const { url, requests } = await collector([
      allowed([
        {
          rule_name: "Soak",
          rule_id: "r2",
          mode: "report_only",
          status: "failed",
          error_message: "too soon",
        },
      ]),
    ]);
    const result = await check(QUESTION, { VERSIONER_API_URL: url, VERSIONER_API_KEY: "k" });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("Allowed: shop 1.4.0 to production may be deployed now\n");
    expect(result.stderr).toBe('warning: report-only rule "Soak" not satisfied: too soon\n');
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ method: "POST", url: "/preflight" });
    expect(JSON.parse(requests[0]?.body ?? "")).toEqual({
      product_name: "shop",
      version: "1.4.0",
      environment_name: "production",
    });
  });

  it("resolves product, version and environment like track deployment (VERSIONER_* variables)", async () => {
    const { url, requests } = await collector([allowed()]);
    const env = {
      VERSIONER_API_URL: url,
      VERSIONER_PRODUCT_NAME: "from-env",
      VERSIONER_VERSION: "9.9.9",
      VERSIONER_ENVIRONMENT: "staging",
    };
    expect((await check(["--quiet"], env)).code).toBe(0);
    expect(JSON.parse(requests[0]?.body ?? "")).toMatchObject({
      product_name: "from-env",
      version: "9.9.9",
      environment_name: "staging",
    });
  });

  it("exits 5 on a block with the rule, code, message and retry_after", async () => {
    const { url } = await collector([blocked("NO_DEPLOY_WINDOW", "2026-12-07T00:00:00Z")]);
    const result = await check(QUESTION, { VERSIONER_API_URL: url });
    expect(result.code).toBe(5);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(
      "error: deployment blocked by a rule (HTTP 423, NO_DEPLOY_WINDOW): blocked by NO_DEPLOY_WINDOW",
    );
    expect(result.stderr).toContain("  rule: Friday freeze\n");
    expect(result.stderr).toContain("  retry after: 2026-12-07T00:00:00Z\n");
    expect(result.sleeps).toEqual([]);
  });

  it("prints the whole answer with --json, allowed or blocked", async () => {
    const { url } = await collector([blocked("ENVIRONMENT_LOCKED")]);
    const result = await check([...QUESTION, "--json"], { VERSIONER_API_URL: url });
    expect(result.code).toBe(5);
    expect(JSON.parse(result.stdout)).toMatchObject({ allowed: false, http_status: 423 });
  });

  it("--wait sleeps until just after retry_after, then passes", async () => {
    const { url, requests } = await collector([
      blocked("NO_DEPLOY_WINDOW", "2026-12-04T15:10:00Z"),
      allowed(),
    ]);
    const result = await check([...QUESTION, "--wait", "900"], { VERSIONER_API_URL: url });
    expect(result.code).toBe(0);
    expect(result.sleeps).toEqual([10 * 60_000 + 1_000]);
    expect(requests).toHaveLength(2);
    expect(result.stderr).toContain(
      'shop 1.4.0 to production is blocked by "Friday freeze" (NO_DEPLOY_WINDOW); checking again in 601s',
    );
  });

  it("--wait does not wait for a window that ends after its budget", async () => {
    const { url, requests } = await collector([blocked("NO_DEPLOY_WINDOW", "2026-12-07T00:00:00Z")]);
    const result = await check([...QUESTION, "--wait", "3600"], { VERSIONER_API_URL: url });
    expect(result.code).toBe(5);
    expect(result.sleeps).toEqual([]);
    expect(requests).toHaveLength(1);
  });

  it("--wait polls a block without an end (a lock) every 30 s until the budget is spent", async () => {
    const { url, requests } = await collector([blocked("ENVIRONMENT_LOCKED")]);
    const result = await check([...QUESTION, "--wait", "70", "-q"], { VERSIONER_API_URL: url });
    expect(result.code).toBe(5);
    expect(result.sleeps).toEqual([30_000, 30_000, 10_000]);
    expect(requests).toHaveLength(4);
    expect(result.stderr).not.toContain("checking again");
  });

  it("refuses a bad --wait and a missing environment before calling the collector", async () => {
    const { url, requests } = await collector([allowed()]);
    const bad = await check([...QUESTION, "--wait", "soon"], { VERSIONER_API_URL: url });
    expect(bad).toMatchObject({ code: 1 });
    expect(bad.stderr).toContain("--wait must be a number of seconds");
    const missing = await check(["--product", "shop", "--version", "1"], { VERSIONER_API_URL: url });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/environment/);
    expect(requests).toHaveLength(0);
  });

  it("maps a 403 to exit 4 with a hint naming the keys that may check", async () => {
    server = await startLoopbackServer((_req, res) =>
      sendJson(res, 403, { detail: "no", code: "FORBIDDEN" }),
    );
    const result = await check(QUESTION, { VERSIONER_API_URL: server.url, VERSIONER_API_KEY: "k" });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("hint: 'versioner check' needs");
  });

  it("--wait applies to check only", async () => {
    const result = await run(["track", "deployment", "--wait", "5"], {
      env: {},
      stdout: () => {},
      stderr: () => {},
    });
    expect(result).toBe(1);
  });
});

describe("versioner track deployment with report-only rules", () => {
  it("prints each failed report-only rule as a warning and still exits 0", async () => {
    server = await startLoopbackServer((_req, res) =>
      sendJson(res, 200, {
        id: "d1",
        extra_metadata: {
          preflight_status: {
            status: "failed",
            rules_evaluated: [
              {
                rule_name: "Freeze",
                status: "report_only",
                evaluation_result: "failed",
                error_message: "frozen",
              },
            ],
          },
        },
      }),
    );
    let stderr = "";
    const code = await run(["track", "deployment", ...QUESTION, "--quiet"], {
      env: { VERSIONER_API_URL: server.url, VERSIONER_API_KEY: "k" },
      cwd,
      stdout: () => {},
      stderr: (text) => {
        stderr += text;
      },
    });
    expect(code).toBe(0);
    expect(stderr).toBe('warning: report-only rule "Freeze" not satisfied: frozen\n');
  });
});
