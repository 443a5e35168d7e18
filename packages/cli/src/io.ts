import type { Env } from "@versioner/ci-env";

/** Everything a command touches outside itself, so tests can run commands in-process. */
export interface Io {
  env: Env;
  stdout(text: string): void;
  stderr(text: string): void;
  cwd?: string;
  /** Appends to a file (GitHub step summary). */
  appendFile?(path: string, text: string): void;
  fetch?: typeof fetch;
  /** Clock and sleep of `check --wait`; tests pass their own. */
  now?(): number;
  sleep?(ms: number): Promise<void>;
}

/** Process exit codes. */
export const EXIT = { ok: 0, usage: 1, network: 1, api: 4, blocked: 5 } as const;
