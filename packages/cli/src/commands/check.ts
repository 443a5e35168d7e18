import { detectCi, resolveDeploymentEvent, runGit, UsageError } from "@versioner/ci-env";
import {
  PreflightBlockedError,
  type PreflightRequest,
  type PreflightResult,
  reportOnlyViolationsOf,
} from "@versioner/client";
import { createClient, stringFlag } from "../connection.ts";
import { EXIT, type Io } from "../io.ts";
import { printBlocked, printViolations } from "../preflight-output.ts";

/** Between two checks of a block that names no end (a lock, a missing approval). */
const POLL_MS = 30_000;
/** Past `retry_after`, so the next check does not land a hair before the window ends. */
const MARGIN_MS = 1_000;

function waitBudgetMs(values: Record<string, string | boolean>): number {
  const given = stringFlag(values, "wait");
  if (given === undefined) return 0;
  const seconds = Number(given);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new UsageError(`--wait must be a number of seconds ≥ 0, not '${given}'`);
  }
  return seconds * 1000;
}

function blockError(result: PreflightResult): PreflightBlockedError {
  const block = result.block;
  return new PreflightBlockedError(result.http_status ?? 0, {
    code: block?.code ?? "BLOCKED",
    message: block?.message ?? "deployment not allowed",
    ...(block?.retry_after ? { retryAfter: block.retry_after } : {}),
    ...(block?.details ? { details: block.details } : {}),
  });
}

/** How long to sleep before asking again, or undefined when the budget cannot cover it. */
function nextDelay(retryAfter: string | undefined, now: number, deadline: number): number | undefined {
  const until = retryAfter ? Date.parse(retryAfter) : Number.NaN;
  const delay = Number.isFinite(until) ? Math.max(0, until - now) + MARGIN_MS : POLL_MS;
  if (now + delay <= deadline) return delay;
  // A block with no end in sight is polled until the budget runs out; a known end past it is not waited for.
  return Number.isFinite(until) ? undefined : deadline - now > 0 ? deadline - now : undefined;
}

/**
 * `versioner check`: asks the collector (`POST /preflight`) whether the deployment `track` would
 * record is allowed now. Exit 0 allowed, 5 blocked; `--wait` keeps asking until allowed or out of time.
 */
export async function checkCommand(values: Record<string, string | boolean>, io: Io): Promise<number> {
  const ci = detectCi(io.env, { git: runGit, ...(io.cwd ? { cwd: io.cwd } : {}) });
  // The same resolution as `track deployment`, so a check names exactly what the job will record.
  const event = resolveDeploymentEvent(
    {
      ...(stringFlag(values, "product") ? { product_name: stringFlag(values, "product") } : {}),
      ...(stringFlag(values, "version") ? { version: stringFlag(values, "version") } : {}),
      ...(stringFlag(values, "environment") ? { environment_name: stringFlag(values, "environment") } : {}),
    },
    io.env,
    ci,
  );
  const question: PreflightRequest = {
    product_name: event.product_name,
    version: event.version,
    environment_name: event.environment_name,
  };
  const budget = waitBudgetMs(values);
  const now = io.now ?? Date.now;
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = now() + budget;
  const client = createClient(values, io, { requireKey: false });
  const target = `${question.product_name} ${question.version} to ${question.environment_name}`;

  for (;;) {
    const result = await client.preflight(question);
    if (result.allowed) {
      printViolations(reportOnlyViolationsOf(result.warnings), io);
      if (values.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
      else if (!values.quiet) io.stdout(`Allowed: ${target} may be deployed now\n`);
      return EXIT.ok;
    }
    const blocked = blockError(result);
    const delay = budget > 0 ? nextDelay(blocked.retryAfter, now(), deadline) : undefined;
    if (delay === undefined) {
      if (values.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
      printBlocked(blocked, io);
      return EXIT.blocked;
    }
    if (!values.quiet) {
      const rule = typeof blocked.details.rule_name === "string" ? ` by "${blocked.details.rule_name}"` : "";
      io.stderr(
        `versioner: ${target} is blocked${rule} (${blocked.code}); checking again in ${Math.ceil(delay / 1000)}s\n`,
      );
    }
    await sleep(delay);
  }
}
