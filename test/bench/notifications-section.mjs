// Bench section: does the notification outbox slow ingest down? The same single-event ingest load
// against a collector with no channels and one with 3 channels (Slack, Teams and a signed webhook)
// subscribed to every deployment event, all pointing at a loopback receiver (the node:http baseline,
// which parses each JSON body and answers 200). The bar: the ratio stays above 0.5.
// The outbox is drained after every run of the 3-channel collector, so its deliveries never compete
// for the CPU while the collector without channels is measured.
import { compareInterleaved, median } from "./load.mjs";
import { startBaseline, startCollector } from "./servers.mjs";
import { singleEventRequest } from "./workload.mjs";

const ENV = { VERSIONER_ALLOW_PRIVATE_WEBHOOKS: "true" };
const DRAIN_TIMEOUT_MS = 180_000;

async function call(collector, method, path, body) {
  const response = await fetch(`${collector.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${collector.token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** Waits until the collector has no pending delivery left; returns the seconds it took. */
async function drain(collector) {
  const started = Date.now();
  for (;;) {
    const page = await call(collector, "GET", "/notification-deliveries?status=pending&limit=1");
    if (page.items.length === 0) return (Date.now() - started) / 1000;
    if (Date.now() - started > DRAIN_TIMEOUT_MS) throw new Error("deliveries still pending after 180 s");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export const notificationsSection = {
  id: "ingest-notifications",
  title: "(d) Deployment-event ingest with 3 subscribed notification channels vs none (10 connections)",
  unit: "req/s",
  async run(context) {
    const started = [];
    try {
      const receiver = await startBaseline("node:http");
      started.push(receiver);
      const none = await startCollector({ env: ENV });
      started.push(none);
      const subscribed = await startCollector({ env: ENV });
      started.push(subscribed);
      for (const kind of ["slack", "teams", "webhook"]) {
        await call(subscribed, "POST", "/notification-channels", {
          name: `bench-${kind}`,
          kind,
          url: `${receiver.url}/${kind}`,
          ...(kind === "webhook" ? { secret: "bench-secret" } : {}),
          subscriptions: [{ event_types: ["deployment.*"] }],
        });
      }
      const rows = await compareInterleaved(
        [
          { ...none, name: "none" },
          { ...subscribed, name: "3 channels", settle: () => drain(subscribed) },
        ],
        { unit: "req/s", connections: 10, request: singleEventRequest },
        context.settings,
        context.log,
      );
      const [base, withChannels] = rows;
      const drainSeconds = median(withChannels.rounds.map((run) => run.settle_seconds));
      const failed = await call(subscribed, "GET", "/notification-deliveries?status=failed&limit=1");
      const ratio = withChannels.throughput / base.throughput;
      const round = (value, digits = 0) => (value === null ? null : Number(value.toFixed(digits)));
      return {
        figures: {
          "ingest, no channels (req/s)": round(base.throughput),
          "ingest, 3 channels (req/s)": round(withChannels.throughput),
          "ratio (3 channels / none)": `${round(ratio, 3)}${ratio > 0.5 ? " (above the 0.5 bar)" : " (BELOW the 0.5 bar)"}`,
          "p99 ms, none / 3 channels": `${round(base.p99_ms, 2)} / ${round(withChannels.p99_ms, 2)}`,
          "outbox drained after a round in (s, median)": round(drainSeconds, 1),
          "failed deliveries":
            failed.items.length === 0 ? 0 : "some (see /notification-deliveries?status=failed)",
        },
        extra: { rows },
      };
    } finally {
      for (const server of started.reverse()) await server.stop();
    }
  },
};
