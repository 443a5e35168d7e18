import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "@versioner/ci-env";
import { FLAGS, type FlagScope, flagByName } from "./flags.ts";

/** A command the CLI knows. */
export type Command =
  | "track build"
  | "track deployment"
  | "check"
  | "state"
  | "diff"
  | "metrics"
  | "ci-env"
  | "mcp"
  | "help"
  | "version";

/** The parsed command line: flag values keyed by their canonical (non-alias) name. */
export interface CommandLine {
  command: Command;
  /** For `help`: the command help was asked about, if any. */
  topic?: Command;
  values: Record<string, string | boolean>;
  /** `state` filters (flags with a `filter` meaning), each possibly given several times. */
  filters: Record<string, string[]>;
  /** Positional arguments after the command words (`diff <a> <b>`). */
  args?: string[];
}

/** The flag scope of each command that takes command-specific flags. */
export const COMMAND_SCOPE: Partial<Record<Command, FlagScope>> = {
  "track build": "build",
  "track deployment": "deployment",
  check: "check",
  state: "state",
  diff: "diff",
  metrics: "metrics",
  "ci-env": "ci-env",
  mcp: "mcp",
};

function parserOptions(): NonNullable<ParseArgsConfig["options"]> {
  const options: NonNullable<ParseArgsConfig["options"]> = {};
  for (const flag of FLAGS) {
    // Filters may repeat (`state --product a --product b`); the track commands refuse a second value.
    const multiple = flag.filter !== undefined;
    options[flag.name] = { type: flag.type, multiple, ...(flag.short ? { short: flag.short } : {}) };
    for (const alias of flag.aliases ?? []) options[alias] = { type: flag.type, multiple };
  }
  return options;
}

function commandFrom(positionals: string[]): Command | undefined {
  const [first, second, ...rest] = positionals;
  if (first === "diff") {
    if (positionals.length === 1) return "diff";
    if (positionals.length !== 3)
      throw new UsageError("Usage: versioner diff <environment-a> <environment-b>");
    return "diff";
  }
  if (rest.length > 0) return undefined;
  if (first === "track" && (second === "build" || second === "deployment")) return `track ${second}`;
  if (second !== undefined) return undefined;
  if (["check", "state", "metrics", "ci-env", "mcp", "help", "version"].includes(first ?? ""))
    return first as Command;
  return undefined;
}

/** Parses `argv` (without node and script); throws `UsageError` on unknown commands, flags or misplaced flags. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  // `--version` alone prints the CLI version; inside `track` it is the event's version and takes a value.
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V"))
    return { command: "version", values: {}, filters: {} };

  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: parserOptions(), allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }

  const values: Record<string, string | boolean> = {};
  const repeated: Record<string, string[]> = {};
  for (const [given, value] of Object.entries(parsed.values)) {
    // parseArgs only yields names declared in parserOptions(), all of which come from FLAGS.
    const flag = flagByName(given);
    if (!flag || value === undefined) continue;
    if (Array.isArray(value)) {
      repeated[flag.name] = [...(repeated[flag.name] ?? []), ...value.map(String)];
      continue;
    }
    if (flag.name in values) throw new UsageError(`--${flag.name} was given twice (as --${given})`);
    values[flag.name] = value;
  }

  const command = parsed.positionals.length === 0 ? "help" : commandFrom(parsed.positionals);
  const filters: Record<string, string[]> = {};
  for (const [name, list] of Object.entries(repeated)) {
    if (command === "state") filters[name] = list;
    else if (list.length > 1) throw new UsageError(`--${name} was given twice`);
    else if (list[0] !== undefined) values[name] = list[0];
  }

  if (parsed.positionals.length === 0) return { command: "help", values, filters };
  if (parsed.positionals[0] === "help") {
    const topic = commandFrom(parsed.positionals.slice(1));
    return { command: "help", values, filters, ...(topic ? { topic } : {}) };
  }
  if (!command) {
    throw new UsageError(`Unknown command '${parsed.positionals.join(" ")}'. Run 'versioner --help'.`);
  }
  if (values.help === true) return { command: "help", topic: command, values, filters };
  const args = parsed.positionals.slice(1);
  if (command === "diff" && args.length !== 2)
    throw new UsageError("Usage: versioner diff <environment-a> <environment-b>");

  const scope = COMMAND_SCOPE[command];
  for (const name of [...Object.keys(values), ...Object.keys(filters)]) {
    const flag = flagByName(name);
    if (scope && flag && !flag.scopes.includes(scope)) {
      throw new UsageError(`--${name} does not apply to 'versioner ${command}'`);
    }
  }
  return { command, values, filters, ...(command === "diff" ? { args } : {}) };
}

/** Reads a true/false setting written as true|false|1|0|yes|no (any case). */
export function parseBoolean(value: string, name: string): boolean {
  const lower = value.trim().toLowerCase();
  if (["true", "1", "yes"].includes(lower)) return true;
  if (["false", "0", "no"].includes(lower)) return false;
  throw new UsageError(`${name} must be true or false, not '${value}'`);
}
