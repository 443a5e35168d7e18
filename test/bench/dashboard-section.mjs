// Bench section: the dashboard's matrix page for 200 products × 8 environments against GET /state,
// the JSON it is built from, on the same collector in the same run. The issue's goal: the page's p99
// at most 2× that of GET /state. One connection, so a request's latency is its server time plus a
// loopback round trip, not time spent queueing behind other requests.
import { compareInterleaved } from "./load.mjs";
import { startCollector } from "./servers.mjs";
import { BATCH_SIZE, STATE_ENVIRONMENTS, STATE_PRODUCTS, seedState } from "./workload.mjs";

// Ten sweeps of the matrix: every cell holds a current version, some a failed or running attempt.
const SEED_DEPLOYMENTS = STATE_PRODUCTS * STATE_ENVIRONMENTS.length * 10;

/** Signs in through the dashboard's form with the bootstrap token; returns the session cookie. */
async function sessionCookie(collector) {
  const response = await fetch(`${collector.url}/sign-in`, {
    method: "POST",
    body: new URLSearchParams({ token: collector.token, next: "/" }),
    redirect: "manual",
  });
  const cookie = response.headers.get("set-cookie")?.split(";")[0];
  if (response.status !== 303 || !cookie) {
    throw new Error(`signing in answered ${response.status} without a session cookie`);
  }
  return cookie;
}

/** One response's status, type and body size, checked before the load (an error page is fast). */
async function probe(collector, path, headers, expectedType) {
  const response = await fetch(`${collector.url}${path}`, { headers, redirect: "manual" });
  const body = await response.text();
  const type = response.headers.get("content-type") ?? "";
  if (response.status !== 200 || !type.includes(expectedType)) {
    throw new Error(`GET ${path} answered ${response.status} ${type}, expected 200 ${expectedType}`);
  }
  return { bytes: Buffer.byteLength(body), body };
}

export const dashboardSection = {
  id: "dashboard",
  title: `(e) Dashboard matrix page vs GET /state, ${STATE_PRODUCTS} products × ${STATE_ENVIRONMENTS.length} environments (1 connection)`,
  unit: "req/s",
  async run(context) {
    const collector = await startCollector();
    try {
      context.log(`  seeding ${SEED_DEPLOYMENTS} deployments…`);
      const seed = await seedState(collector, { deployments: SEED_DEPLOYMENTS }).catch((error) => {
        throw new Error(
          `${error.message}${collector.exitedWith() ? ` (the collector ${collector.exitedWith()}: ${collector.output()})` : ""}`,
        );
      });
      const page = { cookie: await sessionCookie(collector), accept: "text/html" };
      const api = { authorization: `Bearer ${collector.token}` };
      const state = await probe(collector, "/state", api, "application/json");
      const matrix = await probe(collector, "/", page, "text/html");
      const cells = (matrix.body.match(/<td class="cell/g) ?? []).length;
      if (cells !== STATE_PRODUCTS * STATE_ENVIRONMENTS.length) {
        throw new Error(
          `the matrix page shows ${cells} cells, expected ${STATE_PRODUCTS * STATE_ENVIRONMENTS.length}`,
        );
      }
      const rows = await compareInterleaved(
        [
          { ...collector, name: "GET /state" },
          { ...collector, name: "matrix" },
        ],
        {
          unit: "req/s",
          connections: 1,
          // The same collector answers both: the variant's name picks the request.
          request: () => ({ method: "GET", path: "/state" }),
          requestFor: (server) =>
            server.name === "matrix" ? () => ({ method: "GET", path: "/", headers: page }) : undefined,
        },
        context.settings,
        context.log,
      );
      const [stateRow, matrixRow] = rows;
      const ratio = matrixRow.p99_ms / stateRow.p99_ms;
      const ms = (value) => (value === null ? "–" : value.toFixed(2));
      return {
        figures: {
          "GET /state: req/s, p50 / p99 ms": `${Math.round(stateRow.throughput)}, ${ms(stateRow.p50_ms)} / ${ms(stateRow.p99_ms)}`,
          "matrix page: req/s, p50 / p99 ms": `${Math.round(matrixRow.throughput)}, ${ms(matrixRow.p50_ms)} / ${ms(matrixRow.p99_ms)}`,
          "bytes, GET /state / matrix page": `${state.bytes} / ${matrix.bytes}`,
          "p99 matrix / GET /state": `${ratio.toFixed(2)}× (goal ≤ 2×: ${ratio <= 2 ? "met" : "NOT met"})`,
          seed: `${seed.deployments} deployments through /events/batch (${BATCH_SIZE} per batch)`,
        },
        extra: { rows, state_bytes: state.bytes, matrix_bytes: matrix.bytes },
      };
    } finally {
      await collector.stop();
    }
  },
};
