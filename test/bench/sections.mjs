// The bench, section by section. To add a line (say "ingest with 3 notification channels vs none"),
// append an entry to SECTIONS: `run(context)` returns { rows } (one row per server, from
// compareInterleaved, rendered as the load table), { figures } (a flat object), or { skipped }.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dashboardSection } from "./dashboard-section.mjs";
import { doraSection } from "./dora-section.mjs";
import { countersOf, describeEngine, engineFigures } from "./engine-figures.mjs";
import { governanceSection } from "./governance-section.mjs";
import { compareInterleaved } from "./load.mjs";
import { notificationsSection } from "./notifications-section.mjs";
import { pagesSection } from "./pages-section.mjs";
import { responsivenessSection } from "./responsiveness-section.mjs";
import { rssSection } from "./rss-section.mjs";
import { makeTempDir, startBaseline, startCollector, startSqld } from "./servers.mjs";
import {
  BATCH_SIZE,
  batchRequest,
  STATE_DEPLOYMENTS,
  STATE_ENVIRONMENTS,
  STATE_PRODUCTS,
  seedState,
  singleEventRequest,
} from "./workload.mjs";

// The issue's single-event goal is stated for 50 concurrent connections.
const SINGLE_CONNECTIONS = 50;
const COLD_START_MODULE = fileURLToPath(new URL("./action-cold-start.mjs", import.meta.url));

/**
 * Starts both baselines (and a fresh collector unless given one; with `sqld`, also a collector on a
 * fresh sqld), runs `body`, stops what it started.
 */
async function withServers(options, body) {
  const started = [];
  try {
    started.push(await startBaseline("node:http", options));
    started.push(await startBaseline("hono", options));
    const collector = options.collector ?? (await startCollector());
    if (!options.collector) started.push(collector);
    const servers = [started[0], started[1], collector];
    if (options.sqld) {
      const sqld = await startSqld();
      started.push(sqld);
      const onSqld = await startCollector({ sqld });
      started.push(onSqld);
      servers.push(onSqld);
    }
    return await body(servers);
  } finally {
    for (const server of started.reverse()) await server.stop();
  }
}

/** The goal for a collector on sqld: at least half the throughput of one on the local file. */
export const SQLD_GOAL_RATIO = 0.5;

/**
 * (a) and (b): the workload against the baselines and the collector (and, with --sqld, a collector
 * on sqld), plus what the load cost each collector's engine (engine-figures.mjs).
 */
async function ingestComparison(context, workload) {
  return withServers({ sqld: context.settings.sqld }, async (servers) => {
    const collectors = servers.filter((server) => server.name.startsWith("collector"));
    const before = await Promise.all(collectors.map(countersOf));
    const rows = await compareInterleaved(servers, workload, context.settings, context.log);
    const after = await Promise.all(collectors.map(countersOf));
    const engines = Object.fromEntries(
      collectors.map((collector, i) => [collector.name, engineFigures(before[i], after[i])]),
    );
    const notes = collectors.flatMap((collector) => describeEngine(collector.name, engines[collector.name]));
    const [file, onSqld] = ["collector", "collector (sqld)"].map((name) =>
      rows.find((r) => r.variant === name),
    );
    const extra = { engines };
    if (file && onSqld) {
      extra.sqld_ratio = Math.round((onSqld.throughput / file.throughput) * 1000) / 1000;
      notes.push(
        `sqld / local file: ${extra.sqld_ratio}× (goal ≥ ${SQLD_GOAL_RATIO}×); ` +
          `p99 ${onSqld.p99_ms.toFixed(2)} ms on sqld vs ${file.p99_ms.toFixed(2)} ms on the file`,
      );
    }
    return { rows, notes, extra };
  });
}

export const SECTIONS = [
  {
    id: "ingest-single",
    title: `(a) Deployment-event ingest, one event per POST /deployment-events/ (${SINGLE_CONNECTIONS} connections)`,
    unit: "req/s",
    run: (context) =>
      ingestComparison(context, {
        unit: "req/s",
        connections: SINGLE_CONNECTIONS,
        request: singleEventRequest,
      }),
  },
  {
    id: "ingest-batch",
    title: `(b) POST /events/batch, ${BATCH_SIZE} deployment events per request (2 connections)`,
    unit: "events/s",
    run: (context) =>
      ingestComparison(context, {
        unit: "events/s",
        connections: 2,
        request: batchRequest,
        itemsPerRequest: BATCH_SIZE,
      }),
  },
  responsivenessSection,
  {
    id: "state",
    title:
      `(c) GET /state, ${STATE_PRODUCTS} products × ${STATE_ENVIRONMENTS.length} environments, ` +
      `${STATE_DEPLOYMENTS.toLocaleString("en-US")} deployments seeded through /events/batch (10 connections)`,
    unit: "req/s",
    async run(context) {
      const collector = await startCollector();
      try {
        context.log(
          `  seeding up to ${STATE_DEPLOYMENTS} deployments (budget ${context.settings.seedBudgetSeconds} s)…`,
        );
        const seed = await seedState(collector, {
          budgetSeconds: context.settings.seedBudgetSeconds,
          onProgress: (done, seconds) => context.log(`    ${done} deployments after ${seconds.toFixed(0)} s`),
        }).catch((error) => {
          throw new Error(
            `${error.message}${collector.exitedWith() ? ` (the collector ${collector.exitedWith()})` : ""}`,
          );
        });
        context.log(`  seeded ${seed.deployments} in ${seed.seconds.toFixed(1)} s`);
        const response = await fetch(`${collector.url}/state`, {
          headers: { authorization: `Bearer ${collector.token}` },
        });
        const text = await response.text();
        const state = JSON.parse(text);
        // Seeding fills every cell in its first sweep, so even a partial seed gives the full matrix.
        if (
          state.products?.length !== STATE_PRODUCTS ||
          state.environments?.length !== STATE_ENVIRONMENTS.length
        ) {
          throw new Error(
            `/state shows ${state.products?.length} products × ${state.environments?.length} environments after seeding`,
          );
        }
        // The baselines serialise the same document per request: the ceiling for sending these bytes.
        const getBodyFile = join(makeTempDir("versioner-bench-state-"), "state.json");
        writeFileSync(getBodyFile, text);
        const rows = await withServers({ getBodyFile, collector }, (servers) =>
          compareInterleaved(
            servers,
            { unit: "req/s", connections: 10, request: () => ({ method: "GET", path: "/state" }) },
            context.settings,
            context.log,
          ),
        );
        return {
          rows,
          extra: {
            seed: {
              deployments: seed.deployments,
              target: seed.target,
              complete: seed.complete,
              budget_seconds: context.settings.seedBudgetSeconds,
              batches: seed.batches,
              batch_size: BATCH_SIZE,
              seconds: round(seed.seconds),
              events_per_second: Math.round(seed.events_per_second),
            },
            state_response_bytes: Buffer.byteLength(text),
          },
        };
      } finally {
        await collector.stop();
      }
    },
  },
  {
    id: "action-cold-start",
    title: "GitHub Action cold start (committed bundle vs `node -e 0`, median of 25 spawns)",
    async run() {
      if (!existsSync(COLD_START_MODULE))
        return { skipped: "test/bench/action-cold-start.mjs is not there yet" };
      const module = await import(pathToFileURL(COLD_START_MODULE).href);
      if (typeof module.benchActionColdStart !== "function") {
        return { skipped: "action-cold-start.mjs does not export benchActionColdStart()" };
      }
      return { figures: await module.benchActionColdStart() };
    },
  },
  notificationsSection,
  dashboardSection,
  doraSection,
  pagesSection,
  governanceSection,
  rssSection,
];

function round(value) {
  return Math.round(value * 100) / 100;
}
