// What the bench sends: deployment events that are all distinct (so the collector's idempotency never
// turns one into a replay), batch bodies built from them, and the seed behind the /state figure.

import { createHash } from "node:crypto";

export const STATE_PRODUCTS = 200;
export const STATE_ENVIRONMENTS = ["production", "staging", "qa", "dev", "test", "uat", "preview", "sandbox"];
export const STATE_DEPLOYMENTS = 100_000;
export const BATCH_SIZE = 500;
/** The largest batch /events/batch takes (MAX_BATCH_EVENTS in packages/schema/src/vocabulary.ts). */
export const MAX_BATCH_SIZE = 1000;

const INGEST_PRODUCTS = 20;
const INGEST_ENVIRONMENTS = ["production", "staging", "qa", "dev"];

/**
 * The n-th deployment event of a live-ingest run: a new version and invoke_id every time, and a
 * commit SHA that looks like one (the SHA-1 of n: spread over the whole key space, as real commits
 * are, so every version lands on its own leaf of the versions' SHA index, as it does in use).
 */
function ingestEvent(n) {
  return {
    product_name: `bench-service-${n % INGEST_PRODUCTS}`,
    version: `2.0.${n}`,
    environment_name: INGEST_ENVIRONMENTS[n % INGEST_ENVIRONMENTS.length],
    status: "success",
    scm_sha: createHash("sha1").update(String(n)).digest("hex"),
    scm_branch: "main",
    invoke_id: `bench-${n}`,
    source_system: "github",
    deploy_url: `https://github.com/acme/bench/actions/runs/${n}`,
    deployed_by: "octocat",
  };
}

/** (a) One deployment event per POST /deployment-events/. */
export function singleEventRequest(n) {
  return { method: "POST", path: "/deployment-events/", body: JSON.stringify(ingestEvent(n)) };
}

function batchBody(events) {
  return JSON.stringify({ events: events.map((event) => ({ kind: "deployment", event })) });
}

/** (b) The n-th POST /events/batch of BATCH_SIZE distinct deployment events. */
export function batchRequest(n) {
  return batchOfIngestEvents(n * BATCH_SIZE, BATCH_SIZE);
}

/** The n-th POST /events/batch of MAX_BATCH_SIZE distinct deployment events (section (d)). */
export function maxBatchRequest(n) {
  return batchOfIngestEvents(n * MAX_BATCH_SIZE, MAX_BATCH_SIZE);
}

/** A POST /events/batch of `size` distinct deployment events, the first one the `first`-th of a live-ingest run. */
export function batchOfIngestEvents(first, size) {
  const events = [];
  for (let i = 0; i < size; i++) events.push(ingestEvent(first + i));
  return { method: "POST", path: "/events/batch", body: batchBody(events) };
}

/** Sends one batch from batchOfIngestEvents(); throws unless every event in it was accepted. */
export async function postBatch(collector, request) {
  const response = await fetch(`${collector.url}${request.path}`, {
    method: request.method,
    headers: { authorization: `Bearer ${collector.token}`, "content-type": "application/json" },
    body: request.body,
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`POST ${request.path} answered ${response.status}: ${text.slice(0, 500)}`);
  const result = JSON.parse(text);
  if (result.rejected > 0) {
    const first = result.results.find((item) => item.status >= 300);
    throw new Error(`${result.rejected} events of a batch were rejected, e.g. ${JSON.stringify(first)}`);
  }
  return result.accepted;
}

/**
 * The n-th event of the /state seed: products × environments filled round-robin, a new version
 * per sweep, and a few failed or still-running last attempts so every kind of cell marker occurs.
 */
function seedEvent(n) {
  const cells = STATE_PRODUCTS * STATE_ENVIRONMENTS.length;
  const sweep = Math.floor(n / cells);
  const status = n % 97 === 5 ? "failed" : n % 89 === 7 ? "started" : "success";
  return {
    product_name: `product-${String(n % STATE_PRODUCTS).padStart(3, "0")}`,
    version: `1.${sweep}.0`,
    environment_name: STATE_ENVIRONMENTS[Math.floor(n / STATE_PRODUCTS) % STATE_ENVIRONMENTS.length],
    status,
    scm_sha: ((sweep + 1) * 7919).toString(16).padStart(40, "0"),
    invoke_id: `seed-${n}`,
    source_system: "gitlab",
    deployed_by: `dev-${n % 13}`,
  };
}

/**
 * (c) Seeds STATE_DEPLOYMENTS (or `deployments`) deployments through POST /events/batch, `concurrency` batches in flight,
 * sending no new batch once `budgetSeconds` have passed (so a slow collector cannot blow the bench's
 * time budget; `complete` says whether the full seed went in). Throws if any event was rejected.
 */
export async function seedState(
  collector,
  {
    concurrency = 2,
    budgetSeconds = Number.POSITIVE_INFINITY,
    onProgress,
    deployments: target = STATE_DEPLOYMENTS,
  } = {},
) {
  const batches = Math.ceil(target / BATCH_SIZE);
  let nextBatch = 0;
  let sent = 0;
  let accepted = 0;
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  const worker = async () => {
    while (nextBatch < batches && elapsed() < budgetSeconds) {
      const batch = nextBatch++;
      const events = [];
      const end = Math.min(target, (batch + 1) * BATCH_SIZE);
      for (let n = batch * BATCH_SIZE; n < end; n++) events.push(seedEvent(n));
      const request = { method: "POST", path: "/events/batch", body: batchBody(events) };
      const recorded = await postBatch(collector, request).catch((error) => {
        throw new Error(`seeding batch ${batch}: ${error.cause?.message ?? error.message}`, { cause: error });
      });
      // Added after the await: `accepted += await …` reads `accepted` before it, and with two
      // batches in flight one of them would overwrite the other's count.
      accepted += recorded;
      sent++;
      if (sent % 20 === 0) onProgress?.(accepted, elapsed());
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = elapsed();
  return {
    deployments: accepted,
    target,
    complete: accepted === target,
    batches: sent,
    seconds,
    events_per_second: accepted / seconds,
  };
}
