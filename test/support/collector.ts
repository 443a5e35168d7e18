import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor } from "./wait-for.ts";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const SERVER_ENTRY = join(REPO_ROOT, "collector", "dist", "server.js");
export const CLI_ENTRY = join(REPO_ROOT, "packages", "cli", "dist", "versioner.mjs");

export interface RunningCollector {
  url: string;
  token: string;
  process: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then wait for exit; removes the temp folder it made (not a given dbPath's). */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash, for durability tests. */
  kill(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** Reuse a database file (to restart a collector on the same data). */
  dbPath?: string;
  token?: string;
  /** Run the process under this open-files limit (`ulimit -n`). */
  fdLimit?: number;
  /** Listen on this port (a restart that clients must find again); a free one by default. */
  port?: number;
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

/** Starts the built collector (collector/dist/server.js) as a real process on a temp database. */
export async function startCollector(options: StartOptions = {}): Promise<RunningCollector> {
  const dir = options.dbPath ? dirname(options.dbPath) : mkdtempSync(join(tmpdir(), "versioner-e2e-"));
  const dbPath = options.dbPath ?? join(dir, "versioner.db");
  const token = options.token ?? "e2e-admin-token";
  const port = options.port ?? (await freePort());
  // `ulimit` needs a shell; `exec` keeps the collector the spawned process (signals reach it).
  const [command, args] = options.fdLimit
    ? ["/bin/sh", ["-c", `ulimit -n ${options.fdLimit} && exec "$0" "$1"`, process.execPath, SERVER_ENTRY]]
    : [process.execPath, [SERVER_ENTRY]];
  const child = spawn(command, args, {
    env: {
      PATH: process.env.PATH ?? "",
      DATABASE_URL: `file:${dbPath}`,
      PORT: String(port),
      HOST: "127.0.0.1",
      VERSIONER_BOOTSTRAP_TOKEN: token,
      VERSIONER_LOG_LEVEL: "warn",
      // End-to-end tests send bursts with one token; the rate-limit tests turn it back on.
      VERSIONER_RATE_LIMIT_PER_SECOND: "0",
      VERSIONER_MAX_CONCURRENT_LARGE_REQUESTS: "0",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
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
    if (!options.dbPath) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    token,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      const code = await exited;
      if (!options.dbPath) rmSync(dir, { recursive: true, force: true });
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
