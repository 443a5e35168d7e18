// `npm run test:mutation`: StrykerJS over the modules that hold the product's rules, one workspace
// after another (each has its own stryker.config.json), then one score table per module.
//
//   npm run test:mutation                 every workspace
//   npm run test:mutation -- collector    only the named workspaces (schema, ci-env, collector)
//   npm run test:mutation -- --report     print the table from the last run's reports, run nothing
//
// Exits 1 when a module scores below 85 % (the target of issue 14). Not part of `npm test`: a full
// run takes tens of minutes on a 2-core machine.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const minimum = 85;

/** Workspaces and the modules their mutated files are grouped into (first matching prefix wins). */
const WORKSPACES = [
  {
    name: "schema",
    dir: "packages/schema",
    modules: [["schema (status, fields)", "src/"]],
  },
  {
    name: "ci-env",
    dir: "packages/ci-env",
    modules: [["ci-env (providers)", "src/providers/"]],
  },
  {
    name: "collector",
    dir: "collector",
    modules: [
      ["ingest", "src/ingest/"],
      ["auth", "src/auth/"],
      ["outbound guard + retry policy", "src/notifications/"],
      ["governance", "src/governance/"],
    ],
  },
];

const args = process.argv.slice(2);
const reportOnly = args.includes("--report");
const wanted = args.filter((arg) => !arg.startsWith("--"));
const unknown = wanted.filter((name) => !WORKSPACES.some((w) => w.name === name));
if (unknown.length > 0) {
  console.error(`Unknown workspace ${unknown.join(", ")}; use ${WORKSPACES.map((w) => w.name).join(", ")}`);
  process.exit(2);
}
const selected = WORKSPACES.filter((w) => wanted.length === 0 || wanted.includes(w.name));

let failed = false;
for (const workspace of selected) {
  if (reportOnly) continue;
  console.log(`\n=== Stryker: ${workspace.dir} ===`);
  const result = spawnSync("npx", ["stryker", "run"], { cwd: join(root, workspace.dir), stdio: "inherit" });
  if (result.status !== 0) {
    console.error(`Stryker failed in ${workspace.dir} (exit ${result.status})`);
    failed = true;
  }
}

const rows = [];
for (const workspace of selected) {
  const reportPath = join(root, workspace.dir, "reports/mutation/mutation.json");
  if (!existsSync(reportPath)) {
    rows.push({ module: workspace.name, note: `no report (${relative(root, reportPath)})` });
    failed = true;
    continue;
  }
  const report = JSON.parse(readFileSync(reportPath, "utf8"));
  for (const [module, prefix] of workspace.modules) {
    const counts = { killed: 0, timeout: 0, survived: 0, noCoverage: 0, files: 0 };
    for (const [file, result] of Object.entries(report.files)) {
      const path = relative(join(root, workspace.dir), join(root, workspace.dir, file)).replaceAll("\\", "/");
      const owner = workspace.modules.find(([, p]) => path.startsWith(p));
      if (owner?.[1] !== prefix) continue;
      counts.files += 1;
      for (const mutant of result.mutants) {
        if (mutant.status === "Killed") counts.killed += 1;
        else if (mutant.status === "Timeout") counts.timeout += 1;
        else if (mutant.status === "Survived") counts.survived += 1;
        else if (mutant.status === "NoCoverage") counts.noCoverage += 1;
      }
    }
    // Stryker's "total" score: detected (killed, timed out) over every valid mutant, uncovered ones included.
    const detected = counts.killed + counts.timeout;
    const total = detected + counts.survived + counts.noCoverage;
    if (counts.files === 0) {
      // A module not on this branch yet (governance is merged separately): nothing to score.
      rows.push({ module, note: "no files to mutate" });
      continue;
    }
    const score = total === 0 ? 100 : (100 * detected) / total;
    if (score < minimum) failed = true;
    rows.push({ module, score, ...counts });
  }
}

const pad = (value, width) => String(value).padStart(width);
console.log(`\nMutation score per module (minimum ${minimum}%; reports in <workspace>/reports/mutation/)`);
console.log(
  `${"module".padEnd(32)} ${pad("score", 7)} ${pad("killed", 7)} ${pad("timeout", 8)} ${pad("survived", 9)} ${pad("no cov", 7)}`,
);
for (const row of rows) {
  if (row.note) {
    console.log(`${row.module.padEnd(32)} ${row.note}`);
    continue;
  }
  const mark = row.score < minimum ? "  < minimum" : "";
  console.log(
    `${row.module.padEnd(32)} ${pad(`${row.score.toFixed(1)}%`, 7)} ${pad(row.killed, 7)} ${pad(row.timeout, 8)} ${pad(row.survived, 9)} ${pad(row.noCoverage, 7)}${mark}`,
  );
}
process.exit(failed ? 1 : 0);
