import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../testing/test-app.ts";

/**
 * Requests for every operation of /openapi.json: bodies built from each operation's schema, then
 * mutated or replaced by hostile values (deep nesting, huge strings, control characters, lone
 * surrogates, wrong types), odd path ids and query values. Nothing may answer 5xx or leak a stack
 * or SQL; afterwards the database must pass its integrity check and the ingest invariants.
 * Fixed seed and a bounded count here; FUZZ_RUNS raises it (`npm run fuzz`).
 */
const SEED = 20261129;
const RUNS = Number(process.env.FUZZ_RUNS ?? 12);

type Schema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  format?: string;
  additionalProperties?: boolean | Schema;
};
type Operation = {
  parameters?: Array<{ name: string; in: string; schema?: Schema }>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  "x-capability"?: string;
};

let t: TestApp;
let doc: {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
};
beforeAll(async () => {
  t = await createTestApp({ VERSIONER_ALLOW_PRIVATE_WEBHOOKS: "true", VERSIONER_LOG_LEVEL: "silent" });
  doc = (await t.call("GET", "/openapi.json")).body;
});
afterAll(() => t.close());

function resolve(schema: Schema | undefined): Schema {
  if (!schema) return {};
  if (schema.$ref) return resolve(doc.components?.schemas?.[schema.$ref.split("/").pop() ?? ""]);
  if (schema.allOf?.length) return Object.assign({}, ...schema.allOf.map(resolve));
  return schema;
}

/** A value the schema accepts, or close to it: enough to reach the code behind validation. */
function valid(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  const choices = s.anyOf ?? s.oneOf;
  if (choices?.length) return fc.oneof(...choices.slice(0, 3).map((c) => valid(c, depth + 1)));
  if (s.enum?.length) return fc.constantFrom(...s.enum);
  const type = Array.isArray(s.type) ? s.type.find((x) => x !== "null") : s.type;
  switch (type) {
    case "string":
      if (s.format === "date-time") return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
      if (s.format === "uri" || s.format === "url") return fc.constant("https://example.com/hook");
      if (s.format === "email") return fc.constant("someone@example.com");
      return fc.string({
        minLength: Math.max(1, s.minLength ?? 1),
        maxLength: Math.min(s.maxLength ?? 12, 12),
      });
    case "integer":
      return fc.integer({ min: s.minimum ?? 0, max: Math.min(s.maximum ?? 100, 100) });
    case "number":
      return fc.double({ min: s.minimum ?? 0, max: s.maximum ?? 100, noNaN: true });
    case "boolean":
      return fc.boolean();
    case "array":
      return depth > 4 ? fc.constant([]) : fc.array(valid(s.items, depth + 1), { maxLength: 3 });
    case "object": {
      if (depth > 4) return fc.constant({});
      const props = s.properties ?? {};
      const required = new Set(s.required ?? []);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, child] of Object.entries(props)) record[name] = valid(child, depth + 1);
      return fc.record(record, { requiredKeys: Object.keys(props).filter((name) => required.has(name)) });
    }
    default:
      return fc.oneof(fc.string(), fc.integer(), fc.constant(null));
  }
}

function nested(levels: number): unknown {
  let value: unknown = "bottom";
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

const hostileValue = fc.oneof(
  fc.constantFrom(
    "\u0000",
    "x\u0000y",
    "\ud83d",
    "a\r\nInjected: 1",
    "'; DROP TABLE products; --",
    "../../etc/passwd",
    "%00",
    "<script>alert(1)</script>",
    "x".repeat(300_000),
    -1,
    1e308,
    Number.MAX_SAFE_INTEGER,
    true,
    null,
    [],
    {},
  ),
  fc.constant(nested(200)),
  // A whole body 10,000 levels deep, sent as raw JSON text.
  fc.constant(`${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`),
  fc.constant([nested(40)]),
  fc.anything({ maxDepth: 3 }),
);

/** A body from the schema with one field replaced by a hostile value, or a hostile body outright. */
function body(schema: Schema | undefined): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: valid(schema) },
    {
      weight: 4,
      arbitrary: fc.tuple(valid(schema), hostileValue, fc.nat()).map(([value, hostile, pick]) => {
        if (!value || typeof value !== "object" || Array.isArray(value)) return hostile;
        const keys = Object.keys(resolve(schema).properties ?? value);
        const key = keys.length ? keys[pick % keys.length] : "field";
        return { ...(value as Record<string, unknown>), [key ?? "field"]: hostile };
      }),
    },
    { weight: 1, arbitrary: hostileValue },
  );
}

const oddId = fc.oneof(
  fc.constantFrom(
    "does-not-exist",
    "0",
    "-1",
    "%00",
    "..",
    "a%2Fb",
    "x".repeat(500),
    "00000000-0000-0000-0000-000000000000",
  ),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
);

const LEAKS = [
  /\bat .+\.(ts|js):\d+/,
  /node_modules/,
  /SQLITE_/,
  /\bSELECT\b.+\bFROM\b/i,
  /\bINSERT INTO\b/i,
];

describe("fuzzing every operation of the OpenAPI document", () => {
  it("never answers 5xx or leaks a stack or SQL, and leaves a sound database", async () => {
    const operations: Array<[string, string, Operation]> = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        // Signing out would end nothing here (the admin uses a token); resets and deletes are fuzzed too.
        if (["get", "post", "put", "patch", "delete"].includes(method)) operations.push([path, method, op]);
      }
    }
    expect(operations.length).toBeGreaterThan(40);
    let requests = 0;
    const statuses = new Map<number, number>();
    for (const [path, method, op] of operations) {
      const schema = op.requestBody?.content?.["application/json"]?.schema;
      const query = (op.parameters ?? []).filter((p) => p.in === "query");
      const request = fc.record({
        ids: fc.array(oddId, { minLength: 4, maxLength: 4 }),
        query: fc.array(
          fc.tuple(
            fc.constantFrom(...(query.length ? query.map((p) => p.name) : ["q"])),
            fc.oneof(fc.string({ maxLength: 30 }), hostileValue.map(String)),
          ),
          { maxLength: 3 },
        ),
        body: body(schema),
      });
      await fc.assert(
        fc.asyncProperty(request, async ({ ids, query, body: payload }) => {
          let i = 0;
          const url = path.replace(/\{[^}]+\}/g, () => ids[i++ % ids.length] ?? "x");
          const search = new URLSearchParams(
            query.map(([k, v]): [string, string] => [k, v.slice(0, 2000)]),
          ).toString();
          const res = await t.call(
            method.toUpperCase(),
            `${url}${search ? `?${search}` : ""}`,
            method === "get" || method === "delete" ? undefined : payload === undefined ? {} : payload,
          );
          requests++;
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const text = typeof res.body === "string" ? res.body : JSON.stringify(res.body);
          expect(res.status, `${method.toUpperCase()} ${url}: ${text.slice(0, 300)}`).toBeLessThan(500);
          for (const leak of LEAKS) expect(text, `${method.toUpperCase()} ${url}`).not.toMatch(leak);
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
    }
    const integrity = await t.database.client.execute("PRAGMA integrity_check");
    expect(integrity.rows[0]?.[0]).toBe("ok");
    const orphans = await t.database.client.execute(
      `SELECT
         (SELECT count(*) FROM deployments d WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.id = d.version_id)) AS deployments_without_version,
         (SELECT count(*) FROM versions v WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.id = v.product_id)) AS versions_without_product,
         (SELECT count(*) FROM current_state s WHERE NOT EXISTS (SELECT 1 FROM environments e WHERE e.id = s.environment_id)) AS cells_without_environment,
         (SELECT count(*) FROM deployments d WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.kind = 'deployment' AND e.record_id = d.id)) AS deployments_without_event,
         (SELECT count(*) FROM current_state s JOIN deployments d ON d.id = s.current_deployment_id
            WHERE d.status != 'completed' OR d.product_id != s.product_id OR d.environment_id != s.environment_id) AS cells_on_a_wrong_deployment,
         (SELECT count(*) FROM deployments d WHERE d.status = 'completed' AND NOT EXISTS (
            SELECT 1 FROM current_state s WHERE s.product_id = d.product_id AND s.environment_id = d.environment_id
              AND s.current_deployment_id IS NOT NULL)) AS completed_without_cell`,
    );
    expect(orphans.rows[0]).toMatchObject({
      deployments_without_version: 0,
      versions_without_product: 0,
      cells_without_environment: 0,
      deployments_without_event: 0,
      cells_on_a_wrong_deployment: 0,
      completed_without_cell: 0,
    });
    console.log(
      `fuzz: ${requests} requests over ${operations.length} operations (seed ${SEED}); statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`,
    );
  }, 300_000);
});
