// Only the zod-free vocabulary at run time: loading the zod schemas cost the GitHub Action ~30 ms
// of its cold start. The collector validates every event in full anyway (422 with the fields).
import type { BuildEventInput, DeploymentEventInput } from "@versioner/schema";
import {
  EVENT_TEXT_FIELDS,
  EVENT_TIMESTAMP_FIELDS,
  type EventKind,
  MAX_METADATA_BYTES,
  normalizeStatus,
  STATUSES,
} from "@versioner/schema/vocabulary";
import { detectCi } from "./detect.ts";
import { definedOnly, pick } from "./env-values.ts";
import { repositoryName } from "./repository.ts";
import type { CiContext, Env } from "./types.ts";
import { UsageError } from "./usage-error.ts";

/**
 * Explicit inputs (CLI flags, action inputs); `undefined` or `""` means "not given". Keys are the
 * event field names (`product_name`, `scm_sha`, …) plus `environment_name` and `metadata`
 * (a JSON object or its JSON text; `extra_metadata` is accepted too).
 */
export type TrackInputs = Partial<Record<string, string | Record<string, unknown> | undefined>>;

type Resolved = Record<string, string | Record<string, unknown> | undefined>;

// Extra spellings accepted besides VERSIONER_<FIELD>, as the hosted CLI and action use them.
const ENV_ALIASES: Readonly<Record<string, readonly string[]>> = {
  product_name: ["VERSIONER_PRODUCT"],
  environment_name: ["VERSIONER_ENVIRONMENT"],
};

/** The `VERSIONER_*` variables that override one field, most specific first. */
export function envNamesFor(field: string): string[] {
  return [`VERSIONER_${field.toUpperCase()}`, ...(ENV_ALIASES[field] ?? [])];
}

function detected(kind: EventKind, ci: CiContext): Record<string, string | undefined> {
  const common = {
    scm_sha: ci.scm_sha,
    scm_repository: ci.scm_repository,
    scm_branch: ci.scm_branch,
    build_number: ci.build_number,
    source_system: ci.source_system,
    invoke_id: ci.invoke_id,
    scm_committed_at: ci.scm_committed_at,
  };
  return kind === "build"
    ? {
        ...common,
        build_url: ci.run_url,
        built_by: ci.actor,
        built_by_email: ci.actor_email,
        built_by_name: ci.actor_name,
      }
    : {
        ...common,
        environment_name: ci.environment_name,
        deploy_url: ci.run_url,
        deployed_by: ci.actor,
        deployed_by_email: ci.actor_email,
        deployed_by_name: ci.actor_name,
      };
}

function explicitText(inputs: TrackInputs, field: string): string | undefined {
  const value = inputs[field];
  return typeof value === "string" && value.trim() ? value.trim() : undefined;
}

function parseMetadata(
  value: unknown,
  source: string,
  problems: string[],
): Record<string, unknown> | undefined {
  if (value === undefined || value === "") return undefined;
  let parsed: unknown = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      problems.push(`metadata (${source}) is not valid JSON`);
      return undefined;
    }
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    problems.push(`metadata (${source}) must be a JSON object`);
    return undefined;
  }
  return parsed as Record<string, unknown>;
}

// RFC 3339 with seconds and an offset, the form the collector accepts. The calendar check catches
// 2026-02-30, which `Date` silently rolls over to March.
const RFC_3339 =
  /^(\d{4})-(\d{2})-(\d{2})T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

function isRfc3339(value: string): boolean {
  const match = RFC_3339.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth;
}

/**
 * Builds the event and checks what a CI step can get wrong locally: required fields, the status
 * vocabulary, timestamps, the metadata object and its size. Field lengths and everything else are
 * left to the collector, which validates every event in full and answers 422 naming the fields.
 */
function resolve(kind: EventKind, inputs: TrackInputs, env: Env, ci: CiContext): Resolved {
  const problems: string[] = [];
  const fromCi = detected(kind, ci);
  const event: Resolved = {};
  for (const field of EVENT_TEXT_FIELDS[kind]) {
    event[field] = explicitText(inputs, field) ?? pick(env, ...envNamesFor(field)) ?? fromCi[field];
  }

  event.product_name ??= repositoryName(event.scm_repository as string | undefined);
  const sha = event.scm_sha as string | undefined;
  event.version ??= sha ? sha.slice(0, 7) : undefined;
  event.status ??= "completed";

  if (!event.product_name) {
    problems.push(
      "product_name is required (--product or VERSIONER_PRODUCT_NAME; no repository was detected)",
    );
  }
  if (!event.version) {
    problems.push("version is required (--version or VERSIONER_VERSION; no commit SHA was detected)");
  }
  if (kind === "deployment" && !event.environment_name) {
    problems.push("environment_name is required (--environment or VERSIONER_ENVIRONMENT)");
  }
  const status = String(event.status);
  const canonical = normalizeStatus(status);
  if (canonical === null) {
    problems.push(`status '${status}' is not one of ${STATUSES.join(", ")} or an alias of them`);
  } else {
    event.status = canonical;
  }
  for (const field of EVENT_TIMESTAMP_FIELDS) {
    const value = event[field];
    if (typeof value !== "string") continue;
    if (isRfc3339(value)) event[field] = new Date(value).toISOString();
    else problems.push(`${field} must be an RFC 3339 date-time, e.g. 2026-01-02T03:04:05Z (got '${value}')`);
  }

  const explicitMetadata = inputs.metadata ?? inputs.extra_metadata;
  const user =
    explicitMetadata !== undefined && explicitMetadata !== ""
      ? parseMetadata(explicitMetadata, "input", problems)
      : parseMetadata(
          pick(env, "VERSIONER_METADATA", "VERSIONER_EXTRA_METADATA"),
          "VERSIONER_METADATA",
          problems,
        );
  const metadata = { ...ci.metadata, ...user };
  if (Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES) {
    problems.push(`metadata must be at most ${MAX_METADATA_BYTES / 1024} KB when serialized`);
  }
  if (Object.keys(metadata).length > 0) event.extra_metadata = metadata;

  if (problems.length > 0) throw new UsageError(`Invalid input: ${problems.join("; ")}`);
  return definedOnly(event);
}

/**
 * Builds a `POST /build-events/` body. Precedence per field: explicit input > `VERSIONER_<FIELD>`
 * env > CI detection > default (product: repository name; version: short SHA; status: completed).
 * Detected `vi_*` metadata is merged under the user's metadata. Throws `UsageError` naming the fields
 * for what can be checked locally (required fields, status, timestamps, metadata); the collector
 * validates the rest (field lengths) and the client surfaces that as `ValidationError`.
 */
export function resolveBuildEvent(
  inputs: TrackInputs,
  env: Env,
  ci: CiContext = detectCi(env),
): BuildEventInput {
  return resolve("build", inputs, env, ci) as BuildEventInput;
}

/** Builds a `POST /deployment-events/` body; same precedence as `resolveBuildEvent`, and `environment_name` is required. */
export function resolveDeploymentEvent(
  inputs: TrackInputs,
  env: Env,
  ci: CiContext = detectCi(env),
): DeploymentEventInput {
  // CI never resolves the break-glass `skip_preflight_checks`: it is a deliberate request, not a fact of the run.
  return resolve("deployment", inputs, env, ci) as Omit<DeploymentEventInput, "skip_preflight_checks">;
}
