import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generationOf } from "../db/config-generation.ts";
import { Pacer } from "../db/pacing.ts";
import { products } from "../db/schema/index.ts";
import { stateCell, testUnit } from "../testing/ingest-fixtures.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { TEST_ENGINE } from "../testing/test-engine.ts";
import { prefetchStep } from "./prepared-reads.ts";

// One /events/batch is one unit of work: every event reads what the earlier events of the same
// batch planned, before anything is written. Each case below reads a row only the overlay holds.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

type Item = { kind: "build" | "deployment"; idempotency_key?: string; event: Record<string, unknown> };

async function batch(events: Item[]) {
  const res = await t.call("POST", "/events/batch", { events });
  expect(res.status).toBe(200);
  return res.body.results as Array<{ status: number; body: Record<string, any> }>;
}

async function rows(sql: string, ...args: string[]) {
  return (await t.database.client.execute({ sql, args })).rows;
}

const deployment = (product: string, environment: string, status: string, extra: object = {}): Item => ({
  kind: "deployment",
  event: { product_name: product, version: "1", environment_name: environment, status, ...extra },
});

const build = (product: string, status: string, extra: object = {}): Item => ({
  kind: "build",
  event: { product_name: product, version: "1", status, ...extra },
});

describe("a batch reads its own planned rows", () => {
  it("numbers the environments it creates one after another", async () => {
    const product = unique("envs");
    const [max] = await rows("SELECT max(sort_order) AS m FROM environments");
    const a = unique("env-a");
    const b = unique("env-b");
    await batch([deployment(product, a, "completed"), deployment(product, b, "completed")]);
    const created = await rows("SELECT name, sort_order FROM environments WHERE name IN (?, ?)", a, b);
    const order = Object.fromEntries(created.map((r) => [r.name, Number(r.sort_order)]));
    expect(order[a]).toBe(Number(max?.m ?? 0) + 10);
    expect(order[b]).toBe(Number(max?.m ?? 0) + 20);
  });

  it("answers a repeated event inside the batch with the first one's response", async () => {
    const product = unique("batch-repeat");
    const [first, second] = await batch([
      deployment(product, "prod", "completed"),
      deployment(product, "prod", "completed"),
    ]);
    expect(second?.body).toEqual(first?.body);
    expect(
      await rows("SELECT id FROM deployments WHERE id = ?", String(first?.body.deployment_id)),
    ).toHaveLength(1);
    expect(
      await rows("SELECT id FROM events WHERE record_id = ?", String(first?.body.deployment_id)),
    ).toHaveLength(1);
  });

  it("refuses a key reused inside the batch for another event, and replays it for the same one", async () => {
    const product = unique("batch-key");
    const key = unique("k");
    const results = await batch([
      { ...deployment(product, "prod", "started"), idempotency_key: key },
      { ...deployment(product, "prod", "completed"), idempotency_key: key },
      { ...deployment(product, "prod", "started"), idempotency_key: key },
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 409, 200]);
    expect(results[1]?.body.code).toBe("IDEMPOTENCY_KEY_REUSED");
    expect(results[2]?.body).toEqual(results[0]?.body);
  });

  it("starts a new deployment without invoke_id when the batch already finished the open one", async () => {
    const product = unique("batch-redeploy");
    const [started, completed, again] = await batch([
      deployment(product, "prod", "started"),
      deployment(product, "prod", "completed"),
      deployment(product, "prod", "started", { deployed_by: "second" }),
    ]);
    expect(completed?.body.deployment_id).toBe(started?.body.deployment_id);
    expect(again?.body.deployment_id).not.toBe(started?.body.deployment_id);
    expect((await stateCell(t, product, "prod")).in_progress).toMatchObject({ status: "started" });
  });

  it("does the same for builds of a version", async () => {
    const product = unique("batch-rebuild");
    const [started, completed, again] = await batch([
      build(product, "started"),
      build(product, "completed"),
      build(product, "started", { build_number: "2" }),
    ]);
    expect(completed?.body.build_id).toBe(started?.body.build_id);
    expect(again?.body.build_id).not.toBe(started?.body.build_id);
  });

  it("advances a run started by an earlier request, then again within the batch", async () => {
    const product = unique("batch-run");
    await batch([deployment(product, "prod", "pending", { invoke_id: "r" })]);
    const [started, completed] = await batch([
      deployment(product, "prod", "started", { invoke_id: "r" }),
      deployment(product, "prod", "completed", { invoke_id: "r", deployed_by: "jdoe" }),
    ]);
    expect(completed?.body.deployment_id).toBe(started?.body.deployment_id);
    const [row] = await rows(
      "SELECT status, deployed_by FROM deployments WHERE id = ?",
      String(started?.body.deployment_id),
    );
    expect(row).toMatchObject({ status: "completed", deployed_by: "jdoe" });
    expect((await stateCell(t, product, "prod")).current).toMatchObject({
      version: "1",
      deployed_by: "jdoe",
    });
  });

  it("keeps builds and deployments of one version in their own streams", async () => {
    const product = unique("streams");
    const results = await batch([
      build(product, "completed", { scm_sha: "a".repeat(40) }),
      deployment(product, "prod", "completed"),
      build(product, "completed", { scm_sha: "a".repeat(40) }),
    ]);
    // The second build repeats the first: the deployment in between is another stream.
    expect(results[2]?.body).toEqual(results[0]?.body);
    expect(
      await rows("SELECT id FROM builds WHERE version_id = ?", String(results[0]?.body.version_id)),
    ).toHaveLength(1);
  });
});

describe("a long plan and the event loop", () => {
  /** The order in which three planned events and a callback queued after the first one ran. */
  async function order(planningSliceMs: number): Promise<string[]> {
    const unit = testUnit(t, new Pacer(planningSliceMs));
    const seen: string[] = [];
    const plan = (async () => {
      for (let i = 0; i < 3; i++) {
        await unit.breathe();
        seen.push(`event ${i}`);
      }
    })();
    setImmediate(() => seen.push("another callback"));
    await plan;
    await new Promise((resolve) => setImmediate(resolve));
    return seen;
  }

  it("lets other callbacks run between events once its slice is spent", async () => {
    expect(await order(0)).toEqual(["event 0", "another callback", "event 1", "event 2"]);
  });

  it("runs on while its slice lasts", async () => {
    expect(await order(Number.POSITIVE_INFINITY)).toEqual([
      "event 0",
      "event 1",
      "event 2",
      "another callback",
    ]);
  });
});

describe("reads a unit knows the answer to", () => {
  /** The database calls `read` made. */
  async function callsOf(read: () => Promise<unknown>): Promise<number> {
    let calls = 0;
    const stop = t.database.observeQueries(() => {
      calls += 1;
    });
    try {
      await read();
    } finally {
      stop();
    }
    return calls;
  }

  it("a batch's products, versions and environments are read in three statements, found or not", async () => {
    const product = unique("prefetch");
    await batch([deployment(product, "prefetch-env", "completed")]);
    const unit = testUnit(t);
    const names = {
      products: [product, unique("absent")],
      versions: [
        { product, version: "1" },
        { product, version: "2" },
      ],
      environments: ["prefetch-env", unique("absent-env")],
      cells: [],
    };
    // To a libSQL server: the products and environments in one request, then the versions.
    expect(await callsOf(() => unit.prefetch(names))).toBe(TEST_ENGINE === "sqld" ? 2 : 3);
    const lookups = async () => {
      const found = await unit.productByName(product);
      expect(found?.name).toBe(product);
      expect(await unit.productByName(names.products[1] as string)).toBeUndefined();
      expect((await unit.version(found?.id as string, "1"))?.version).toBe("1");
      expect(await unit.version(found?.id as string, "2")).toBeUndefined();
      expect((await unit.environmentByName("prefetch-env"))?.name).toBe("prefetch-env");
      expect(await unit.environmentByName(names.environments[1] as string)).toBeUndefined();
    };
    expect(await callsOf(lookups)).toBe(0);
  });

  it("a unit that knows every name reads the caller's first steps with the versions, in one request", async () => {
    const product = unique("known");
    await batch([deployment(product, "known-env", "completed")]);
    const unit = testUnit(t);
    const names = (version: string) => ({
      products: [product],
      versions: [{ product, version }],
      environments: ["known-env"],
      cells: [{ product, environment: "known-env" }],
    });
    await unit.prefetch(names("1"));
    // The next group planned on this unit (a pipeline) names the same product and environment.
    let generation: string | undefined;
    const first = prefetchStep(t.runtime.committer.reads.generation, { key: "config_generation" }, (rows) => {
      generation = generationOf(rows);
    });
    // A local file reads one statement at a time: the generation, then the version (the unit knows
    // the cell already).
    expect(await callsOf(() => unit.prefetch(names("2"), [first]))).toBe(TEST_ENGINE === "sqld" ? 1 : 2);
    expect(generation).toMatch(/^\d+$/);
    expect(await unit.version((await unit.productByName(product))?.id as string, "2")).toBeUndefined();
  });

  it("versions are read by their exact (product, version) pairs, a few hundred pairs per statement", async () => {
    const first = unique("pairs-a");
    const second = unique("pairs-b");
    await batch([
      deployment(first, "pairs-env", "completed", { version: "only-a" }),
      deployment(second, "pairs-env", "completed", { version: "only-b" }),
    ]);
    const unit = testUnit(t);
    const wanted = [
      { product: first, version: "only-a" },
      { product: second, version: "only-a" },
      ...Array.from({ length: 600 }, (_, i) => ({ product: second, version: `absent-${i}` })),
    ];
    // Products, then the 602 pairs in three statements of at most 250 (to a libSQL server, in one
    // request); no environment is named.
    expect(
      await callsOf(() =>
        unit.prefetch({ products: [first, second], versions: wanted, environments: [], cells: [] }),
      ),
    ).toBe(TEST_ENGINE === "sqld" ? 2 : 4);
    const a = await unit.productByName(first);
    const b = await unit.productByName(second);
    const lookups = async () => {
      expect((await unit.version(a?.id as string, "only-a"))?.version).toBe("only-a");
      // The other product's version of that name does not exist, and is known not to.
      expect(await unit.version(b?.id as string, "only-a")).toBeUndefined();
      expect(await unit.version(b?.id as string, "absent-599")).toBeUndefined();
    };
    expect(await callsOf(lookups)).toBe(0);
    // Never named, so never read: the product's own version is looked up when asked for.
    expect(
      await callsOf(async () =>
        expect((await unit.version(b?.id as string, "only-b"))?.version).toBe("only-b"),
      ),
    ).toBe(1);
  });

  it("nothing stored refers to a row the unit inserts", async () => {
    const unit = testUnit(t);
    const at = new Date().toISOString();
    const id = `minted-${unique("id")}`;
    unit.insert(products, {
      id,
      name: id,
      description: null,
      extra_metadata: {},
      created_at: at,
      updated_at: at,
    });
    const reads = async () => {
      expect(await unit.version(id, "1")).toBeUndefined();
      expect(await unit.state(id, "any-environment")).toBeUndefined();
      expect(await unit.deploymentToAdvance(id, "any-environment", "any-version", "run-1")).toBeUndefined();
      expect(await unit.latestEvent({ product_id: id, environment_id: "any-environment" })).toBeUndefined();
    };
    expect(await callsOf(reads)).toBe(0);
    // A product this unit did not insert is read.
    expect(await callsOf(() => unit.version("stored-product", "1"))).toBe(1);
  });
});
