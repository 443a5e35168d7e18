import { run } from "./main.ts";
import { createRunner } from "./workflow-commands.ts";

// The runner executes this file; the exit code is the step's result.
run().then(
  (exitCode) => {
    process.exitCode = exitCode;
  },
  (error: unknown) => {
    // Only a bug gets here: every expected failure is reported by run() itself.
    createRunner().error(error instanceof Error ? (error.stack ?? error.message) : String(error), {
      title: "Versioner: unexpected error",
    });
    process.exitCode = 1;
  },
);
