import {
  type CiContext,
  detectCi,
  resolveBuildEvent,
  resolveDeploymentEvent,
  runGit,
  type TrackInputs,
  UsageError,
} from "@versioner/ci-env";
import {
  PreflightBlockedError,
  reportOnlyViolations,
  UnreachableError,
  VersionerError,
} from "@versioner/client";
import type { EventKind } from "@versioner/schema/vocabulary";
import { parseBoolean } from "../command-line.ts";
import { apiKeyGiven, createClient } from "../connection.ts";
import { errorHint } from "../error-hints.ts";
import { FLAGS } from "../flags.ts";
import { EXIT, type Io } from "../io.ts";
import { printBlocked, printViolations } from "../preflight-output.ts";

function trackInputs(values: Record<string, string | boolean>): TrackInputs {
  const inputs: TrackInputs = {};
  for (const flag of FLAGS) {
    const value = values[flag.name];
    if (flag.field && typeof value === "string") inputs[flag.field] = value;
  }
  return inputs;
}

function failOnApiError(values: Record<string, string | boolean>, io: Io): boolean {
  const flag = values["fail-on-api-error"];
  if (typeof flag === "string") return parseBoolean(flag, "--fail-on-api-error");
  const env = io.env.VERSIONER_FAIL_ON_API_ERROR?.trim();
  return env ? parseBoolean(env, "VERSIONER_FAIL_ON_API_ERROR") : true;
}

function summaryLine(event: {
  product_name: string;
  version: string;
  status: string;
  environment_name?: string;
}) {
  const target = event.environment_name ? ` to ${event.environment_name}` : "";
  return `${event.product_name} ${event.version}${target} (${event.status})`;
}

/** `versioner track build|deployment`: resolves the event, sends it and maps the outcome to an exit code. */
export async function trackCommand(
  kind: EventKind,
  values: Record<string, string | boolean>,
  io: Io,
): Promise<number> {
  const tolerate = !failOnApiError(values, io);
  const ci: CiContext = detectCi(io.env, { git: runGit, ...(io.cwd ? { cwd: io.cwd } : {}) });
  const inputs = trackInputs(values);
  const client = createClient(values, io, { requireKey: true });
  const idempotencyKey =
    typeof values["idempotency-key"] === "string"
      ? values["idempotency-key"]
      : io.env.VERSIONER_IDEMPOTENCY_KEY?.trim() || undefined;
  const options = idempotencyKey ? { idempotencyKey } : {};

  try {
    let response: { id: string; extra_metadata?: unknown };
    let description: string;
    if (kind === "build") {
      const event = resolveBuildEvent(inputs, io.env, ci);
      description = summaryLine(event);
      response = await client.trackBuild(event, options);
    } else {
      const event = resolveDeploymentEvent(inputs, io.env, ci);
      description = summaryLine(event);
      response = await client.trackDeployment(event, options);
    }
    if (values.json) io.stdout(`${JSON.stringify(response, null, 2)}\n`);
    else if (!values.quiet) io.stdout(`Recorded ${kind} ${description}: id ${response.id}\n`);
    appendStepSummary(io, `- Versioner recorded ${kind} ${description}\n`);
    printViolations(reportOnlyViolations(response.extra_metadata), io);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (error instanceof PreflightBlockedError) {
      printBlocked(error, io);
      return EXIT.blocked;
    }
    if (!(error instanceof VersionerError)) throw error;
    const hint = errorHint(error, "track", apiKeyGiven(values, io)) ?? "";
    if (tolerate) {
      io.stderr(
        `warning: the ${kind} was not recorded: ${error.message} (continuing: fail-on-api-error is false)\n${hint}`,
      );
      return EXIT.ok;
    }
    io.stderr(`error: the ${kind} was not recorded: ${error.message}\n${hint}`);
    return error instanceof UnreachableError ? EXIT.network : EXIT.api;
  }
}

// Optional nicety inside GitHub Actions; a summary that cannot be written must not fail the step.
function appendStepSummary(io: Io, line: string): void {
  const path = io.env.GITHUB_STEP_SUMMARY;
  if (!path || !io.appendFile) return;
  try {
    io.appendFile(path, line);
  } catch {
    // ignored: see above
  }
}
