// The bench, section by section. To add a line (say "ingest with 3 notification channels vs none"),
// append an entry to SECTIONS: `run(context)` returns { rows } (one row per server, from
// compareInterleaved, rendered as the load table), { figures } (a flat object), or { skipped }.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dashboardSection } from "./dashboard-section.mjs";
import { doraSection } from "./dora-section.mjs";
import { governanceSection } from "./governance-section.mjs";
import { compareInterleaved } from "./load.mjs";
import { notificationsSection } from "./notifications-section.mjs";
import { makeTempDir, startBaseline, startCollector } from "./servers.mjs";
import {
  BATCH_SIZE,
  batchRequest,
  STATE_DEPLOYMENTS,
  STATE_ENVIRONMENTS,
  STATE_PRODUCTS,
  seedState,
  singleEventRequest,
} from "./workload.mjs";

const COLD_START_MODULE = fileURLToPath(new URL("./action-cold-start.mjs", import.meta.url));

/** Starts both baselines (and a fresh collector unless given one), runs `body`, stops what it started. */
async function withServers(options, body) {
  const started = [];
  try {
    started.push(await startBaseline("node:http", options));
    started.push(await startBaseline("hono", options));
    const collector = options.collector ?? (await startCollector());
    if (!options.collector) started.push(collector);
    return await body([started[0], started[1], collector]);
  } finally {
    for (const server of started.reverse()) await server.stop();
  }
}

export const SECTIONS = [
  {
    id: "ingest-single",
    title: "(a) Deployment-event ingest, one event per POST /deployment-events/ (10 connections)",
    unit: "req/s",
    async run(context) {
      const rows = await withServers({}, (servers) =>
        compareInterleaved(
          servers,
          { unit: "req/s", connections: 10, request: singleEventRequest },
          context.settings,
          context.log,
        ),
      );
      return { rows };
    },
  },
  {
    id: "ingest-batch",
    title: `(b) POST /events/batch, ${BATCH_SIZE} deployment events per request (2 connections)`,
    unit: "events/s",
    async run(context) {
      const rows = await withServers({}, (servers) =>
        compareInterleaved(
          servers,
          { unit: "events/s", connections: 2, request: batchRequest, itemsPerRequest: BATCH_SIZE },
          context.settings,
          context.log,
        ),
      );
      return { rows };
    },
  },
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
  governanceSection,
];

function round(value) {
  return Math.round(value * 100) / 100;
}
