import { readFileSync } from "node:fs";
import {
  type CiContext,
  detectCi,
  resolveBuildEvent,
  resolveDeploymentEvent,
  type TrackInputs,
  UsageError,
} from "@versioner/ci-env";
import {
  PreflightBlockedError,
  reportOnlyViolations,
  VersionerClient,
  VersionerError,
} from "@versioner/client";
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

/**
 * Sets the outputs the response carries. The hosted API answers without `event_id`, `build_id` and
 * `deployment_id` (its `id` is the build or deployment id), so an absent output stays unset.
 */
function setOutputs(runner: Runner, outputs: Readonly<Record<string, unknown>>): void {
  for (const [name, value] of Object.entries(outputs)) {
    if ((typeof value === "string" && value !== "") || typeof value === "number") {
      runner.setOutput(name, String(value));
    }
  }
}

/** The link of the job summary: the collector's own page when it sends one, else its API resource. */
function resourceLink(apiUrl: string, given: unknown, path: string, id: unknown): string | undefined {
  if (typeof given === "string" && /^https?:\/\//i.test(given)) return given;
  return typeof id === "string" && id ? `${publicUrl(apiUrl)}/${path}/${encodeURIComponent(id)}` : undefined;
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
    // Typed as the collector answers; the hosted API omits some fields (see setOutputs).
    const answer: Partial<typeof response> & { id?: string } = response;
    setOutputs(runner, {
      build_id: answer.build_id ?? answer.id,
      version_id: answer.version_id,
      product_id: answer.product_id,
      event_id: answer.event_id,
    });
    recorded = {
      kind: "build",
      productName: answer.product_name ?? event.product_name,
      version: answer.version ?? event.version,
      status: answer.status ?? event.status,
      sha: event.scm_sha ?? undefined,
      link: resourceLink(settings.apiUrl, undefined, "versions", answer.version_id),
    };
  } else {
    const event = resolveDeploymentEvent(trackInputs(settings), env, ci);
    reportedStatus = event.status;
    const response = await blockedAware(client.trackDeployment(event));
    if (response instanceof PreflightBlockedError) {
      return reportBlocked(runner, response, "deployment", event.product_name, event.environment_name);
    }
    const answer: Partial<typeof response> & { id?: string; deployment_url?: unknown } = response;
    const deploymentId = answer.deployment_id ?? answer.id;
    setOutputs(runner, {
      deployment_id: deploymentId,
      version_id: answer.version_id,
      product_id: answer.product_id,
      environment_id: answer.environment_id,
      event_id: answer.event_id,
    });
    extraMetadata = answer.extra_metadata;
    recorded = {
      kind: "deployment",
      productName: answer.product_name ?? event.product_name,
      version: answer.version ?? event.version,
      environmentName: answer.environment_name ?? event.environment_name,
      status: answer.status ?? event.status,
      sha: event.scm_sha ?? undefined,
      link: resourceLink(settings.apiUrl, answer.deployment_url, "deployments", deploymentId),
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
