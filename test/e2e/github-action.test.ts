import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LoopbackServer, sendJson, startLoopbackServer } from "@versioner/client/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type RunningCollector, startCollector } from "../support/collector.ts";
import { collectorGet, listDeployments } from "../support/collector-queries.ts";
import {
  declaredInputDefaults,
  NODE_24,
  RUNTIMES,
  runActionStep,
  SHA,
  type StepResult,
} from "../support/github-action-step.ts";
import { startHttpReceiver } from "../support/receivers.ts";

describe.each(RUNTIMES)("GitHub Action bundle under $name", ({ node, expectedMajor }) => {
  let collector: RunningCollector;
  let workDir: string;
  const defaults = declaredInputDefaults();

  beforeAll(async () => {
    collector = await startCollector();
    workDir = mkdtempSync(join(tmpdir(), "versioner-e2e-gha-"));
  });
  afterAll(async () => {
    await collector?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  const runStep = (inputs: Record<string, string>) => runActionStep(node, workDir, defaults, inputs);

  interface StateCell {
    environment_name: string;
    current: { version: string; deployment_id: string } | null;
    failed: { version: string; status: string } | null;
  }
  interface State {
    products: Array<{ name: string; cells: StateCell[] }>;
  }

  async function stateCell(product: string, environment: string): Promise<StateCell | undefined> {
    const state = await collectorGet<State>(collector, "/state");
    return state.products
      .find((candidate) => candidate.name === product)
      ?.cells.find((cell) => cell.environment_name === environment);
  }

  function expectKeyNotLeaked(result: StepResult): void {
    const unmasked = result.stdout
      .split("\n")
      .filter((line) => !line.startsWith("::add-mask::"))
      .join("\n");
    expect(unmasked).not.toContain(collector.token);
    expect(result.stderr).not.toContain(collector.token);
    expect(result.summary).not.toContain(collector.token);
    expect(result.stdout).toContain(`::add-mask::${collector.token}`);
  }

  it("runs the expected Node runtime", async () => {
    const version = await new Promise<string>((resolve, reject) => {
      const child = spawn(node, ["--version"]);
      let out = "";
      child.stdout.on("data", (chunk) => {
        out += chunk;
      });
      child.on("error", reject);
      child.on("close", () => resolve(out.trim()));
    });
    expect(expectedMajor(Number(/^v(\d+)\./.exec(version)?.[1])), `${node} is ${version}`).toBe(true);
  });

  it("records a build, then a deployment of it, with outputs, summary and collector state", async () => {
    const product = `shop-api-${randomUUID().slice(0, 8)}`;
    const build = await runStep({
      api_url: collector.url,
      api_key: collector.token,
      product_name: product,
      event_type: "build",
      status: "success",
    });
    expect(build.stderr).toBe("");
    expect(build.code).toBe(0);
    expect(Object.keys(build.outputs).sort()).toEqual(["build_id", "event_id", "product_id", "version_id"]);
    expect(build.summary).toContain("Versioner: build recorded");
    expect(build.summary).toContain(`| Product | ${product} |`);
    // version defaults to the short SHA when the input is empty.
    expect(build.summary).toContain(`| Version | ${SHA.slice(0, 7)} |`);
    expect(build.summary).toContain(`| Commit | ${SHA} |`);
    expect(build.summary).toContain(`(${collector.url}/versions/${build.outputs.version_id})`);
    expect(build.stdout).toMatch(/^::notice title=Versioner::Versioner recorded build of /m);
    expectKeyNotLeaked(build);

    const deploy = await runStep({
      api_url: collector.url,
      api_key: collector.token,
      product_name: product,
      environment: "production",
      metadata: JSON.stringify({ ticket: "OPS-7", vi_gh_job: "overridden" }),
    });
    expect(deploy.stderr).toBe("");
    expect(deploy.code).toBe(0);
    expect(Object.keys(deploy.outputs).sort()).toEqual([
      "deployment_id",
      "environment_id",
      "event_id",
      "product_id",
      "version_id",
    ]);
    expect(deploy.outputs.version_id).toBe(build.outputs.version_id);
    expect(deploy.outputs.event_id).not.toBe(build.outputs.event_id);
    expect(deploy.outputs.product_id).toBe(build.outputs.product_id);
    expect(deploy.summary).toContain("Versioner: deployment recorded");
    expect(deploy.summary).toContain("| Environment | production |");
    expect(deploy.summary).toContain("| Status | completed |");
    expect(deploy.summary).toContain(`(${collector.url}/deployments/${deploy.outputs.deployment_id})`);
    expect(deploy.stdout).toContain(`::notice title=Versioner::Versioner recorded deployment of ${product}`);
    expectKeyNotLeaked(deploy);

    const cell = await stateCell(product, "production");
    expect(cell?.current).toMatchObject({
      version: SHA.slice(0, 7),
      deployment_id: deploy.outputs.deployment_id,
    });
    const deployments = await listDeployments(collector, product, "production");
    expect(deployments).toHaveLength(1);
    expect(deployments[0]).toMatchObject({
      id: deploy.outputs.deployment_id,
      status: "completed",
      deployed_by: "octocat",
      deployed_by_email: "mona@example.com",
      source_system: "github",
      deploy_url: "https://github.com/acme/shop-api/actions/runs/4242",
      extra_metadata: {
        ticket: "OPS-7",
        vi_gh_job: "overridden",
        vi_gh_workflow: "Deploy",
        vi_gh_run_attempt: "2",
        vi_gh_event_name: "push",
      },
    });
  });

  it("records a failed deployment and marks the step failed", async () => {
    const product = `shop-api-${randomUUID().slice(0, 8)}`;
    const result = await runStep({
      api_url: collector.url,
      api_key: collector.token,
      product_name: product,
      version: "2.0.0",
      environment: "staging",
      status: "failure",
    });
    expect(result.code).toBe(1);
    expect(result.outputs.deployment_id).toBeTruthy();
    expect(result.summary).toContain("| Status | failed |");
    expect(result.stdout).toMatch(/^::error::The reported status is a failure \('failure'\)/m);
    const cell = await stateCell(product, "staging");
    expect(cell?.current ?? null).toBeNull();
    expect(cell?.failed).toMatchObject({ version: "2.0.0", status: "failed" });
  });

  it("warns and succeeds when the collector is unreachable and fail_on_api_error is false", async () => {
    const result = await runStep({
      api_url: `http://127.0.0.1:${await freePort()}`,
      api_key: "unused-key",
      product_name: "shop-api",
      environment: "production",
      fail_on_api_error: "false",
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^::warning title=Versioner%3A collector error \(ignored\)::Versioner could not record the deployment at http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/m,
    );
    expect(result.stdout).not.toContain("::error");
    expect(result.summary).toContain("Versioner: deployment not recorded");
    expect(result.outputs).toEqual({});
  }, 60_000);

  it("fails clearly when the collector is unreachable and fail_on_api_error is true", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const result = await runStep({
      api_url: url,
      api_key: "unused-key",
      product_name: "shop-api",
      environment: "production",
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^::error title=Versioner%3A collector error::Versioner could not record the deployment at http:\/\/127\.0\.0\.1:\d+: .*failed after \d+ attempt\(s\): network error: connection refused, .*\(ECONNREFUSED\)/m,
    );
    expect(result.summary).toContain("Versioner: deployment not recorded");
    expect(result.outputs).toEqual({});
  }, 60_000);

  it("fails on invalid input without calling the collector", async () => {
    const standIn = await startHttpReceiver();
    try {
      const result = await runStep({ api_url: standIn.url, api_key: collector.token, event_type: "release" });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(
        /^::error title=Versioner%3A invalid input::.*event_type must be build or deployment/m,
      );
      expect(standIn.received).toEqual([]);
    } finally {
      await standIn.close();
    }
  });
});

// A team moving from the hosted product sends to an API that answers only its documented fields
// (reference/hosted-versioner.md §1.5 and §2.2): no event_id, and `id` instead of build_id/deployment_id.
describe("GitHub Action bundle against a server answering only the hosted API's fields", () => {
  const HOSTED_DEPLOYMENT = {
    id: "7d1c6a0e-5f0b-4d43-9b8e-0a1f2e3d4c5b",
    product_id: "0b6f9a1c-2d3e-4f50-8a9b-1c2d3e4f5a6b",
    product_name: "shop-api",
    version_id: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    version: "1.4.0",
    environment_id: "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
    environment_name: "production",
    status: "completed",
    deployed_at: "2026-01-02T03:04:05Z",
    completed_at: "2026-01-02T03:04:05Z",
    source_system: "github",
    deployed_by: "octocat",
    deployed_by_name: null,
    deployed_by_email: null,
    deploy_url: "https://github.com/acme/shop-api/actions/runs/4242",
    extra_metadata: {},
    soak_time_hours: null,
  };
  const HOSTED_BUILD = {
    id: "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
    version_id: HOSTED_DEPLOYMENT.version_id,
    product_id: HOSTED_DEPLOYMENT.product_id,
    version: "1.4.0",
    build_number: "17",
    status: "completed",
    build_url: "https://github.com/acme/shop-api/actions/runs/4242",
    started_at: "2026-01-02T03:04:05Z",
    completed_at: null,
  };
  let server: LoopbackServer;
  let extra: Record<string, unknown> = {};
  let workDir: string;
  const defaults = declaredInputDefaults();
  const runStep = (inputs: Record<string, string>) =>
    runActionStep(NODE_24, workDir, defaults, {
      api_url: server.url,
      api_key: "sk_hosted_key_1234",
      ...inputs,
    });
  const outputNames = (result: StepResult) => Object.keys(result.outputs).sort();

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), "versioner-e2e-gha-hosted-"));
    server = await startLoopbackServer((req, res) =>
      req.url?.startsWith("/build-events")
        ? sendJson(res, 200, HOSTED_BUILD)
        : sendJson(res, 200, { ...HOSTED_DEPLOYMENT, ...extra }),
    );
  });
  afterAll(async () => {
    await server?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it("sets the deployment outputs the response carries and no event_id, without an unexpected error", async () => {
    extra = {};
    const result = await runStep({ version: "1.4.0", environment: "production" });
    expect(result.stdout).not.toContain("unexpected error");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(outputNames(result)).toEqual(["deployment_id", "environment_id", "product_id", "version_id"]);
    expect(result.outputs.deployment_id).toBe(HOSTED_DEPLOYMENT.id);
    expect(result.summary).toContain("Versioner: deployment recorded");
    expect(result.summary).toContain(`(${server.url}/deployments/${HOSTED_DEPLOYMENT.id})`);
  });

  it("sets build_id from the build response's id", async () => {
    const result = await runStep({ version: "1.4.0", event_type: "build" });
    expect(result.code).toBe(0);
    expect(outputNames(result)).toEqual(["build_id", "product_id", "version_id"]);
    expect(result.outputs.build_id).toBe(HOSTED_BUILD.id);
    expect(result.summary).toContain("| Product | shop-api |");
  });

  it("links the deployment_url of the response in the job summary", async () => {
    extra = { deployment_url: "https://versioner.example.com/deployments/7d1c6a0e" };
    const result = await runStep({ version: "1.4.0", environment: "production" });
    expect(result.code).toBe(0);
    expect(result.summary).toContain(
      "[View the deployment in Versioner](https://versioner.example.com/deployments/7d1c6a0e)",
    );
  });
});
