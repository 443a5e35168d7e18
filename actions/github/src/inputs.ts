import { type Env, UsageError } from "@versioner/ci-env";
import type { EventKind } from "@versioner/schema/vocabulary";

/** Everything the step was asked to do, validated; the only product of reading `INPUT_*`. */
export interface ActionSettings {
  apiUrl: string;
  apiKey: string;
  eventType: EventKind;
  /** Empty inputs are `undefined` so `VERSIONER_*` and CI detection can fill them. */
  productName: string | undefined;
  version: string | undefined;
  environment: string | undefined;
  status: string;
  /** JSON text; parsed, merged over the detected `vi_gh_*` keys and checked by `@versioner/ci-env`. */
  metadata: string | undefined;
  failOnApiError: boolean;
}

/** The runner passes input `foo_bar` as `INPUT_FOO_BAR` (upper-cased, spaces → `_`), as @actions/core reads it. */
function input(env: Env, name: string): string {
  return (env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] ?? "").trim();
}

function isHttpUrl(value: string): boolean {
  // A value that starts with http(s):// and parses has an http: or https: protocol.
  return /^https?:\/\//i.test(value) && URL.canParse(value);
}

function optional(value: string): string | undefined {
  return value === "" ? undefined : value;
}

/**
 * Reads and validates every input. `api_url`/`api_key` fall back to `VERSIONER_API_URL`/`VERSIONER_API_KEY`.
 * Throws a `UsageError` listing every problem at once.
 */
export function readSettings(env: Env): ActionSettings {
  const problems: string[] = [];
  const apiUrl = (input(env, "api_url") || env.VERSIONER_API_URL?.trim() || "").replace(/\/+$/, "");
  if (!apiUrl) problems.push("Input api_url is required (or set VERSIONER_API_URL)");
  else if (!isHttpUrl(apiUrl))
    problems.push(`Input api_url must be an http:// or https:// URL, got '${apiUrl}'`);

  const apiKey = input(env, "api_key") || env.VERSIONER_API_KEY?.trim() || "";
  if (!apiKey) problems.push("Input api_key is required (or set VERSIONER_API_KEY)");

  const eventType = (input(env, "event_type") || "deployment").toLowerCase();
  if (eventType !== "build" && eventType !== "deployment") {
    problems.push(`Input event_type must be build or deployment, got '${eventType}'`);
  }

  const failOnApiErrorInput = input(env, "fail_on_api_error");
  const failOnApiError = (failOnApiErrorInput || "true").toLowerCase();
  if (failOnApiError !== "true" && failOnApiError !== "false") {
    problems.push(`Input fail_on_api_error must be true or false, got '${failOnApiErrorInput}'`);
  }

  const settings: ActionSettings = {
    apiUrl,
    apiKey,
    eventType: eventType === "build" ? "build" : "deployment",
    productName: optional(input(env, "product_name")),
    version: optional(input(env, "version")),
    environment: optional(input(env, "environment")),
    status: input(env, "status") || "success",
    metadata: optional(input(env, "metadata")),
    failOnApiError: failOnApiError !== "false",
  };
  if (problems.length > 0) throw new UsageError(problems.join("; "));
  return settings;
}
