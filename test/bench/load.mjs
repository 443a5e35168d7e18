// Load generation with autocannon (as a library) and the interleaved, median-of-rounds comparison.
import autocannon from "autocannon";
import { readMemory } from "./servers.mjs";

/**
 * One autocannon run of exactly `amount` requests against one server. `request(n)` returns
 * { method, path, body?, headers? } for the n-th request (n counts from `firstIndex`), so every request can
 * carry a unique event. A fixed amount (rather than a fixed duration) means the run ends when the
 * last response arrives: no abandoned request keeps the collector busy into the next variant's turn.
 * Latencies are kept per response, as autocannon's own histogram rounds to whole milliseconds.
 */
export async function runLoad(server, { amount, connections, request, firstIndex = 0 }) {
  let next = firstIndex;
  const latencies = [];
  let ok = 0;
  let non2xx = 0;
  const started = process.hrtime.bigint();
  const instance = autocannon({
    url: server.url,
    connections: Math.min(connections, amount),
    amount,
    // autocannon notices the run is over on its sampling tick (1 s by default): tick often.
    sampleInt: 100,
    // A batch can queue behind others for seconds on a slow machine; that is a figure, not an error.
    timeout: 120,
    headers: { authorization: `Bearer ${server.token}`, "content-type": "application/json" },
    requests: [
      {
        setupRequest: (req) => {
          // `headers`, when a request gives them, replace the defaults (a browser sends no bearer token).
          const { method, path, body, headers } = request(next++);
          return { ...req, method, path, body, ...(headers ? { headers } : {}) };
        },
      },
    ],
  });
  let last = started;
  instance.on("response", (_client, statusCode, _bytes, responseTime) => {
    last = process.hrtime.bigint();
    if (statusCode >= 200 && statusCode < 300) {
      ok++;
      latencies.push(responseTime);
    } else {
      non2xx++;
    }
  });
  const result = await instance;
  // Up to the last response, not to the tick that ended the run.
  const seconds = Number(last - started) / 1e9;
  latencies.sort((a, b) => a - b);
  return {
    ok,
    non2xx,
    errors: result.errors + result.timeouts,
    seconds,
    per_second: ok / seconds,
    p50_ms: percentile(latencies, 0.5),
    p99_ms: percentile(latencies, 0.99),
    // setupRequest may run for a request autocannon never sends; skipping its index keeps events unique.
    used: next - firstIndex,
  };
}

function percentile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export function median(values) {
  const present = values.filter((value) => value !== null && Number.isFinite(value));
  if (present.length === 0) return null;
  const sorted = [...present].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Runs the same workload against every server, interleaved (A, B, C, A, B, C…) so drift hits all
 * alike. Each server is first warmed up with runs of growing size until one lasts warmupSeconds; its
 * rate there sizes its rounds to last about `seconds` each. `itemsPerRequest` turns requests/s into
 * events/s. A server may have `settle()`, awaited after each of its runs so that work it does after
 * answering (an outbox draining) is not charged to the next variant; what it returns is kept per round
 * as settle_seconds. Returns one row per server: medians over rounds, memory, and every round's figures.
 */
export async function compareInterleaved(servers, workload, settings, log) {
  const { rounds, seconds, warmupSeconds } = settings;
  const itemsPerRequest = workload.itemsPerRequest ?? 1;
  let index = 0;
  const runOnce = async (server, amount) => {
    // `requestFor(server)` lets servers of one comparison get different requests (two routes of one collector).
    const request = workload.requestFor?.(server) ?? workload.request;
    const figures = await runLoad(server, { ...workload, request, amount, firstIndex: index });
    index += figures.used;
    if (figures.non2xx || figures.errors) {
      throw new Error(
        `${server.name} answered ${figures.non2xx} requests with a non-2xx status and ${figures.errors} ` +
          "with an error: its figures would not mean anything",
      );
    }
    if (server.settle) figures.settle_seconds = await server.settle();
    return figures;
  };
  const amounts = new Map();
  for (const server of servers) {
    let amount = workload.connections;
    let warm = await runOnce(server, amount);
    while (warm.seconds < warmupSeconds) {
      amount *= 4;
      warm = await runOnce(server, amount);
    }
    amounts.set(server, Math.max(workload.connections, Math.round(warm.per_second * seconds)));
  }
  const perServer = new Map(servers.map((server) => [server, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const server of servers) {
      const figures = await runOnce(server, amounts.get(server));
      perServer.get(server).push(figures);
      log(
        `  round ${round}/${rounds} ${server.name.padEnd(9)} ${Math.round(figures.per_second * itemsPerRequest)} ` +
          `${workload.unit}, p50 ${figures.p50_ms.toFixed(2)} ms, p99 ${figures.p99_ms.toFixed(2)} ms ` +
          `(${figures.ok} requests in ${figures.seconds.toFixed(1)} s)`,
      );
    }
  }
  return servers.map((server) => {
    const runs = perServer.get(server);
    return {
      variant: server.name,
      throughput: median(runs.map((run) => run.per_second * itemsPerRequest)),
      p50_ms: median(runs.map((run) => run.p50_ms)),
      p99_ms: median(runs.map((run) => run.p99_ms)),
      ...readMemory(server.pid),
      rounds: runs.map((run) => ({
        throughput: run.per_second * itemsPerRequest,
        p50_ms: run.p50_ms,
        p99_ms: run.p99_ms,
        requests: run.ok,
        seconds: run.seconds,
        ...(run.settle_seconds === undefined ? {} : { settle_seconds: run.settle_seconds }),
      })),
    };
  });
}
