import { envNamesFor } from "@versioner/ci-env";

/** Where a flag applies: the two track commands, `state`, `ci-env`, or everywhere. */
export type FlagScope = "build" | "deployment" | "check" | "state" | "diff" | "metrics" | "ci-env" | "mcp";

/** One command-line flag: the single source of truth for parsing, `--help` and the docs test. */
export interface FlagSpec {
  /** Long name without dashes, kebab-case. */
  name: string;
  aliases?: readonly string[];
  short?: string;
  type: "string" | "boolean";
  /** The event field it sets (track commands), if any. */
  field?: string;
  /** Environment variables read when the flag is absent. */
  env?: readonly string[];
  scopes: readonly FlagScope[];
  /** Placeholder shown in help for string flags. */
  value?: string;
  description: string;
  /** Its meaning as a filter of `versioner state`, where it may be repeated (and reads no variable). */
  filter?: string;
}

const TRACK: readonly FlagScope[] = ["build", "deployment"];
const ALL: readonly FlagScope[] = [
  "build",
  "deployment",
  "check",
  "state",
  "diff",
  "metrics",
  "ci-env",
  "mcp",
];
const CONNECT: readonly FlagScope[] = ["build", "deployment", "check", "state", "diff", "metrics", "mcp"];
const TRACK_AND_STATE: readonly FlagScope[] = ["build", "deployment", "state"];
const INSIGHT: readonly FlagScope[] = ["diff", "metrics"];

function eventFlag(
  name: string,
  field: string,
  scopes: readonly FlagScope[],
  description: string,
  extra: Partial<FlagSpec> = {},
): FlagSpec {
  return {
    name,
    field,
    type: "string",
    env: envNamesFor(field),
    scopes,
    value: "<value>",
    description,
    ...extra,
  };
}

/** Every flag of the CLI. */
export const FLAGS: readonly FlagSpec[] = [
  eventFlag(
    "product",
    "product_name",
    [...TRACK_AND_STATE, "check", ...INSIGHT],
    "Product name (default: the repository name)",
    {
      aliases: ["product-name"],
      value: "<name>",
      filter: "Only this product (repeatable)",
    },
  ),
  eventFlag(
    "version",
    "version",
    [...TRACK, "check"],
    "Version being built or deployed (default: the short commit SHA)",
    {
      value: "<version>",
    },
  ),
  eventFlag(
    "environment",
    "environment_name",
    ["deployment", "check", "state", "metrics"],
    "Target environment, e.g. production",
    {
      aliases: ["environment-name"],
      value: "<name>",
      filter: "Only this environment (repeatable)",
    },
  ),
  eventFlag(
    "status",
    "status",
    TRACK,
    "pending | started | completed | failed | aborted, or an alias (success, error, …); default completed",
    { value: "<status>" },
  ),
  eventFlag("scm-sha", "scm_sha", TRACK, "Commit SHA", { value: "<sha>" }),
  eventFlag("scm-repository", "scm_repository", TRACK, "Repository, e.g. acme/shop-api", {
    value: "<owner/repo>",
  }),
  eventFlag("scm-branch", "scm_branch", TRACK, "Branch that was built", { value: "<branch>" }),
  eventFlag(
    "scm-committed-at",
    "scm_committed_at",
    TRACK,
    "Commit time (RFC 3339); default from the CI or git",
    {
      value: "<time>",
    },
  ),
  eventFlag("build-number", "build_number", TRACK, "CI build or pipeline number"),
  eventFlag("build-url", "build_url", TRACK, "Link to the build (builds default to the CI run URL)", {
    value: "<url>",
  }),
  eventFlag(
    "deploy-url",
    "deploy_url",
    ["deployment"],
    "Link to the deployment run (default: the CI run URL)",
    {
      value: "<url>",
    },
  ),
  eventFlag("invoke-id", "invoke_id", TRACK, "CI run or invocation id"),
  eventFlag(
    "source-system",
    "source_system",
    TRACK,
    "CI system, e.g. github, gitlab, jenkins (default: detected)",
    {
      value: "<name>",
    },
  ),
  eventFlag("built-by", "built_by", ["build"], "Who triggered the build (default: the CI actor)", {
    value: "<user>",
  }),
  eventFlag("built-by-email", "built_by_email", ["build"], "Email of who triggered the build", {
    value: "<email>",
  }),
  eventFlag("built-by-name", "built_by_name", ["build"], "Display name of who triggered the build", {
    value: "<name>",
  }),
  eventFlag("deployed-by", "deployed_by", ["deployment"], "Who deployed (default: the CI actor)", {
    value: "<user>",
  }),
  eventFlag("deployed-by-email", "deployed_by_email", ["deployment"], "Email of who deployed", {
    value: "<email>",
  }),
  eventFlag("deployed-by-name", "deployed_by_name", ["deployment"], "Display name of who deployed", {
    value: "<name>",
  }),
  eventFlag("started-at", "started_at", TRACK, "Start time (RFC 3339)", { value: "<time>" }),
  eventFlag("completed-at", "completed_at", TRACK, "Completion time (RFC 3339)", { value: "<time>" }),
  {
    name: "metadata",
    aliases: ["extra-metadata"],
    field: "metadata",
    type: "string",
    env: ["VERSIONER_METADATA"],
    scopes: TRACK,
    value: "<json>",
    description: "JSON object (≤100 KB) stored as extra_metadata; wins over detected vi_* keys",
  },
  {
    name: "idempotency-key",
    type: "string",
    env: ["VERSIONER_IDEMPOTENCY_KEY"],
    scopes: TRACK,
    value: "<key>",
    description: "Deduplication key for this event (default: a random UUID, reused across retries)",
  },
  {
    name: "wait",
    type: "string",
    scopes: ["check"],
    value: "<seconds>",
    description:
      "While blocked, check again (at retry_after, else every 30 s) for up to this long; default 0 (no waiting)",
  },
  {
    name: "type",
    type: "string",
    scopes: ["state"],
    value: "<type>",
    description: "Only environments of this type: dev, test, staging or production (repeatable)",
    filter: "Only environments of this type: dev, test, staging or production (repeatable)",
  },
  {
    name: "api-url",
    type: "string",
    env: ["VERSIONER_API_URL"],
    scopes: CONNECT,
    value: "<url>",
    description: "Collector URL, e.g. https://versioner.example.com",
  },
  {
    name: "api-key",
    type: "string",
    env: ["VERSIONER_API_KEY"],
    scopes: CONNECT,
    value: "<key>",
    description: "API key; prefer VERSIONER_API_KEY (flags are visible in process lists)",
  },
  {
    name: "fail-on-api-error",
    type: "string",
    env: ["VERSIONER_FAIL_ON_API_ERROR"],
    scopes: TRACK,
    value: "true|false",
    description: "false: an unreachable or failing collector is only a warning (exit 0); default true",
  },
  {
    name: "timeout",
    type: "string",
    env: ["VERSIONER_TIMEOUT"],
    scopes: CONNECT,
    value: "<seconds>",
    description: "Timeout per attempt in seconds (default 30); up to 4 attempts with backoff",
  },
  {
    name: "team",
    type: "string",
    scopes: INSIGHT,
    value: "<team>",
    description: "Only products whose extra_metadata.team is this",
  },
  {
    name: "from",
    type: "string",
    scopes: ["metrics"],
    value: "<time>",
    description: "Window start (RFC 3339)",
  },
  {
    name: "to",
    type: "string",
    scopes: ["metrics"],
    value: "<time>",
    description: "Window end, exclusive (RFC 3339)",
  },
  {
    name: "bucket",
    type: "string",
    scopes: ["metrics"],
    value: "day|week|month",
    description: "Bucket size of the series (default week)",
  },
  {
    name: "tz",
    type: "string",
    scopes: ["metrics"],
    value: "<zone>",
    description: "IANA time zone whose local midnights start the buckets, e.g. Europe/Paris (default UTC)",
  },
  {
    name: "json",
    type: "boolean",
    scopes: ALL,
    description: "Print JSON (the API response, state or detection)",
  },
  { name: "quiet", short: "q", type: "boolean", scopes: ALL, description: "Print only errors and warnings" },
  { name: "help", short: "h", type: "boolean", scopes: ALL, description: "Show help" },
];

/** The spec of a flag by its name or alias. */
export function flagByName(name: string): FlagSpec | undefined {
  return FLAGS.find((flag) => flag.name === name || flag.aliases?.includes(name));
}
