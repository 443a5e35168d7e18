import { COMMAND_SCOPE, type Command } from "./command-line.ts";
import { FLAGS, type FlagScope } from "./flags.ts";

const SUMMARY: Readonly<Record<string, string>> = {
  "track build": "Record a build of a version",
  "track deployment": "Record a deployment of a version to an environment",
  check: "Ask whether a deployment is allowed now (dry-run of the rules; exit 5 when blocked)",
  state: "Print the product × environment matrix of current versions",
  diff: "Show the products whose current versions differ between two environments",
  metrics: "Print DORA's four keys for the production environments",
  "ci-env": "Print the CI metadata detected from the environment",
  mcp: "Serve Versioner to an AI agent over MCP (stdio); needs a personal token",
};

function flagLines(scope: FlagScope): string[] {
  const rows = FLAGS.filter((flag) => flag.scopes.includes(scope)).map((flag) => {
    const names = [
      flag.short ? `-${flag.short}` : "",
      `--${flag.name}`,
      ...(flag.aliases ?? []).map((a) => `--${a}`),
    ]
      .filter(Boolean)
      .join(", ");
    const left = flag.value ? `${names} ${flag.value}` : names;
    // A `state` filter reads no variable: a CI job's VERSIONER_PRODUCT_NAME must not narrow the matrix.
    if (scope === "state" && flag.filter) return [left, flag.filter] as const;
    const env = flag.env?.length ? ` [env: ${flag.env.join(", ")}]` : "";
    return [left, `${flag.description}${env}`] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}

/** Help text for the whole CLI or one command. */
export function helpText(topic?: Command): string {
  const scope = topic && COMMAND_SCOPE[topic];
  if (scope) {
    return [
      `Usage: versioner ${topic}${topic === "diff" ? " <environment-a> <environment-b>" : ""} [flags]`,
      "",
      SUMMARY[topic],
      "",
      "Flags:",
      ...flagLines(scope),
      "",
    ].join("\n");
  }
  return [
    "Usage: versioner <command> [flags]",
    "",
    "Commands:",
    ...Object.entries(SUMMARY).map(([command, summary]) => `  ${command.padEnd(18)}${summary}`),
    "",
    "  versioner <command> --help   Flags of one command",
    "  versioner --version          Print the CLI version",
    "",
    "Configuration: VERSIONER_API_URL, VERSIONER_API_KEY, and VERSIONER_<FIELD> for every event field.",
    "Precedence: flag > VERSIONER_* variable > CI detection > default.",
    "Exit codes: 0 ok, 1 usage or network error, 4 API error, 5 deployment blocked by a rule.",
    "",
  ].join("\n");
}
