import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { TEST_ENGINE } from "../testing/test-engine.ts";

// The SQL statements one event costs on the ingest path, pinned so that a change which adds a read
// or a write per event shows here (issue 11: fewer statements per event). Counted at the libSQL
// client: each statement of a batch, BEGIN and COMMIT count one. A transaction that writes a version
// or a cell ends with one bump of the `/state` generation (no per-row trigger does it: migration 0009).

let t: TestApp;
let product: string;

async function count(
  path: string,
  body: unknown,
): Promise<{ statements: number; calls: Record<string, number> }> {
  let statements = 0;
  const calls: Record<string, number> = {};
  const stop = t.database.observeQueries((operation, _seconds, _failed, sent) => {
    statements += sent;
    calls[operation] = (calls[operation] ?? 0) + 1;
  });
  try {
    const res = await t.call("POST", path, body);
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  } finally {
    stop();
  }
  return { statements, calls };
}

/**
 * The client calls: on a libSQL server a group's prefetch reads go as two batches (those by name
 * with the configuration generation, then those by the ids found: PreparedReads.together), each
 * one request, so fewer calls for the same statements.
 */
function byEngine(file: Record<string, number>, sqld: Record<string, number>) {
  return TEST_ENGINE === "sqld" ? sqld : file;
}

beforeAll(async () => {
  t = await createTestApp();
  product = unique("counted");
  // The product and environment exist and every in-memory copy (channels, rules, locks) is loaded:
  // the first deployment to a new environment has no lock to look up yet, the second has.
  for (const version of ["0.8", "0.9"]) {
    await t.call("POST", "/build-events/", { product_name: product, version, status: "completed" });
    await t.call("POST", "/deployment-events/", {
      product_name: product,
      version,
      environment_name: "production",
      status: "completed",
    });
  }
});
afterAll(() => t.close());

describe("statements per event", () => {
  it("a build event of a new version", async () => {
    const counted = await count("/build-events/", {
      product_name: product,
      version: "1.0",
      status: "completed",
    });
    // Reads: the token, the product, the version, the product's buttons, the configuration
    // generation (channels); then one batch of 3 writes and the state bump. A version this event
    // creates has no stored build to advance: no read for it.
    expect(counted).toEqual({
      statements: 9,
      calls: byEngine({ execute: 5, batch: 1 }, { execute: 3, batch: 2 }),
    });
  });

  it("a completed deployment of a new version to an existing environment", async () => {
    const counted = await count("/deployment-events/", {
      product_name: product,
      version: "1.1",
      environment_name: "production",
      status: "completed",
    });
    // Reads: the token, the product, the version, the environment, the configuration generation
    // (once for rules, locks and channels, and for "no movable release has a member"), the cell
    // with its latest event (the repeat rule: the cell holds that event's id); then one batch of 5
    // writes and the state bump. A version this event creates has no stored deployment, earlier
    // completion, release or deployment request: no read for them.
    expect(counted).toEqual({
      statements: 12,
      calls: byEngine({ execute: 6, batch: 1 }, { execute: 1, batch: 3 }),
    });
  });

  it("a started then a completed deployment of one run", async () => {
    const event = {
      product_name: product,
      version: "1.2",
      environment_name: "production",
      invoke_id: unique("run"),
    };
    const started = await count("/deployment-events/", { ...event, status: "started" });
    const completed = await count("/deployment-events/", { ...event, status: "completed" });
    // The completion reads the stored run, the open deployment without invoke_id it ends, the
    // version's earlier completion and its deployment requests: the version is stored.
    expect({ started, completed }).toEqual({
      started: { statements: 11, calls: byEngine({ execute: 6, batch: 1 }, { execute: 1, batch: 3 }) },
      completed: { statements: 15, calls: byEngine({ execute: 10, batch: 1 }, { execute: 5, batch: 3 }) },
    });
  });

  it("a batch of completed deployments of new versions", async () => {
    const events = Array.from({ length: 20 }, (_, i) => ({
      kind: "deployment",
      event: {
        product_name: product,
        version: `2.${i}`,
        environment_name: i % 2 === 0 ? "production" : "staging",
        status: "completed",
        invoke_id: unique("run"),
      },
    }));
    const counted = await count("/events/batch", { events });
    // Once per batch, whatever its size: the token; the products, versions and environments it
    // names (three set-based reads); the highest sort order (staging is new here); the
    // configuration generation; production's cell with its latest event (repeat rule). Nothing per
    // event: its version is new, so nothing stored refers to it. Then one batch: the new
    // environment, 4 writes per event, one write per cell (2: the cells are written once per
    // transaction, from their last planned row) and one state bump for all of them. To a libSQL
    // server, the rows of one table go as one insert (db/coalesced-inserts.ts): the environment,
    // one statement for each of the 4 tables, one for both cells and the bump.
    const writes = TEST_ENGINE === "sqld" ? 7 : 84;
    expect(counted).toEqual({
      statements: 7 + writes,
      calls: byEngine({ execute: 7, batch: 1 }, { execute: 2, batch: 3 }),
    });
  });
});
