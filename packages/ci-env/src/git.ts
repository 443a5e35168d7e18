import { execFileSync } from "node:child_process";

/** Runs `git <args>` in `cwd` and returns trimmed stdout, or undefined when git fails or is absent. */
export type GitRunner = (args: readonly string[], cwd: string | undefined) => string | undefined;

/** The real runner: a short synchronous `git` call whose failures are swallowed (detection is best effort). */
export const runGit: GitRunner = (args, cwd) => {
  try {
    const out = execFileSync("git", args, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 5000,
    }).trim();
    return out || undefined;
  } catch {
    return undefined;
  }
};
