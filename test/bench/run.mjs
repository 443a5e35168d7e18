// `npm run bench`: runs every section of sections.mjs, prints the table and writes results/latest.json.
// Settings: BENCH_ROUNDS (3), BENCH_SECONDS (3), BENCH_WARMUP_SECONDS (0.5), BENCH_SEED_SECONDS (120),
// BENCH_DORA_DEPLOYMENTS (1000000), BENCH_DORA_REQUESTS (200), BENCH_WATCHDOG_MINUTES (30);
// BENCH_ONLY=id,id (or --only id,id) runs a subset and then leaves latest.json alone; opt-in sections
// (rss, with BENCH_RSS_EVENTS) run only when named there. --sqld (or BENCH_SQLD=1) also runs the
// ingest sections against a collector on sqld. See README.md for what each figure means.
import { createRequire } from "node:module";
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { evaluateGoals, formatGoals } from "./goals.mjs";
import { formatReport, withRatios, writeReport } from "./report.mjs";
import { SECTIONS } from "./sections.mjs";
import { cleanupNow } from "./servers.mjs";

const RESULTS = fileURLToPath(new URL("./results/latest.json", import.meta.url));
// Well past what a full run takes on 2 cores (section (e) seeds a million deployments with SQL,
// minutes on a busy machine): only a hang gets here. BENCH_WATCHDOG_MINUTES overrides.
const WATCHDOG_MS = Number(process.env.BENCH_WATCHDOG_MINUTES ?? 30) * 60 * 1000;

function positiveNumber(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function machine() {
  const cores = cpus();
  const require = createRequire(import.meta.url);
  return {
    cores: cores.length,
    cpu_model: cores[0]?.model?.trim() ?? "unknown",
    memory_gib: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${platform()} ${release()}`,
    autocannon: require("autocannon/package.json").version,
  };
}

const log = (line) => process.stderr.write(`${line}\n`);

/** `--only a,b` or `--only=a,b` on the command line: the same as BENCH_ONLY. */
function onlyArgument() {
  const args = process.argv.slice(2);
  const index = args.findIndex((arg) => arg === "--only" || arg.startsWith("--only="));
  if (index < 0) return undefined;
  return args[index].includes("=") ? args[index].slice("--only=".length) : args[index + 1];
}

/** `--sqld` on the command line or BENCH_SQLD=1: the ingest sections also run against sqld. */
function sqldRequested() {
  return process.argv.slice(2).includes("--sqld") || ["1", "true"].includes(process.env.BENCH_SQLD ?? "");
}

/** fetch() hides the reason ("fetch failed") in `cause`; keep both in the report. */
function describe(error) {
  const message = String(error?.message ?? error);
  return error?.cause ? `${message}: ${error.cause.message ?? error.cause}` : message;
}

async function main() {
  const settings = {
    rounds: Math.round(positiveNumber("BENCH_ROUNDS", 3)),
    seconds: positiveNumber("BENCH_SECONDS", 3),
    warmupSeconds: positiveNumber("BENCH_WARMUP_SECONDS", 0.5),
    // What is left of 5 minutes on 2 cores once the load rounds and the cold start have run.
    seedBudgetSeconds: positiveNumber("BENCH_SEED_SECONDS", 120),
    sqld: sqldRequested(),
  };
  const only = (onlyArgument() ?? process.env.BENCH_ONLY)?.split(",").filter(Boolean);
  const unknown = only?.filter((id) => !SECTIONS.some((section) => section.id === id)) ?? [];
  if (unknown.length) {
    throw new Error(
      `unknown section ${unknown.join(", ")}; sections: ${SECTIONS.map((s) => s.id).join(", ")}`,
    );
  }
  const sections = only
    ? SECTIONS.filter((section) => only.includes(section.id))
    : SECTIONS.filter((section) => !section.optIn);
  const started = Date.now();
  // The machine may be shared: the load around the run says how much to trust its figures.
  const loadAtStart = loadavg();
  const results = [];
  for (const section of sections) {
    log(section.title);
    const base = { id: section.id, title: section.title, unit: section.unit };
    try {
      const result = await section.run({ settings, log });
      results.push({ ...base, ...result, ...(result.rows ? { rows: withRatios(result.rows) } : {}) });
    } catch (error) {
      // One broken section should not hide the others' figures; the exit code still reports it.
      log(
        `  failed: ${error.stack ?? error}${error.cause ? `\n  cause: ${error.cause.stack ?? error.cause}` : ""}`,
      );
      results.push({ ...base, error: describe(error) });
    }
  }
  const report = {
    generated_at: new Date().toISOString(),
    duration_seconds: Math.round((Date.now() - started) / 1000),
    machine: { ...machine(), load_average: { start: loadAtStart, end: loadavg() } },
    settings: {
      rounds: settings.rounds,
      seconds: settings.seconds,
      warmup_seconds: settings.warmupSeconds,
      seed_budget_seconds: settings.seedBudgetSeconds,
      sqld: settings.sqld,
    },
    sections: results,
    goals: evaluateGoals(results),
  };
  process.stdout.write(formatReport(report));
  process.stdout.write(`${formatGoals(report.goals)}\n`);
  if (only) {
    log(`\nBENCH_ONLY is set: ${RESULTS} left as it was.`);
  } else {
    writeReport(RESULTS, report);
    log(`\nwritten to ${RESULTS}`);
  }
  return results.some((section) => section.error) ? 1 : 0;
}

process.on("exit", cleanupNow);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    cleanupNow();
    process.exit(signal === "SIGINT" ? 130 : 143);
  });
}
setTimeout(() => {
  log(`bench still running after ${WATCHDOG_MS / 60_000} minutes: stopping`);
  cleanupNow();
  process.exit(1);
}, WATCHDOG_MS).unref();

try {
  process.exitCode = await main();
} catch (error) {
  log(error.stack ?? String(error));
  process.exitCode = 1;
} finally {
  cleanupNow();
}
