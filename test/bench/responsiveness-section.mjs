// Bench section: does ingest block everything else? GET /health and GET /state are probed on a
// fixed schedule, first on an idle collector, then while maximum-size batches (1,000 events) are
// ingested back to back, one in flight. The goal: p99 ≤ 20 ms for both while a batch is
// being ingested (the event loop is never blocked by SQL).
// The probes are open loop: one is sent every PROBE_INTERVAL_MS whether the previous one has
// answered or not, so a stalled event loop shows as many slow probes, not as one slow probe and a
// gap (a closed loop would send nothing while it waits, and under-report the stall).
import { median } from "./load.mjs";
import { startCollector } from "./servers.mjs";
import { batchOfIngestEvents, MAX_BATCH_SIZE, postBatch } from "./workload.mjs";

const PROBE_INTERVAL_MS = 20;
const PATHS = ["/health", "/state"];
export const RESPONSIVENESS_GOAL_P99_MS = 20;

/** Probes PATHS alternately every PROBE_INTERVAL_MS for `seconds`; latencies in ms per path. */
async function probe(collector, seconds) {
  const latencies = Object.fromEntries(PATHS.map((path) => [path, []]));
  const pending = [];
  const headers = { authorization: `Bearer ${collector.token}` };
  const sendOne = async (path) => {
    const sent = performance.now();
    const response = await fetch(`${collector.url}${path}`, { headers });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`GET ${path} answered ${response.status}`);
    latencies[path].push(performance.now() - sent);
  };
  const count = Math.max(PATHS.length, Math.round((seconds * 1000) / PROBE_INTERVAL_MS));
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    // Scheduled from the start, not from the previous send, so timer drift does not thin the probes.
    const wait = started + i * PROBE_INTERVAL_MS - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(sendOne(PATHS[i % PATHS.length]));
  }
  await Promise.all(pending);
  return latencies;
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const round = (value) => Math.round(value * 100) / 100;
  return {
    probes: sorted.length,
    p50_ms: round(median(sorted)),
    p99_ms: round(at(0.99)),
    max_ms: round(at(1)),
  };
}

export const responsivenessSection = {
  id: "responsiveness",
  title:
    `(d) GET /health and GET /state while ${MAX_BATCH_SIZE.toLocaleString("en-US")}-event batches are ` +
    `ingested back to back (1 in flight; a probe every ${PROBE_INTERVAL_MS} ms)`,
  async run(context) {
    const collector = await startCollector();
    try {
      const seconds = context.settings.rounds * context.settings.seconds;
      let next = 0;
      const nextBatch = () => batchOfIngestEvents(next++ * MAX_BATCH_SIZE, MAX_BATCH_SIZE);
      // One batch first, so /state has products and environments to show.
      await postBatch(collector, nextBatch());
      context.log(`  idle: probing for ${context.settings.seconds} s…`);
      const idle = await probe(collector, context.settings.seconds);
      context.log(`  busy: probing for ${seconds} s while batches are ingested…`);
      let stop = false;
      let events = 0;
      const ingestStarted = performance.now();
      const ingest = (async () => {
        while (!stop) events += await postBatch(collector, nextBatch());
      })();
      let busy;
      try {
        busy = await probe(collector, seconds);
      } finally {
        stop = true;
        await ingest;
      }
      const ingestSeconds = (performance.now() - ingestStarted) / 1000;
      const figures = {};
      const extra = { idle: {}, busy: {}, batches: events / MAX_BATCH_SIZE, events_per_second: 0 };
      for (const path of PATHS) {
        extra.idle[path] = summary(idle[path]);
        extra.busy[path] = summary(busy[path]);
        const [quiet, loaded] = [extra.idle[path], extra.busy[path]];
        figures[`GET ${path} idle p50 / p99 ms`] = `${quiet.p50_ms} / ${quiet.p99_ms}`;
        figures[`GET ${path} during batches p50 / p99 / max ms`] =
          `${loaded.p50_ms} / ${loaded.p99_ms} / ${loaded.max_ms} (${loaded.probes} probes; ` +
          `goal p99 ≤ ${RESPONSIVENESS_GOAL_P99_MS} ms: ${loaded.p99_ms <= RESPONSIVENESS_GOAL_P99_MS ? "met" : "NOT met"})`;
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
