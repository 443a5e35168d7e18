import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, CLI_ENTRY, type RunningCollector, startCollector } from "../support/collector.ts";
import {
  declaredInputDefaults,
  NODE_24,
  runActionStep,
  type StepResult,
} from "../support/github-action-step.ts";
import { type ProcessResult, runProcess } from "../support/run-process.ts";

// Issue 12's end-to-end proof: the committed action bundle and the CLI binary against a real
// collector whose clock starts on a Friday afternoon (VERSIONER_CLOCK_START), with a freeze, a flow
// rule with soak time, an approval rule and a lock. Each blocks with its code and exit status and
// passes once its condition is met: approve, unlock, or restart the collector later in time.

const FRIDAY = "2026-12-04T15:00:00Z"; // a Friday, inside the 12:00–23:59 UTC freeze
const MONDAY = "2026-12-07T09:00:00Z"; // after the freeze, and days after the staging soak began

let collector: RunningCollector;
let workDir: string;
let dbPath: string;
const defaults = declaredInputDefaults();

async function start(clock: string): Promise<void> {
  collector = await startCollector({ dbPath, env: { VERSIONER_CLOCK_START: clock } });
}

/** The CLI binary, as a pipeline runs it, with the admin token as its key. */
function cli(args: string[]): Promise<ProcessResult> {
  return runProcess(process.execPath, [CLI_ENTRY, ...args], {
    env: {
      PATH: process.env.PATH ?? "",
      VERSIONER_API_URL: collector.url,
      VERSIONER_API_KEY: collector.token,
    },
    cwd: workDir,
  });
}

const target = (product: string, version: string, environment = "production") => [
  "--product",
  product,
  "--version",
  version,
  "--environment",
  environment,
];

function cliStarted(product: string, version: string, environment = "production") {
  return cli(["track", "deployment", ...target(product, version, environment), "--status", "started"]);
}

function cliCheck(product: string, version: string, environment = "production") {
  return cli(["check", ...target(product, version, environment)]);
}

/** The committed action bundle, run like the runner runs a `node24` step. */
function actionStarted(product: string, version: string, environment = "production"): Promise<StepResult> {
  return runActionStep(NODE_24, workDir, defaults, {
    api_url: collector.url,
    api_key: collector.token,
    event_type: "deployment",
    product_name: product,
    version,
    environment,
    status: "started",
  });
}

/** A block as each client shows it: CLI exit 5 naming code and rule, action exit 1 with an error annotation and summary. */
async function expectBlocked(product: string, version: string, code: string, rule: string, status: number) {
  const check = await cliCheck(product, version);
  expect(check.code, check.stderr).toBe(5);
  expect(check.stderr).toContain(`(HTTP ${status}, ${code})`);
  expect(check.stderr).toContain(`rule: ${rule}`);

  const track = await cliStarted(product, version);
  expect(track.code, track.stderr).toBe(5);
  expect(track.stderr).toContain(`error: deployment blocked by a rule (HTTP ${status}, ${code})`);
  expect(track.stderr).toContain(`rule: ${rule}`);

  const step = await actionStarted(product, version);
  expect(step.code, step.stdout).toBe(1);
  const annotation = step.stdout.split("\n").find((line) => line.startsWith("::error "));
  expect(annotation).toContain(`Versioner%3A deployment blocked (${code})`);
  expect(annotation).toContain(`by rule "${rule}" (${code})`);
  expect(step.summary).toContain("### ⛔ Versioner: deployment blocked");
  expect(step.summary).toContain(`| Rule | ${rule} |`);
  expect(step.summary).toContain(`| Code | ${code} |`);
  return { check, track, step };
}

/** Allowed: `check` exits 0 and the action records the started deployment. */
async function expectAllowed(product: string, version: string) {
  const check = await cliCheck(product, version);
  expect(check.code, check.stderr).toBe(0);
  expect(check.stdout).toContain(`Allowed: ${product} ${version} to production may be deployed now`);
  const step = await actionStarted(product, version);
  expect(step.code, step.stdout).toBe(0);
  expect(step.outputs.deployment_id).toBeTruthy();
  const done = await cli(["track", "deployment", ...target(product, version), "--status", "completed"]);
  expect(done.code, done.stderr).toBe(0);
}

async function createRule(body: Record<string, unknown>): Promise<void> {
  const created = await api(collector, "POST", "/rules", body);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
}

beforeAll(async () => {
  expect(existsSync(CLI_ENTRY), "build the CLI first (npm run build)").toBe(true);
  workDir = mkdtempSync(join(tmpdir(), "versioner-e2e-governance-"));
  dbPath = join(workDir, "versioner.db");
  await start(FRIDAY);
  await createRule({
    name: "Friday freeze",
    type: "schedule",
    scope: { products: ["freeze-app"], environments: ["production"] },
    settings: {
      recurrence: "weekly",
      timezone: "UTC",
      days_of_week: [5],
      start: "12:00",
      end: "23:59",
      reason: "No deploys on Friday afternoon",
    },
  });
  await createRule({
    name: "Staging first",
    type: "flow",
    scope: { products: ["flow-app"], environments: ["production"] },
    settings: { prerequisites: [{ environment: "staging", min_soak_minutes: 60 }], strict_order: false },
  });
  await createRule({
    name: "QA sign-off",
    type: "version_approval",
    scope: { products: ["approval-app"], environments: ["production"] },
    settings: { required_types: ["qa"] },
  });
});

afterAll(async () => {
  await collector?.stop();
  rmSync(workDir, { recursive: true, force: true });
});

describe("governance end to end (CLI binary and committed action bundle)", () => {
  it("a Friday-freeze schedule blocks with 423 NO_DEPLOY_WINDOW and retry_after at the window's end", async () => {
    const { check } = await expectBlocked("freeze-app", "1.0.0", "NO_DEPLOY_WINDOW", "Friday freeze", 423);
    expect(check.stderr).toMatch(/retry after: 2026-12-04T23:59:00(\.000)?Z/);
  });

  it("a flow rule blocks with 428 FLOW_VIOLATION until staging has it, then INSUFFICIENT_SOAK_TIME", async () => {
    await expectBlocked("flow-app", "2.0.0", "FLOW_VIOLATION", "Staging first", 428);
    const staging = await cli(["track", "deployment", ...target("flow-app", "2.0.0", "staging")]);
    expect(staging.code, staging.stderr).toBe(0);
    const { check } = await expectBlocked(
      "flow-app",
      "2.0.0",
      "INSUFFICIENT_SOAK_TIME",
      "Staging first",
      428,
    );
    expect(check.stderr).toMatch(/retry after: 2026-12-04T16:0\d/);
  });

  it("a version-approval rule blocks with 428 QUALITY_APPROVAL_REQUIRED until QA approves", async () => {
    const build = await api(collector, "POST", "/build-events/", {
      product_name: "approval-app",
      version: "3.0.0",
      status: "completed",
    });
    expect(build.status).toBe(200);
    await expectBlocked("approval-app", "3.0.0", "QUALITY_APPROVAL_REQUIRED", "QA sign-off", 428);
    const approved = await api(collector, "POST", `/versions/${build.body.version_id}/approvals`, {
      type: "qa",
      comment: "regression suite green",
    });
    expect(approved.status, JSON.stringify(approved.body)).toBe(201);
    await expectAllowed("approval-app", "3.0.0");
  });

  it("a lock blocks with 423 ENVIRONMENT_LOCKED naming owner and reason, until unlocked", async () => {
    // Locking names an existing product and environment: an earlier deployment creates both.
    const first = await cli(["track", "deployment", ...target("lock-app", "3.9.0")]);
    expect(first.code, first.stderr).toBe(0);
    const locked = await api(collector, "POST", "/environments/production/lock", {
      reason: "database migration",
      product: "lock-app",
    });
    expect(locked.status, JSON.stringify(locked.body)).toBe(201);
    const { track } = await expectBlocked("lock-app", "4.0.0", "ENVIRONMENT_LOCKED", "environment lock", 423);
    expect(track.stderr).toContain("database migration");
    // The lock is per product: another product still deploys to production.
    expect((await cliCheck("other-app", "1.0.0")).code).toBe(0);
    const unlocked = await api(collector, "DELETE", "/environments/production/lock?product=lock-app");
    expect(unlocked.status).toBe(204);
    await expectAllowed("lock-app", "4.0.0");
  });

  it("a report-only rule never blocks: the CLI prints a warning and the action a ::warning annotation", async () => {
    await createRule({
      name: "Staging first (measuring)",
      type: "flow",
      mode: "report_only",
      scope: { products: ["report-app"], environments: ["production"] },
      settings: { prerequisites: [{ environment: "staging" }] },
    });
    const check = await cliCheck("report-app", "5.0.0");
    expect(check.code, check.stderr).toBe(0);
    expect(check.stderr).toContain('warning: report-only rule "Staging first (measuring)" not satisfied');
    const step = await actionStarted("report-app", "5.0.0");
    expect(step.code, step.stdout).toBe(0);
    const warning = step.stdout.split("\n").find((line) => line.startsWith("::warning "));
    expect(warning).toContain('Report-only rule "Staging first (measuring)" not satisfied');
    expect(step.summary).toContain("**Report-only rules not satisfied** (recorded anyway)");
    const track = await cli([
      "track",
      "deployment",
      ...target("report-app", "5.0.0"),
      "--status",
      "completed",
    ]);
    expect(track.code, track.stderr).toBe(0);
    expect(track.stderr).toContain('warning: report-only rule "Staging first (measuring)" not satisfied');
  });

  it("on Monday the freeze is over and the soak is complete: both deploy", async () => {
    await collector.stop();
    await start(MONDAY);
    await expectAllowed("freeze-app", "1.0.0");
    await expectAllowed("flow-app", "2.0.0");
  });

  it("records every blocked attempt as a preflight failure", async () => {
    const failures = await api(collector, "GET", "/preflight-failures?limit=100");
    expect(failures.status).toBe(200);
    const codes = new Set(failures.body.items.map((item: { code: string }) => item.code));
    for (const code of [
      "NO_DEPLOY_WINDOW",
      "FLOW_VIOLATION",
      "INSUFFICIENT_SOAK_TIME",
      "QUALITY_APPROVAL_REQUIRED",
      "ENVIRONMENT_LOCKED",
    ])
      expect(codes).toContain(code);
  });
});
