import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Env } from "@versioner/ci-env";
import { type LoopbackServer, sendJson, startLoopbackServer } from "@versioner/client/testing";
import { afterEach, describe, expect, it } from "vitest";
import { run } from "./run.ts";

const SHA = "fedcba9876543210fedcba9876543210fedcba98";
const API_KEY = "sk_cli_inprocess_secret_42";
// Not a git repository, so git detection finds nothing and tests stay hermetic.
const cwd = mkdtempSync(join(tmpdir(), "versioner-cli-"));
const gitlab: Env = {
  GITLAB_CI: "true",
  CI_PROJECT_PATH: "acme/shop-api",
  CI_COMMIT_SHA: SHA,
  CI_COMMIT_REF_NAME: "main",
  CI_PIPELINE_IID: "7",
  CI_PIPELINE_ID: "700",
  CI_PIPELINE_URL: "https://gitlab.example.com/acme/shop-api/-/pipelines/700",
  CI_JOB_NAME: "deploy",
  GITLAB_USER_LOGIN: "jdoe",
};

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function invoke(argv: string[], env: Env) {
  let stdout = "";
  let stderr = "";
  const code = await run(argv, {
    env,
    cwd,
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}

async function collector(status = 200, body: unknown = { id: "evt-1" }) {
  server = await startLoopbackServer((_req, res) => sendJson(res, status, body));
  return { url: server.url, requests: server.requests };
}

describe("versioner track (in-process)", () => {
  it("sends flags over VERSIONER_* over detection, with detected metadata under the user's", async () => {
    const { url, requests } = await collector();
    const env = {
      ...gitlab,
      VERSIONER_API_URL: url,
      VERSIONER_API_KEY: API_KEY,
      VERSIONER_VERSION: "2.0.0",
      VERSIONER_ENVIRONMENT: "staging",
      VERSIONER_PRODUCT_NAME: "from-env",
    };
    const result = await invoke(
      [
        "track",
        "deployment",
        "--product",
        "from-flag",
        "--status",
        "success",
        "--metadata",
        '{"vi_gitlab_job_name":"x"}',
      ],
      env,
    );
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toBe("Recorded deployment from-flag 2.0.0 to staging (completed): id evt-1\n");
    expect(requests[0]?.url).toBe("/deployment-events/");
    expect(JSON.parse(requests[0]?.body ?? "")).toEqual({
      product_name: "from-flag",
      version: "2.0.0",
      environment_name: "staging",
      status: "completed",
      scm_sha: SHA,
      scm_repository: "acme/shop-api",
      scm_branch: "main",
      build_number: "7",
      invoke_id: "700",
      source_system: "gitlab",
      deploy_url: "https://gitlab.example.com/acme/shop-api/-/pipelines/700",
      deployed_by: "jdoe",
      extra_metadata: {
        vi_gitlab_pipeline_id: "700",
        vi_gitlab_pipeline_url: "https://gitlab.example.com/acme/shop-api/-/pipelines/700",
        vi_gitlab_job_name: "x",
        vi_gitlab_ref_name: "main",
      },
    });
  });

  it("defaults product to the repository and version to the short SHA, and prints JSON with --json", async () => {
    const { url, requests } = await collector(200, { id: "b-1", version: "fedcba9" });
    const result = await invoke(["track", "build", "--json"], {
      ...gitlab,
      VERSIONER_API_URL: url,
      VERSIONER_API_KEY: API_KEY,
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ id: "b-1", version: "fedcba9" });
    expect(JSON.parse(requests[0]?.body ?? "")).toMatchObject({
      product_name: "shop-api",
      version: "fedcba9",
      status: "completed",
      build_url: "https://gitlab.example.com/acme/shop-api/-/pipelines/700",
      built_by: "jdoe",
    });
  });

  it("passes --idempotency-key through", async () => {
    const { url, requests } = await collector();
    await invoke(["track", "build", "--idempotency-key", "build-7", "-q"], {
      ...gitlab,
      VERSIONER_API_URL: url,
      VERSIONER_API_KEY: API_KEY,
    });
    expect(requests[0]?.headers["idempotency-key"]).toBe("build-7");
  });

  it("exits 1 naming the missing fields, without calling the collector", async () => {
    const { url, requests } = await collector();
    const result = await invoke(["track", "deployment"], {
      VERSIONER_API_URL: url,
      VERSIONER_API_KEY: API_KEY,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /product_name is required.*version is required.*environment_name is required/,
    );
    expect(requests).toHaveLength(0);
  });

  it("exits 1 when the collector URL or key is missing", async () => {
    expect((await invoke(["track", "build"], gitlab)).stderr).toMatch(/VERSIONER_API_URL/);
    const noKey = await invoke(["track", "build"], { ...gitlab, VERSIONER_API_URL: "http://127.0.0.1:9" });
    expect(noKey).toMatchObject({ code: 1 });
    expect(noKey.stderr).toMatch(/VERSIONER_API_KEY/);
  });

  // Exit 1 is also what an unreachable collector and a parse error give: the message and the silent
  // collector prove the value itself was rejected up front (`--timeout -3` would be a parse error).
  it("rejects a bad --fail-on-api-error and --timeout", async () => {
    const { url, requests } = await collector();
    const env = { ...gitlab, VERSIONER_API_URL: url, VERSIONER_API_KEY: API_KEY };
    const badFlag = await invoke(["track", "build", "--fail-on-api-error", "maybe"], env);
    expect(badFlag).toMatchObject({ code: 1 });
    expect(badFlag.stderr).toMatch(/--fail-on-api-error must be true or false, not 'maybe'/);
    const badTimeout = await invoke(["track", "build", "--timeout=-3"], env);
    expect(badTimeout).toMatchObject({ code: 1 });
    expect(badTimeout.stderr).toMatch(/timeout must be a positive number of seconds, not '-3'/);
    expect(requests).toHaveLength(0);
  });
});

describe("versioner state and ci-env (in-process)", () => {
  const state = {
    environments: [{ id: "e1", name: "production", type: "production" }],
    products: [
      {
        id: "p1",
        name: "shop-api",
        cells: [
          {
            environment_id: "e1",
            environment_name: "production",
            current: {
              version: "1.0.0",
              version_id: "v",
              deployment_id: "d",
              deployed_at: "t",
              deployed_by: null,
            },
            in_progress: null,
            failed: null,
          },
        ],
      },
    ],
  };

  it("prints the matrix as a table, or the raw JSON", async () => {
    const { url, requests } = await collector(200, state);
    const table = await invoke(["state"], { VERSIONER_API_URL: url, VERSIONER_API_KEY: API_KEY });
    expect(table).toEqual({ code: 0, stderr: "", stdout: "PRODUCT   production\nshop-api  1.0.0\n" });
    const json = await invoke(["state", "--json"], { VERSIONER_API_URL: url });
    expect(JSON.parse(json.stdout)).toEqual(state);
    expect(requests.map((r) => [r.url, r.headers.authorization])).toEqual([
      ["/state", `Bearer ${API_KEY}`],
      ["/state", undefined],
    ]);
  });

  it("sends repeated --product, --environment and --type filters as the query string", async () => {
    const { url, requests } = await collector(200, state);
    const result = await invoke(
      [
        "state",
        "--product",
        "shop api",
        "--product",
        "web",
        "--environment",
        "production",
        "--type",
        "staging",
        "--type",
        "production",
      ],
      // Variables that feed `track` never narrow the matrix.
      { VERSIONER_API_URL: url, VERSIONER_PRODUCT_NAME: "from-ci", VERSIONER_ENVIRONMENT: "ci-env" },
    );
    expect(result.code).toBe(0);
    expect(requests.map((request) => request.url)).toEqual([
      "/state?product=shop+api&product=web&environment=production&type=staging&type=production",
    ]);
    const bare = await invoke(["state"], { VERSIONER_API_URL: url, VERSIONER_PRODUCT_NAME: "from-ci" });
    expect(bare.code).toBe(0);
    expect(requests.at(-1)?.url).toBe("/state");
  });

  it("refuses an unknown --type before calling the collector", async () => {
    const { url, requests } = await collector(200, state);
    const result = await invoke(["state", "--type", "prod"], { VERSIONER_API_URL: url });
    expect(result).toMatchObject({
      code: 1,
      stderr: "error: --type must be one of dev, test, staging, production, not 'prod'\n",
    });
    expect(requests).toEqual([]);
  });

  it("maps a 403 on state to exit 4, saying which scope it needs", async () => {
    const detail = "This credential does not have the 'catalog.read' permission";
    const { url } = await collector(403, { detail, code: "FORBIDDEN" });
    const result = await invoke(["state"], { VERSIONER_API_URL: url, VERSIONER_API_KEY: API_KEY });
    expect(result.code).toBe(4);
    expect(result.stderr).toBe(
      `error: HTTP 403 FORBIDDEN: ${detail}\n` +
        "hint: 'versioner state' needs read access (the catalog.read permission): use an API key with the read or admin scope, or a personal token (pat_…); ingest keys only send events\n",
    );
  });

  it("on a 401 says to set VERSIONER_API_KEY, or to check it when one was given", async () => {
    const body = { detail: "Missing bearer token", code: "UNAUTHORIZED" };
    const { url } = await collector(401, body);
    const without = await invoke(["state"], { VERSIONER_API_URL: url });
    expect(without.code).toBe(4);
    expect(without.stderr).toMatch(
      /\nhint: this collector needs an API key: set VERSIONER_API_KEY \(or pass --api-key\)\n$/,
    );
    const wrong = await invoke(["state"], { VERSIONER_API_URL: url, VERSIONER_API_KEY: API_KEY });
    expect(wrong.stderr).toMatch(
      /\nhint: the collector did not accept the API key: check VERSIONER_API_KEY \(or --api-key\)\n$/,
    );
    const track = await invoke(["track", "build", "--product", "p", "--version", "1"], {
      VERSIONER_API_URL: url,
      VERSIONER_API_KEY: API_KEY,
    });
    expect(track.code).toBe(4);
    expect(track.stderr).toContain("error: the build was not recorded: HTTP 401 UNAUTHORIZED");
    expect(track.stderr).toContain("hint: the collector did not accept the API key");
  });

  it("on a 403 when recording says which scope records events", async () => {
    const { url } = await collector(403, { detail: "no", code: "FORBIDDEN" });
    const result = await invoke(
      ["track", "deployment", "--product", "p", "--version", "1", "--environment", "qa"],
      {
        VERSIONER_API_URL: url,
        VERSIONER_API_KEY: API_KEY,
      },
    );
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("hint: recording events needs the deployments.record permission");
  });

  it("names the URL that failed and why when the collector cannot be reached", async () => {
    const { url } = await collector();
    await server?.close();
    server = undefined;
    const refused = await invoke(["state", "--quiet"], { VERSIONER_API_URL: url });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(
        `^error: GET ${url}/state failed after \\d attempt\\(s\\): network error: connection refused, .*\\(ECONNREFUSED\\)\n$`,
      ),
    );
    const dns = await invoke(["state", "--quiet"], { VERSIONER_API_URL: "http://versioner.invalid" });
    expect(dns.code).toBe(1);
    expect(dns.stderr).toMatch(
      /^error: GET http:\/\/versioner\.invalid\/state failed after .*DNS lookup failed/,
    );
  }, 30_000);

  it("prints what ci-env detected", async () => {
    const json = await invoke(["ci-env", "--json"], gitlab);
    expect(JSON.parse(json.stdout)).toMatchObject({ provider: "gitlab", scm_repository: "acme/shop-api" });
    const text = await invoke(["ci-env"], gitlab);
    expect(text.stdout).toMatch(/^provider\s+gitlab$/m);
    expect(text.stdout).toMatch(/^metadata\.vi_gitlab_job_name\s+deploy$/m);
  });

  it("versioner mcp needs the URL and a token before it serves anything", async () => {
    const noUrl = await invoke(["mcp"], {});
    expect(noUrl).toMatchObject({ code: 1, stdout: "" });
    expect(noUrl.stderr).toMatch(/VERSIONER_API_URL/);
    const noToken = await invoke(["mcp"], { VERSIONER_API_URL: "http://127.0.0.1:9" });
    expect(noToken).toMatchObject({ code: 1, stdout: "" });
    expect(noToken.stderr).toMatch(/VERSIONER_API_KEY/);
    expect((await invoke(["mcp", "--product", "x"], {})).stderr).toMatch(
      /--product does not apply to 'versioner mcp'/,
    );
    expect((await invoke(["mcp", "--help"], {})).stdout).toMatch(/Serve Versioner to an AI agent over MCP/);
  });

  it("prints help and the version", async () => {
    expect((await invoke(["--help"], {})).stdout).toMatch(/Usage: versioner <command>/);
    expect((await invoke(["track", "build", "--help"], {})).stdout).toMatch(/--built-by-email/);
    expect((await invoke(["--version"], {})).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(await invoke([], {})).toMatchObject({ code: 1 });
  });
});
