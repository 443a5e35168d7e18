import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type LoopbackServer,
  type RecordedRequest,
  sendJson,
  startLoopbackServer,
} from "@versioner/client/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type ActionIo, run } from "./main.ts";

// run() against a loopback stub collector, one per step: the scripted answers cover what the real
// collector cannot be made to say on demand (preflight blocks, report-only rule results, auth failures).

interface Reply {
  status: number;
  body: unknown;
}

let server: LoopbackServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const deploymentResponse = {
  id: "dep_1",
  deployment_id: "dep_1",
  event_id: "evt_1",
  product_id: "prd_1",
  product_name: "shop-api",
  version_id: "ver_1",
  version: "1.4.0",
  environment_id: "env_1",
  environment_name: "production",
  status: "completed",
  deployed_at: "2026-01-02T03:04:05.000Z",
  completed_at: "2026-01-02T03:04:05.000Z",
  deployed_by: "octocat",
  deployed_by_email: null,
  deployed_by_name: null,
  deploy_url: null,
  source_system: "github",
  extra_metadata: {},
};

const buildResponse = {
  id: "bld_1",
  build_id: "bld_1",
  event_id: "evt_b1",
  version_id: "ver_1",
  product_id: "prd_1",
  product_name: "shop-api",
  version: "1.4.0",
  status: "completed",
  scm_sha: "abc",
  build_number: "7",
  build_url: null,
  started_at: null,
  completed_at: null,
  created_at: "2026-01-02T03:04:05.000Z",
  buttons: [],
};

// What the hosted API answers (reference/hosted-versioner.md §1.5, §2.2): no event_id, no
// deployment_id/build_id (its `id` is the deployment or build id), no links.
const hostedDeploymentResponse = {
  id: "dep_h1",
  product_id: "prd_h1",
  product_name: "shop-api",
  version_id: "ver_h1",
  version: "1.4.0",
  environment_id: "env_h1",
  environment_name: "production",
  status: "completed",
  deployed_at: "2026-01-02T03:04:05Z",
  completed_at: "2026-01-02T03:04:05Z",
  source_system: "github",
  deployed_by: "octocat",
  deployed_by_name: null,
  deployed_by_email: null,
  deploy_url: null,
  extra_metadata: {},
  soak_time_hours: null,
};
const hostedBuildResponse = {
  id: "bld_h1",
  version_id: "ver_h1",
  product_id: "prd_h1",
  version: "1.4.0",
  build_number: "7",
  status: "completed",
  build_url: null,
  started_at: null,
  completed_at: null,
};

interface Step {
  code: number;
  stdout: string;
  outputs: string;
  summary: string;
  /** The stub collector's URL and what it received. */
  apiUrl: string;
  requests: RecordedRequest[];
}

async function step(inputs: Record<string, string>, reply: Reply): Promise<Step> {
  await server?.close(); // a test may take several steps
  server = await startLoopbackServer((_req, res) => sendJson(res, reply.status, reply.body));
  const dir = mkdtempSync(join(tmpdir(), "versioner-gha-main-"));
  const outputs = join(dir, "output");
  const summary = join(dir, "summary");
  writeFileSync(outputs, "");
  writeFileSync(summary, "");
  const chunks: string[] = [];
  const env: Record<string, string> = {
    GITHUB_ACTIONS: "true",
    GITHUB_REPOSITORY: "acme/shop-api",
    GITHUB_SHA: "abc1234def5678",
    GITHUB_RUN_ID: "99",
    GITHUB_OUTPUT: outputs,
    GITHUB_STEP_SUMMARY: summary,
    INPUT_API_URL: server.url,
    INPUT_API_KEY: "test-key-123",
    INPUT_VERSION: "1.4.0",
    INPUT_ENVIRONMENT: "production",
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const io: ActionIo = {
    env,
    write: (text) => chunks.push(text),
    appendFile: (path, data) => writeFileSync(path, data, { flag: "a" }),
    readFile: (path) => readFileSync(path, "utf8"),
  };
  const code = await run(io);
  return {
    code,
    stdout: chunks.join(""),
    outputs: readFileSync(outputs, "utf8"),
    summary: readFileSync(summary, "utf8"),
    apiUrl: server.url,
    requests: server.requests,
  };
}

/** The JSON body of the last request the stub collector received. */
function lastBody(result: Step): Record<string, unknown> | undefined {
  const body = result.requests.at(-1)?.body;
  return body === undefined ? undefined : JSON.parse(body);
}

describe("run", () => {
  it("sends the resolved deployment with the key and an idempotency key, and sets the outputs", async () => {
    const result = await step({ metadata: '{"ticket":"OPS-1"}' }, { status: 200, body: deploymentResponse });
    expect(result.code).toBe(0);
    const request = result.requests.at(-1);
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe("/deployment-events/");
    expect(request?.headers.authorization).toBe("Bearer test-key-123");
    expect(request?.headers["idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(lastBody(result)).toMatchObject({
      product_name: "shop-api",
      version: "1.4.0",
      environment_name: "production",
      status: "completed",
      scm_sha: "abc1234def5678",
      source_system: "github",
      extra_metadata: { ticket: "OPS-1" },
    });
    for (const [name, value] of Object.entries({
      deployment_id: "dep_1",
      version_id: "ver_1",
      product_id: "prd_1",
      environment_id: "env_1",
      event_id: "evt_1",
    })) {
      expect(result.outputs).toMatch(new RegExp(`^${name}<<(\\S+)\\n${value}\\n\\1$`, "m"));
    }
    expect(result.stdout.split("\n")[0]).toBe("::add-mask::test-key-123");
    expect(result.summary).toContain(
      `[View the deployment in Versioner](${result.apiUrl}/deployments/dep_1)`,
    );
  });

  it("records a build and sets build_id, version_id, product_id and event_id", async () => {
    const result = await step({ event_type: "build", environment: "" }, { status: 200, body: buildResponse });
    expect(result.code).toBe(0);
    expect(result.requests.at(-1)?.url).toBe("/build-events/");
    expect(result.outputs).toContain("build_id<<");
    expect(result.outputs).toMatch(/^event_id<<(\S+)\nevt_b1\n\1$/m);
    expect(result.outputs).not.toContain("deployment_id<<");
    expect(result.summary).toContain(`(${result.apiUrl}/versions/ver_1)`);
  });

  it("sets only the outputs a hosted-API deployment response carries (no event_id)", async () => {
    const result = await step({}, { status: 200, body: hostedDeploymentResponse });
    expect(result.stdout).not.toContain("unexpected error");
    expect(result.code).toBe(0);
    const names = [...result.outputs.matchAll(/^([a-z_]+)<</gm)].map((match) => match[1]);
    expect(names.sort()).toEqual(["deployment_id", "environment_id", "product_id", "version_id"]);
    expect(result.outputs).toMatch(/^deployment_id<<(\S+)\ndep_h1\n\1$/m);
    expect(result.summary).toContain(`(${result.apiUrl}/deployments/dep_h1)`);
  });

  it("sets only the outputs a hosted-API build response carries, build_id from its id", async () => {
    const result = await step(
      { event_type: "build", environment: "" },
      { status: 200, body: hostedBuildResponse },
    );
    expect(result.code).toBe(0);
    const names = [...result.outputs.matchAll(/^([a-z_]+)<</gm)].map((match) => match[1]);
    expect(names.sort()).toEqual(["build_id", "product_id", "version_id"]);
    expect(result.outputs).toMatch(/^build_id<<(\S+)\nbld_h1\n\1$/m);
    // The hosted build response has no product_name: the summary shows what was sent.
    expect(result.summary).toContain("| Product | shop-api |");
  });

  it("links the deployment_url the collector returns in the job summary", async () => {
    const deployment_url = "https://versioner.example.com/deployments/dep_1";
    const result = await step({}, { status: 200, body: { ...deploymentResponse, deployment_url } });
    expect(result.code).toBe(0);
    expect(result.summary).toContain(`[View the deployment in Versioner](${deployment_url})`);
  });

  it("writes no link when the response names no resource", async () => {
    const { version_id: _, ...withoutVersion } = hostedBuildResponse;
    const result = await step(
      { event_type: "build", environment: "" },
      { status: 200, body: withoutVersion },
    );
    expect(result.code).toBe(0);
    expect(result.summary).toContain("Versioner: build recorded");
    expect(result.summary).not.toContain("View the build");
  });

  it("turns failed report-only rules into warnings and still succeeds", async () => {
    const extra_metadata = {
      preflight_status: {
        rules_evaluated: [
          {
            rule_name: "Soak time",
            status: "report_only",
            evaluation_result: "failed",
            error_message: "2h < 24h",
          },
        ],
      },
    };
    const result = await step({}, { status: 200, body: { ...deploymentResponse, extra_metadata } });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '::warning title=Versioner%3A report-only rule::Report-only rule "Soak time" not satisfied: 2h < 24h',
    );
    expect(result.summary).toContain("- Soak time: 2h &lt; 24h");
  });

  it("fails on a preflight block even with fail_on_api_error=false, printing code, reason and retry_after", async () => {
    const block = {
      detail: {
        error: "deployment_blocked",
        code: "NO_DEPLOY_WINDOW",
        message: "Friday freeze",
        retry_after: "2026-01-05T08:00:00Z",
        details: { rule_name: "Freeze" },
      },
      code: "CONFLICT",
      request_id: "r1",
    };
    const result = await step({ fail_on_api_error: "false" }, { status: 423, body: block });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      '::error title=Versioner%3A deployment blocked (NO_DEPLOY_WINDOW)::Deployment blocked by rule "Freeze" (NO_DEPLOY_WINDOW): Friday freeze Retry after 2026-01-05T08:00:00Z.',
    );
    expect(result.summary).toContain("Versioner: deployment blocked");
    expect(result.outputs).toBe("");
  });

  it("tolerates a rejecting collector when fail_on_api_error=false, and fails when true", async () => {
    const unauthorized = {
      status: 401,
      body: { detail: "Invalid authentication credentials", code: "UNAUTHORIZED" },
    };
    const tolerated = await step({ fail_on_api_error: "false" }, unauthorized);
    expect(tolerated.code).toBe(0);
    expect(tolerated.stdout).toMatch(/^::warning title=Versioner%3A collector error \(ignored\)::.*401/m);
    const failed = await step({}, unauthorized);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(
      /^::error title=Versioner%3A collector error::.*Invalid authentication credentials/m,
    );
    expect(failed.stdout.split("\n").slice(1).join("\n")).not.toContain("test-key-123");
  });

  it("records a failure status, then marks the step failed", async () => {
    const result = await step(
      { status: "failure" },
      { status: 200, body: { ...deploymentResponse, status: "failed" } },
    );
    expect(lastBody(result)?.status).toBe("failed");
    expect(result.code).toBe(1);
    expect(result.outputs).toContain("deployment_id<<");
    expect(result.stdout).toContain("::error::The reported status is a failure ('failure')");
  });

  it("rejects invalid input before calling the collector", async () => {
    const result = await step(
      { environment: "", metadata: "[1]" },
      { status: 200, body: deploymentResponse },
    );
    expect(result.code).toBe(1);
    expect(result.requests).toHaveLength(0);
    expect(result.stdout).toMatch(/environment_name is required/);
    expect(result.stdout).toMatch(/metadata \(input\) must be a JSON object/);
  });
});
