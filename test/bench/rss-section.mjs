// Bench section (opt-in: `--only rss`): does the collector's memory grow with what it has ingested?
// BENCH_RSS_EVENTS (1,000,000) distinct deployment events go through POST /events/batch in batches
// of the maximum size, 2 in flight; the collector's resident memory (VmRSS from /proc) is read at
// every tenth of the run. The issue's goal: RSS after 1M events ≤ 1.2× RSS after 100k (no
// statement-cache growth), i.e. the last reading over the first.
import { readMemory, startCollector } from "./servers.mjs";
import { batchOfIngestEvents, MAX_BATCH_SIZE, postBatch } from "./workload.mjs";

export const RSS_GOAL_RATIO = 1.2;
/** The goal is stated for this many events; a shorter run (BENCH_RSS_EVENTS) only hints at it. */
export const RSS_GOAL_EVENTS = 1_000_000;

/** "met" / "NOT met", or why a run of `events` cannot tell. */
export function rssVerdict(ratio, events) {
  if (events < RSS_GOAL_EVENTS)
    return `not judged: the goal is for ${RSS_GOAL_EVENTS.toLocaleString("en-US")} events`;
  return ratio <= RSS_GOAL_RATIO ? "met" : "NOT met";
}
const CHECKPOINTS = 10;
const IN_FLIGHT = 2;

function eventCount() {
  const raw = process.env.BENCH_RSS_EVENTS;
  const count = raw === undefined || raw === "" ? 1_000_000 : Number(raw);
  if (!Number.isInteger(count) || count < CHECKPOINTS * MAX_BATCH_SIZE) {
    throw new Error(
      `BENCH_RSS_EVENTS must be an integer of at least ${CHECKPOINTS * MAX_BATCH_SIZE}, got "${raw}"`,
    );
  }
  return count;
}

export const rssSection = {
  id: "rss",
  // Ten minutes or more on 2 cores: only with --only rss (or BENCH_ONLY=rss).
  optIn: true,
  title: `RSS of the collector while ingesting BENCH_RSS_EVENTS events through /events/batch (${MAX_BATCH_SIZE} per request, ${IN_FLIGHT} in flight)`,
  async run(context) {
    const target = eventCount();
    const batches = Math.ceil(target / MAX_BATCH_SIZE);
    const step = Math.ceil(batches / CHECKPOINTS);
    const collector = await startCollector();
    try {
      const readings = [];
      let nextBatch = 0;
      let done = 0;
      const started = performance.now();
      const elapsed = () => (performance.now() - started) / 1000;
      const worker = async () => {
        while (nextBatch < batches) {
          const batch = nextBatch++;
          const size = Math.min(MAX_BATCH_SIZE, target - batch * MAX_BATCH_SIZE);
          await postBatch(collector, batchOfIngestEvents(batch * MAX_BATCH_SIZE, size));
          done++;
          if (done % step === 0 || done === batches) {
            const events = Math.min(target, done * MAX_BATCH_SIZE);
            const reading = { events, seconds: Math.round(elapsed()), ...readMemory(collector.pid) };
            readings.push(reading);
            context.log(
              `    ${events.toLocaleString("en-US")} events after ${reading.seconds} s: RSS ${reading.rss_mb} MiB`,
            );
          }
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker)).catch((error) => {
        const gone = collector.exitedWith();
        throw new Error(`${error.message}${gone ? ` (the collector ${gone}: ${collector.output()})` : ""}`);
      });
      const seconds = elapsed();
      const [first, last] = [readings[0], readings.at(-1)];
      const ratio = Math.round((last.rss_mb / first.rss_mb) * 1000) / 1000;
      const count = (n) => n.toLocaleString("en-US");
      return {
        figures: {
          [`RSS after ${count(first.events)} events (MiB)`]: first.rss_mb,
          [`RSS after ${count(last.events)} events (MiB)`]: `${last.rss_mb} (peak ${last.peak_rss_mb})`,
          [`ratio (${count(last.events)} / ${count(first.events)})`]: `${ratio} (goal ≤ ${RSS_GOAL_RATIO}: ${rssVerdict(ratio, target)})`,
          "RSS MiB at each tenth": readings.map((reading) => reading.rss_mb).join(" → "),
          "ingest time": `${Math.round(seconds)} s = ${count(Math.round(target / seconds))} events/s`,
        },
        extra: { events: target, ratio, readings, seconds: Math.round(seconds) },
      };
    } finally {
      await collector.stop();
    }
  },
};
