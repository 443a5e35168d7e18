// Bench section: GET /metrics/dora for one product over one year, weekly buckets, on a database of
// BENCH_DORA_DEPLOYMENTS deployments (1,000,000). The history is written straight into the
// collector's database file with SQL (recursive CTEs), which takes seconds where a million events
// through the API would take many minutes; the collector then answers over HTTP as in production.
// Shape: 20 products × 4 environments (dev, test, staging, production), one version every
// 4 deployments, each version deployed to the 4 environments 10 minutes apart; every 23rd
// deployment failed, about 1 production deployment in 50 rolled back by the next, 1 in 100 linked to
// an incident (spread over the products). So the queried product has 1/80 of the rows in its production history.
import { createClient } from "@libsql/client";
import { median } from "./load.mjs";
import { readCpuMs, startCollector } from "./servers.mjs";

const PRODUCTS = 20;
const ENVIRONMENTS = ["dev", "test", "staging", "production"];
const YEAR_START = Date.UTC(2025, 0, 1) / 1000;
const YEAR_SECONDS = 365 * 86_400;
const WARMUP_REQUESTS = 5;

function positive(name, fallback) {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

const iso = (expression) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${expression}, 'unixepoch')`;

/** Writes the history with a handful of INSERT … SELECT statements over a counter. */
export async function seed(path, deployments) {
  const client = createClient({ url: `file:${path}` });
  const versions = Math.ceil(deployments / ENVIRONMENTS.length);
  const spacing = YEAR_SECONDS / versions;
  const now = "2025-01-01T00:00:00.000Z";
  try {
    await client.execute("PRAGMA busy_timeout = 30000");
    await client.batch(
      [
        ...Array.from({ length: PRODUCTS }, (_, p) => ({
          sql: "INSERT INTO products (id, name, extra_metadata, created_at, updated_at) VALUES (?, ?, '{}', ?, ?)",
          args: [`bp${p}`, `bench-product-${p}`, now, now],
        })),
        ...ENVIRONMENTS.map((name, e) => ({
          sql: "INSERT INTO environments (id, name, type, metadata, sort_order, created_at, updated_at) VALUES (?, ?, ?, '{}', ?, ?, ?)",
          args: [`be${e}`, name, name === "dev" ? "dev" : name, (e + 1) * 10, now, now],
        })),
        {
          sql: `WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n + 1 < ${versions})
            INSERT INTO versions (id, product_id, version, scm_sha, scm_committed_at, status, extra_metadata, created_at, updated_at)
            SELECT 'bv' || n, 'bp' || (n % ${PRODUCTS}), 'v' || n, printf('%040x', n),
              ${iso(`${YEAR_START} + n * ${spacing} - 7200`)}, 'completed', '{}',
              ${iso(`${YEAR_START} + n * ${spacing}`)}, ${iso(`${YEAR_START} + n * ${spacing}`)}
            FROM k`,
          args: [],
        },
        {
          sql: `WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n + 1 < ${deployments})
            INSERT INTO deployments (id, product_id, version_id, environment_id, status, started_at, completed_at, extra_metadata, created_at, updated_at)
            SELECT 'bd' || n, 'bp' || ((n / 4) % ${PRODUCTS}), 'bv' || (n / 4), 'be' || (n % 4),
              CASE WHEN n % 23 = 0 THEN 'failed' ELSE 'completed' END,
              ${iso(`${YEAR_START} + (n / 4) * ${spacing} + (n % 4) * 600 - 300`)},
              ${iso(`${YEAR_START} + (n / 4) * ${spacing} + (n % 4) * 600`)}, '{}',
              ${iso(`${YEAR_START} + (n / 4) * ${spacing} + (n % 4) * 600 - 300`)},
              ${iso(`${YEAR_START} + (n / 4) * ${spacing} + (n % 4) * 600`)}
            FROM k`,
          args: [],
        },
        // About 1 production deployment in 50 is rolled back by the product's next production deployment.
        {
          sql: `INSERT INTO deployment_rollbacks (deployment_id, replaced_deployment_id, product_id, environment_id,
              rolled_back_from_version_id, rolled_back_from_version, detected_at)
            SELECT 'bd' || (id_n + ${4 * PRODUCTS}), 'bd' || id_n, product_id, environment_id, version_id, 'v', completed_at
            FROM (SELECT CAST(substr(id, 3) AS INTEGER) AS id_n, * FROM deployments
                  WHERE environment_id = 'be3' AND id LIKE 'bd%')
            WHERE id_n % 199 = 3 AND id_n + ${4 * PRODUCTS} < ${deployments}`,
          args: [],
        },
        {
          sql: `INSERT INTO incidents (id, title, product_id, environment_id, deployment_id, opened_at, resolved_at, created_by, created_at, updated_at)
            SELECT 'bi' || id, 'bench incident', product_id, environment_id, id, completed_at,
              ${iso("unixepoch(completed_at) + 5400")}, 'bench', completed_at, completed_at
            FROM deployments WHERE environment_id = 'be3' AND id LIKE 'bd%' AND CAST(substr(id, 3) AS INTEGER) % 397 = 7`,
          args: [],
        },
        // What ingest would have left in DORA's read model (insights/dora-facts.ts).
        {
          sql: `INSERT INTO dora_facts (deployment_id, product_id, environment_id, status, finished_at, lead_ms,
              rolled_back, incident_linked)
            SELECT d.id, d.product_id, d.environment_id, d.status, d.completed_at,
              CASE WHEN d.status = 'completed'
                THEN CAST(round((julianday(d.completed_at) - julianday(v.scm_committed_at)) * 86400000) AS INTEGER) END,
              EXISTS (SELECT 1 FROM deployment_rollbacks r WHERE r.replaced_deployment_id = d.id),
              EXISTS (SELECT 1 FROM incidents i WHERE i.deployment_id = d.id)
            FROM deployments d JOIN versions v ON v.id = d.version_id WHERE d.id LIKE 'bd%'`,
          args: [],
        },
        // What ingest would have left in the read model: each cell's latest completed deployment.
        {
          sql: `INSERT INTO current_state (product_id, environment_id, current_deployment_id, current_version_id, current_version,
              current_deployed_at, last_deployment_id, last_version, last_status, last_at)
            SELECT product_id, environment_id, id, version_id, 'v', completed_at, id, 'v', status, completed_at
            FROM (SELECT d.*, ROW_NUMBER() OVER (PARTITION BY product_id, environment_id ORDER BY completed_at DESC) AS r
                  FROM deployments d WHERE status = 'completed' AND id LIKE 'bd%')
            WHERE r = 1`,
          args: [],
        },
      ],
      "write",
    );
    const [row] = (await client.execute("SELECT count(*) AS n FROM deployments")).rows;
    return Number(row?.n ?? 0);
  } finally {
    client.close();
  }
}

export const doraSection = {
  id: "dora",
  title: "(e) GET /metrics/dora, one product over one year by week, on a database of seeded deployments",
  async run(context) {
    const deployments = Math.round(positive("BENCH_DORA_DEPLOYMENTS", 1_000_000));
    const requests = Math.round(positive("BENCH_DORA_REQUESTS", 200));
    const collector = await startCollector();
    try {
      context.log(`  seeding ${deployments.toLocaleString("en-US")} deployments with SQL…`);
      const seedStarted = performance.now();
      const count = await seed(collector.databasePath, deployments);
      const seedSeconds = (performance.now() - seedStarted) / 1000;
      context.log(`  seeded ${count} deployments in ${seedSeconds.toFixed(1)} s`);
      const path =
        "/metrics/dora?product=bench-product-0&from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&bucket=week";
      const headers = { authorization: `Bearer ${collector.token}` };
      const timings = [];
      let body;
      let cpuAtStart = null;
      for (let i = 0; i < WARMUP_REQUESTS + requests; i++) {
        if (i === WARMUP_REQUESTS) cpuAtStart = readCpuMs(collector.pid);
        const started = performance.now();
        const response = await fetch(`${collector.url}${path}`, { headers });
        const text = await response.text();
        const elapsed = performance.now() - started;
        if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${text.slice(0, 500)}`);
        if (i >= WARMUP_REQUESTS) timings.push(elapsed);
        body = JSON.parse(text);
      }
      const cpuAtEnd = readCpuMs(collector.pid);
      timings.sort((a, b) => a - b);
      const at = (p) => timings[Math.min(timings.length - 1, Math.ceil(p * timings.length) - 1)];
      const figures = {
        deployments_in_database: count,
        seed_seconds: round(seedSeconds),
        product_production_deployments_in_year: body.change_failure_rate.deployments,
        buckets: body.buckets.length,
        requests,
        p50_ms: round(at(0.5)),
        p99_ms: round(at(0.99)),
        median_ms: round(median(timings)),
        max_ms: round(timings[timings.length - 1]),
        // The collector's own CPU per request (clock ticks of 10 ms over all requests): unlike the
        // latencies, barely moved by other processes on the machine.
        collector_cpu_ms_per_request:
          cpuAtStart === null || cpuAtEnd === null ? null : round((cpuAtEnd - cpuAtStart) / requests),
      };
      context.log(
        `  p50 ${figures.p50_ms} ms, p99 ${figures.p99_ms} ms over ${requests} sequential requests, collector CPU ${figures.collector_cpu_ms_per_request} ms a request`,
      );
      return { figures };
    } finally {
      await collector.stop();
    }
  },
};

function round(value) {
  return Math.round(value * 100) / 100;
}
