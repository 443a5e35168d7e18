// Bench section: does ingest block everything else? GET /health and GET /state are probed on a
// fixed schedule, first on an idle collector, then while maximum-size batches (1,000 events) are
// ingested back to back, one in flight. The issue's goal: p99 ≤ 20 ms for both while a batch is
// being ingested (the event loop is never blocked by SQL).
// The probes are open loop: one is sent every PROBE_INTERVAL_MS whether the previous one has
// answered or not, so a stalled event loop shows as many slow probes, not as one slow probe and a
// gap (a closed loop would send nothing while it waits, and under-report the stall).
import { get } from "node:http";
import { Worker } from "node:worker_threads";
import { median } from "./load.mjs";
import { startCollector } from "./servers.mjs";
import { MAX_BATCH_SIZE, maxBatchRequest, postBatch } from "./workload.mjs";

// 20 a second: enough for a p99 over a few batches, little enough not to load the collector itself
// (at 50 a second an overloaded 2-core machine queued the probes even on an idle collector).
const PROBE_INTERVAL_MS = 50;
const PATHS = ["/health", "/state"];
const MIN_BATCHES = 3;
export const RESPONSIVENESS_GOAL_P99_MS = 20;

/** The goal for one path's probes during the batches: p99 within it, and not one probe failed. */
export function responsiveEnough(summary) {
  return summary.p99_ms <= RESPONSIVENESS_GOAL_P99_MS && summary.failed === 0;
}

/** "p50 / p99 / max ms (N probes[, M failed: 408 ×M])". */
export function describeProbes(summary) {
  const failed = Object.entries(summary.failures)
    .map(([kind, count]) => `${kind} ×${count}`)
    .join(", ");
  return (
    `${summary.p50_ms} / ${summary.p99_ms} / ${summary.max_ms} ms (${summary.probes} probes` +
    `${summary.failed ? `, ${summary.failed} failed: ${failed}` : ""})`
  );
}

/**
 * Probes PATHS alternately every PROBE_INTERVAL_MS for `seconds`, and then on until `enough()`
 * says so. Per path: every probe's latency in ms, and the failures (a status other than 200, such
 * as Node's own 408 when a stalled event loop let the headers timeout pass, or a socket error),
 * whose time until they failed is in the latencies too: a failed health check is no faster.
 */
async function probe(collector, seconds, enough = () => true) {
  const latencies = Object.fromEntries(PATHS.map((path) => [path, []]));
  const failures = Object.fromEntries(PATHS.map((path) => [path, []]));
  const pending = [];
  const headers = { authorization: `Bearer ${collector.token}` };
  // A new connection per probe, as a load balancer's health check makes: no keep-alive socket is
  // reused just as the server closes it, and a stalled event loop delays the accept too.
  const sendOne = (path) =>
    new Promise((resolve) => {
      const sent = performance.now();
      const done = (failure) => {
        latencies[path].push(performance.now() - sent);
        if (failure) failures[path].push(failure);
        resolve();
      };
      get(`${collector.url}${path}`, { headers, agent: false }, (response) => {
        response.resume();
        response.on("error", (error) => done(error.code ?? error.message));
        response.on("end", () => done(response.statusCode === 200 ? undefined : String(response.statusCode)));
      }).on("error", (error) => done(error.code ?? error.message));
    });
  const count = Math.max(PATHS.length, Math.round((seconds * 1000) / PROBE_INTERVAL_MS));
  const started = performance.now();
  for (let i = 0; i < count || !enough(); i++) {
    // Scheduled from the start, not from the previous send, so timer drift does not thin the probes.
    const wait = started + i * PROBE_INTERVAL_MS - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(sendOne(PATHS[i % PATHS.length]));
  }
  await Promise.all(pending);
  return { latencies, failures };
}

function summary({ latencies, failures }, path) {
  const sorted = [...latencies[path]].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const round = (value) => Math.round(value * 100) / 100;
  return {
    probes: sorted.length,
    p50_ms: round(median(sorted)),
    p99_ms: round(at(0.99)),
    max_ms: round(at(1)),
    failed: failures[path].length,
    // How they failed, e.g. { "408": 12 }.
    failures: Object.fromEntries(
      [...new Set(failures[path])].map((kind) => [kind, failures[path].filter((f) => f === kind).length]),
    ),
  };
}

export const responsivenessSection = {
  id: "responsiveness",
  title:
    `(d) GET /health and GET /state while ${MAX_BATCH_SIZE.toLocaleString("en-US")}-event batches are ` +
    `ingested back to back (1 in flight; a probe every ${PROBE_INTERVAL_MS} ms)`,
  async run(context) {
    // Probes pile up while the event loop is blocked: lift the per-address cap of 256 connections.
    const collector = await startCollector({ env: { VERSIONER_MAX_CONNECTIONS_PER_ADDRESS: "0" } });
    try {
      const seconds = context.settings.rounds * context.settings.seconds;
      // One batch first, so /state has products and environments to show; the sender goes on from 1.
      await postBatch(collector, maxBatchRequest(0));
      context.log(`  idle: probing for ${context.settings.seconds} s…`);
      const idle = await probe(collector, context.settings.seconds);
      context.log(
        `  busy: probing for ${seconds} s (and ${MIN_BATCHES} batches at least) while batches are ingested…`,
      );
      let events = 0;
      const ingestStarted = performance.now();
      // The batches come from a worker thread (batch-sender.mjs): the probes' answers are read on
      // an event loop that does nothing else.
      const sender = new Worker(new URL("./batch-sender.mjs", import.meta.url), {
        workerData: { collector: { url: collector.url, token: collector.token }, firstBatch: 1 },
      });
      const ingest = new Promise((resolve, reject) => {
        sender.on("message", (message) => {
          events = message.events;
          if (message.error) reject(new Error(`batch sender: ${message.error}`));
          else if (message.done) resolve();
        });
        sender.on("error", reject);
        sender.on("exit", (code) => reject(new Error(`batch sender exited with ${code}`)));
      });
      let busy;
      try {
        // Whatever the settings, the probes span at least MIN_BATCHES whole batches.
        busy = await probe(collector, seconds, () => events >= MIN_BATCHES * MAX_BATCH_SIZE);
      } finally {
        sender.postMessage("stop");
        try {
          await ingest;
        } finally {
          await sender.terminate();
        }
      }
      const ingestSeconds = (performance.now() - ingestStarted) / 1000;
      const figures = {};
      const extra = { idle: {}, busy: {}, batches: events / MAX_BATCH_SIZE, events_per_second: 0 };
      for (const path of PATHS) {
        extra.idle[path] = summary(idle, path);
        extra.busy[path] = summary(busy, path);
        const [quiet, loaded] = [extra.idle[path], extra.busy[path]];
        figures[`GET ${path} idle, p50 / p99 / max`] = describeProbes(quiet);
        figures[`GET ${path} during batches, p50 / p99 / max`] =
          `${describeProbes(loaded)}; goal p99 ≤ ${RESPONSIVENESS_GOAL_P99_MS} ms, none failed: ` +
          (responsiveEnough(loaded) ? "met" : "NOT met");
      }
      extra.events_per_second = Math.round(events / ingestSeconds);
      figures["batches ingested meanwhile"] =
        `${extra.batches} (${extra.events_per_second.toLocaleString("en-US")} events/s)`;
      return { figures, extra };
    } finally {
      await collector.stop();
    }
  },
};
