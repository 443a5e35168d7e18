// Bench section: what preflight costs single-event ingest. The same load against a collector with no
// deployment rules and one with 20 enabled rules, in the same run, interleaved. The bar:
// preflight adds at most 10% (ratio ≥ 0.9).
// Every bench event is a one-shot `completed` report of a new version (workload.mjs), so each one is
// judged. Of the 20 rules, 12 apply to every event and pass: 10 no-deploy windows in 5 time zones
// that are never open (dated in 2020, so each is still evaluated: local date, recurrence, bounds)
// and 2 concurrency rules (a read of the product × environment cell). The other 8 (flow, version
// approval, deployment request) are scoped to products the bench never sends, so they exercise the
// scope filter; in scope they would refuse the bench's never-staged, never-approved versions. One
// environment lock on an environment the bench does not use makes the lock lookup non-empty.
import { compareInterleaved } from "./load.mjs";
import { startCollector } from "./servers.mjs";
import { singleEventRequest } from "./workload.mjs";

const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney"];

async function call(collector, method, path, body) {
  const response = await fetch(`${collector.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${collector.token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** The 20 rules (and one lock) described above. */
export function benchRules() {
  const rules = [];
  for (let i = 0; i < 10; i++) {
    const timezone = ZONES[i % ZONES.length];
    const settings =
      i % 2 === 0
        ? { recurrence: "once", timezone, start: "2020-12-24T18:00", end: "2020-12-27T08:00" }
        : {
            recurrence: i % 4 === 1 ? "weekly" : "daily",
            timezone,
            start: "00:00",
            end: "24:00",
            days_of_week: [0, 1, 2, 3, 4, 5, 6],
            start_date: "2020-01-01",
            end_date: "2020-12-31",
          };
    rules.push({ name: `bench-window-${i}`, type: "schedule", settings });
  }
  for (let i = 0; i < 2; i++) rules.push({ name: `bench-concurrency-${i}`, type: "concurrency" });
  const elsewhere = (i) => ({ products: [`not-benched-${i}`], environments: [] });
  for (let i = 0; i < 4; i++) {
    rules.push({
      name: `bench-flow-${i}`,
      type: "flow",
      scope: elsewhere(i),
      settings: { prerequisites: [{ environment: "staging", min_soak_minutes: 30 }], strict_order: true },
    });
  }
  for (let i = 0; i < 2; i++) {
    rules.push({
      name: `bench-approval-${i}`,
      type: "version_approval",
      scope: elsewhere(i),
      settings: { required_types: ["qa"] },
    });
    rules.push({ name: `bench-request-${i}`, type: "deployment_request", scope: elsewhere(i), settings: {} });
  }
  return rules;
}

export const governanceSection = {
  id: "ingest-preflight",
  title: "(e) Deployment-event ingest with 20 enabled deployment rules vs none (10 connections)",
  unit: "req/s",
  async run(context) {
    const started = [];
    try {
      const none = await startCollector();
      started.push(none);
      const governed = await startCollector();
      started.push(governed);
      const rules = benchRules();
      for (const rule of rules) await call(governed, "POST", "/rules", rule);
      await call(governed, "POST", "/environments", { name: "bench-locked" });
      await call(governed, "POST", "/environments/bench-locked/lock", { reason: "bench" });
      const rows = await compareInterleaved(
        [
          { ...none, name: "no rules" },
          { ...governed, name: "20 rules" },
        ],
        { unit: "req/s", connections: 10, request: singleEventRequest },
        context.settings,
        context.log,
      );
      const [base, withRules] = rows;
      // Every event must have been judged and admitted: no refusal, and the verdict on a deployment.
      const failures = await call(governed, "GET", "/preflight-failures?limit=1");
      if (failures.items.length > 0)
        throw new Error(`a bench event was refused: ${JSON.stringify(failures.items[0])}`);
      const ratio = withRules.throughput / base.throughput;
      const round = (value, digits = 0) => (value === null ? null : Number(value.toFixed(digits)));
      return {
        figures: {
          "ingest, no rules (req/s)": round(base.throughput),
          "ingest, 20 enabled rules (req/s)": round(withRules.throughput),
          "ratio (20 rules / none)": `${round(ratio, 3)}${ratio >= 0.9 ? " (within the 10% budget)" : " (OVER the 10% budget)"}`,
          "p50 ms, none / 20 rules": `${round(base.p50_ms, 2)} / ${round(withRules.p50_ms, 2)}`,
          "p99 ms, none / 20 rules": `${round(base.p99_ms, 2)} / ${round(withRules.p99_ms, 2)}`,
          "rules evaluated per event": 12,
        },
        extra: { rows, rules: rules.length },
      };
    } finally {
      for (const server of started.reverse()) await server.stop();
    }
  },
};
