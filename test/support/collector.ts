import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@versioner/collector/testing/sqld-server";
import { databaseEnv, dropDatabase } from "./database.ts";
import { waitFor } from "./wait-for.ts";

export { freePort };

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const SERVER_ENTRY = join(REPO_ROOT, "collector", "dist", "server.js");
export const CLI_ENTRY = join(REPO_ROOT, "packages", "cli", "dist", "versioner.mjs");

export interface RunningCollector {
  url: string;
  /** Its DATABASE_URL: a file, or a libSQL server with VERSIONER_TEST_ENGINE=sqld (support/database.ts). */
  databaseUrl: string;
  token: string;
  process: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then wait for exit; removes the temp database it made (not a given dbPath's). */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash, for durability tests. */
  kill(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  /**
   * Reuse a database (to restart a collector on the same data): this file, or with
   * VERSIONER_TEST_ENGINE=sqld the libSQL server kept for this path. `env.DATABASE_URL` wins over both.
   */
  dbPath?: string;
  token?: string;
  /** Run the process under this open-files limit (`ulimit -n`). */
  fdLimit?: number;
  /** Listen on this port (a restart that clients must find again); a free one by default. */
  port?: number;
  /** Options for Node itself, before the entry (e.g. V8's `--log-maps`). */
  nodeArgs?: string[];
}

/** Starts the built collector (collector/dist/server.js) as a real process on a temp database of the test engine. */
export async function startCollector(options: StartOptions = {}): Promise<RunningCollector> {
  const dir = options.dbPath ? dirname(options.dbPath) : mkdtempSync(join(tmpdir(), "versioner-e2e-"));
  const dbPath = options.dbPath ?? join(dir, "versioner.db");
  const token = options.token ?? "e2e-admin-token";
  const port = options.port ?? (await freePort());
  const database = options.env?.DATABASE_URL ? {} : await databaseEnv(dbPath);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    ...database,
    PORT: String(port),
    HOST: "127.0.0.1",
    VERSIONER_BOOTSTRAP_TOKEN: token,
    VERSIONER_LOG_LEVEL: "warn",
    // End-to-end tests send bursts with one token; the rate-limit tests turn it back on.
    VERSIONER_RATE_LIMIT_PER_SECOND: "0",
    VERSIONER_MAX_CONCURRENT_LARGE_REQUESTS: "0",
    ...options.env,
  };
  const forget = async () => {
    if (options.dbPath) return;
    await dropDatabase(dbPath);
    rmSync(dir, { recursive: true, force: true });
  };
  // `ulimit` needs a shell; `exec` keeps the collector the spawned process (signals reach it).
  const nodeArgs = [...(options.nodeArgs ?? []), SERVER_ENTRY];
  const [command, args] = options.fdLimit
    ? ["/bin/sh", ["-c", `ulimit -n ${options.fdLimit} && exec "$0" "$@"`, process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url, child, () => output);
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    await forget();
    throw error;
  }
  return {
    url,
    databaseUrl: env.DATABASE_URL ?? "",
    token,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      const code = await exited;
      await forget();
      return code;
    },
    async kill() {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string): Promise<void> {
  try {
    await waitFor(
      "/health to answer",
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error("the process exited first");
        const res = await fetch(`${url}/health`).catch(() => undefined); // refused: not listening yet
        return res?.ok;
        // Generous: on a loaded 2-core machine a start (migrations, key file, bootstrap) takes seconds.
      },
      60_000,
    );
  } catch (error) {
    throw new Error(`collector did not become healthy: ${(error as Error).message}\n${output()}`);
  }
}

/** fetch with the collector's token and JSON handling. */
export async function api(
  collector: Pick<RunningCollector, "url" | "token">,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${collector.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${collector.token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** Creates a user with a password through the API (the dashboard tests sign in as them); fails the test otherwise. */
export async function createUser(
  collector: Pick<RunningCollector, "url" | "token">,
  email: string,
  role: string,
  password: string,
): Promise<{ id: string }> {
  const res = await api(collector, "POST", "/users", { email, name: email.split("@")[0], role, password });
  if (res.status !== 201) throw new Error(`POST /users ${email}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string };
}
