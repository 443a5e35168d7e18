// Turns section results into the printed table and the JSON written to results/latest.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

const BASELINE_NAMES = ["node:http", "hono"];

/** Adds ratio_to_<baseline> (this row's throughput over the baseline's) to every row. */
export function withRatios(rows) {
  const baselines = Object.fromEntries(
    BASELINE_NAMES.map((name) => [name, rows.find((row) => row.variant === name)?.throughput]),
  );
  return rows.map((row) => ({
    ...row,
    ratio_to_node_http: ratio(row.throughput, baselines["node:http"]),
    ratio_to_hono: ratio(row.throughput, baselines.hono),
  }));
}

function ratio(value, baseline) {
  return value && baseline ? Math.round((value / baseline) * 1000) / 1000 : null;
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const fixed = (digits) => (value) => (value === null || value === undefined ? "–" : value.toFixed(digits));

function table(header, lines) {
  const widths = header.map((cell, i) => Math.max(cell.length, ...lines.map((line) => line[i].length)));
  const render = (cells) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("   ");
  return [render(header), ...lines.map(render)].map((line) => `  ${line}`).join("\n");
}

/** The human-readable report: machine, settings, then one block per section. */
export function formatReport(report) {
  const { machine, settings } = report;
  const out = [
    "",
    `Versioner bench — ${machine.cores} cores, ${machine.cpu_model}, Node ${machine.node}, ${machine.os}`,
    `${settings.rounds} rounds × ${settings.seconds} s per variant, interleaved, medians shown ` +
      `(warm-up ${settings.warmup_seconds} s each); total ${report.duration_seconds} s` +
      (settings.sqld ? "; ingest also on sqld (--sqld)" : ""),
  ];
  if (machine.load_average) {
    const load = (values) => values.map((value) => value.toFixed(2)).join(" ");
    out.push(
      `load average (1, 5, 15 min): ${load(machine.load_average.start)} at the start, ` +
        `${load(machine.load_average.end)} at the end`,
    );
  }
  for (const section of report.sections) {
    out.push("", section.title);
    if (section.error) {
      out.push(`  FAILED: ${section.error}`);
    } else if (section.skipped) {
      out.push(`  skipped: ${section.skipped}`);
    } else if (section.rows) {
      const lines = section.rows.map((row) => [
        row.variant,
        integer.format(row.throughput),
        fixed(2)(row.p50_ms),
        fixed(2)(row.p99_ms),
        row.rss_mb === null ? "–" : `${integer.format(row.rss_mb)} (${integer.format(row.peak_rss_mb)})`,
        `${fixed(3)(row.ratio_to_node_http)}×`,
        `${fixed(3)(row.ratio_to_hono)}×`,
      ]);
      out.push(
        table(
          ["variant", section.unit, "p50 ms", "p99 ms", "RSS MiB (peak)", "vs node:http", "vs hono"],
          lines,
        ),
      );
      if (section.extra?.seed) {
        const seed = section.extra.seed;
        out.push(
          `  seed: ${integer.format(seed.deployments)} deployments in ${seed.batches} batches of ${seed.batch_size}, ` +
            `${seed.seconds} s = ${integer.format(seed.events_per_second)} events/s; ` +
            `/state body ${integer.format(section.extra.state_response_bytes)} bytes`,
        );
        if (!seed.complete) {
          out.push(
            `  SEED INCOMPLETE: ${integer.format(seed.deployments)} of ${integer.format(seed.target)} deployments ` +
              `went in within the ${seed.budget_seconds} s budget (BENCH_SEED_SECONDS); /state above ran on those.`,
          );
        }
      }
    } else if (section.figures) {
      for (const [key, value] of Object.entries(section.figures)) out.push(`  ${key}: ${value}`);
    }
    for (const note of section.notes ?? []) out.push(`  ${note}`);
  }
  return `${out.join("\n")}\n`;
}

export function writeReport(path, report) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}
