import { UsageError } from "@versioner/ci-env";
import { VersionerError } from "@versioner/client";
import { parseCommandLine } from "./command-line.ts";
import { checkCommand } from "./commands/check.ts";
import { ciEnvCommand } from "./commands/ci-env.ts";
import { diffCommand } from "./commands/diff.ts";
import { metricsCommand } from "./commands/metrics.ts";
import { stateCommand } from "./commands/state.ts";
import { trackCommand } from "./commands/track.ts";
import { apiKeyGiven, CLI_VERSION } from "./connection.ts";
import { errorHint } from "./error-hints.ts";
import { helpText } from "./help.ts";
import { EXIT, type Io } from "./io.ts";

/** Runs the CLI with `argv` (without node and script) and returns the exit code; never throws. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  let values: Record<string, string | boolean> = {};
  let commandName = "";
  try {
    const commandLine = parseCommandLine(argv);
    const { command } = commandLine;
    commandName = command;
    values = commandLine.values;
    switch (command) {
      case "version":
        io.stdout(`${CLI_VERSION}\n`);
        return EXIT.ok;
      case "help":
        // Bare `versioner` is a mistake (exit 1); asking for help is not.
        if (argv.length === 0) {
          io.stderr(helpText());
          return EXIT.usage;
        }
        io.stdout(helpText(commandLine.topic));
        return EXIT.ok;
      case "track build":
        return await trackCommand("build", values, io);
      case "track deployment":
        return await trackCommand("deployment", values, io);
      case "check":
        return await checkCommand(values, io);
      case "state":
        return await stateCommand(values, commandLine.filters, io);
      case "diff":
        return await diffCommand(commandLine.args ?? [], values, io);
      case "metrics":
        return await metricsCommand(values, io);
      case "mcp": {
        // Loaded on demand: the MCP SDK and zod are most of the bundle, and CI steps never need them.
        const { mcpCommand } = await import("./commands/mcp.ts");
        return await mcpCommand(values, io);
      }
      case "ci-env":
        return ciEnvCommand(values, io);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`error: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof VersionerError) {
      // The track commands report their own errors; `check` needs its own 403 hint.
      const command = commandName === "check" ? "check" : "state";
      io.stderr(`error: ${error.message}\n${errorHint(error, command, apiKeyGiven(values, io)) ?? ""}`);
      return error.kind === "unreachable" ? EXIT.network : EXIT.api;
    }
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.usage;
  }
}
