import { readFileSync } from "node:fs";
import {
  type CiContext,
  detectCi,
  resolveBuildEvent,
  resolveDeploymentEvent,
  type TrackInputs,
  UsageError,
} from "@versioner/ci-env";
import { PreflightBlockedError, VersionerClient, VersionerError } from "@versioner/client";
import type { EventKind } from "@versioner/schema/vocabulary";
import { httpFetch } from "./http-transport.ts";
import { type ActionSettings, readSettings } from "./inputs.ts";
import {
  blockedMessage,
  blockedSummary,
  notRecordedSummary,
  type RecordedEvent,
  recordedNotice,
  recordedSummary,
  reportOnlyViolations,
} from "./report.ts";
import { createRunner, processRunnerIo, type Runner, type RunnerIo } from "./workflow-commands.ts";

/** The step's view of the world; tests pass their own. */
export interface ActionIo extends RunnerIo {
  readFile(path: string): string;
}

function processActionIo(): ActionIo {
  return { ...processRunnerIo(), readFile: (path) => readFileSync(path, "utf8") };
}

/** Exit code of the step: 0 success (or a tolerated collector failure), 1 failed. */
export type ExitCode = 0 | 1;

/** The collector URL for messages and links, without any credentials someone put in it. */
function publicUrl(apiUrl: string): string {
  const url = new URL(apiUrl); // readSettings checked that it parses
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

function trackInputs(settings: ActionSettings): TrackInputs {
  return {
    product_name: settings.productName,
    version: settings.version,
    environment_name: settings.environment,
    status: settings.status,
    metadata: settings.metadata,
  };
}

/** A preflight block is an answer, not a failure of the collector: hand it back instead of throwing. */
async function blockedAware<T>(request: Promise<T>): Promise<T | PreflightBlockedError> {
  try {
    return await request;
  } catch (error) {
    if (error instanceof PreflightBlockedError) return error;
    throw error;
  }
}

/** A blocked event always fails the step, whatever `fail_on_api_error` says. */
function reportBlocked(
  runner: Runner,
  error: PreflightBlockedError,
  kind: EventKind,
  productName: string,
  environmentName?: string,
): ExitCode {
  runner.error(blockedMessage(kind, error), { title: `Versioner: ${kind} blocked (${error.code})` });
  runner.appendSummary(blockedSummary(kind, error, productName, environmentName));
  return 1;
}

async function record(
  settings: ActionSettings,
  ci: CiContext,
  io: ActionIo,
  runner: Runner,
): Promise<ExitCode> {
  const env = io.env;
  const client = new VersionerClient({
    apiUrl: settings.apiUrl,
    apiKey: settings.apiKey,
    userAgent: "versioner-github-action",
    fetch: httpFetch,
  });
  let recorded: RecordedEvent;
  let extraMetadata: unknown;
  // The status as sent (canonical after resolution), not as stored: a late failure report must fail the step.
  let reportedStatus: string;

  if (settings.eventType === "build") {
    const event = resolveBuildEvent(trackInputs(settings), env, ci);
    reportedStatus = event.status;
    const response = await blockedAware(client.trackBuild(event));
    if (response instanceof PreflightBlockedError)
      return reportBlocked(runner, response, "build", event.product_name);
    runner.setOutput("build_id", response.build_id);
    runner.setOutput("version_id", response.version_id);
    runner.setOutput("product_id", response.product_id);
    runner.setOutput("event_id", response.event_id);
    recorded = {
      kind: "build",
      productName: response.product_name,
      version: response.version,
      status: response.status,
      sha: event.scm_sha ?? undefined,
      link: `${publicUrl(settings.apiUrl)}/versions/${encodeURIComponent(response.version_id)}`,
    };
  } else {
    const event = resolveDeploymentEvent(trackInputs(settings), env, ci);
    reportedStatus = event.status;
    const response = await blockedAware(client.trackDeployment(event));
    if (response instanceof PreflightBlockedError) {
      return reportBlocked(runner, response, "deployment", event.product_name, event.environment_name);
    }
    runner.setOutput("deployment_id", response.deployment_id);
    runner.setOutput("version_id", response.version_id);
    runner.setOutput("product_id", response.product_id);
    runner.setOutput("environment_id", response.environment_id);
    runner.setOutput("event_id", response.event_id);
    extraMetadata = response.extra_metadata;
    recorded = {
      kind: "deployment",
      productName: response.product_name,
      version: response.version,
      environmentName: response.environment_name,
      status: response.status,
      sha: event.scm_sha ?? undefined,
      link: `${publicUrl(settings.apiUrl)}/deployments/${encodeURIComponent(response.deployment_id)}`,
    };
  }

  const violations = reportOnlyViolations(extraMetadata);
  for (const violation of violations) {
    runner.warning(`Report-only rule "${violation.ruleName}" not satisfied: ${violation.message}`, {
      title: "Versioner: report-only rule",
    });
  }
  runner.notice(recordedNotice(recorded), { title: "Versioner" });
  runner.appendSummary(recordedSummary(recorded, violations));

  if (reportedStatus === "failed") {
    runner.error(
      `The reported status is a failure ('${settings.status}'): recorded, and the step is marked failed.`,
    );
    return 1;
  }
  return 0;
}

/** Runs the action once: reads the inputs, records the event, writes outputs, summary and annotations. */
export async function run(io: ActionIo = processActionIo()): Promise<ExitCode> {
  const runner = createRunner(io);
  let settings: ActionSettings;
  try {
    settings = readSettings(io.env);
  } catch (error) {
    runner.error((error as Error).message, { title: "Versioner: invalid input" });
    return 1;
  }
  // Mask before anything else is printed; the runner then redacts the key from every log line.
  runner.setSecret(settings.apiKey);

  try {
    const ci = detectCi(io.env, { readFile: io.readFile });
    return await record(settings, ci, io, runner);
  } catch (error) {
    if (error instanceof UsageError) {
      runner.error(error.message, { title: "Versioner: invalid input" });
      return 1;
    }
    if (error instanceof VersionerError) {
      const reason = `Versioner could not record the ${settings.eventType} at ${publicUrl(settings.apiUrl)}: ${error.message}`;
      if (settings.failOnApiError) {
        runner.error(reason, { title: "Versioner: collector error" });
        runner.appendSummary(notRecordedSummary(settings.eventType, reason, true));
        return 1;
      }
      runner.warning(reason, { title: "Versioner: collector error (ignored)" });
      runner.appendSummary(notRecordedSummary(settings.eventType, reason, false));
      return 0;
    }
    throw error;
  }
}
