import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

// `versioner_ingest_events_total` counts each event once its fate is known: by kind, the status
// it parsed to ("invalid" when it did not parse) and what happened to it. Operators alert on it.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

type Counts = Map<string, number>;

async function ingestCounts(app: TestApp): Promise<Counts> {
  const metric = app.metrics.registry.getSingleMetric("versioner_ingest_events_total");
  const values = (await metric?.get())?.values ?? [];
  return new Map(values.map((v) => [`${v.labels.kind} ${v.labels.status} ${v.labels.outcome}`, v.value]));
}

/** The series that moved between two readings, with how much. */
function moved(before: Counts, after: Counts): Record<string, number> {
  const changes: Record<string, number> = {};
  for (const [series, value] of after) {
    const delta = value - (before.get(series) ?? 0);
    if (delta !== 0) changes[series] = delta;
  }
  return changes;
}

async function counting(app: TestApp, send: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = await ingestCounts(app);
  await send();
  return moved(before, await ingestCounts(app));
}

const deployment = (product: string, status: string) => ({
  product_name: product,
  version: "1",
  environment_name: "prod",
  status,
});

describe("single events", () => {
  it("counts a recorded build, then its replay by key, then a key reused for another body", async () => {
    const product = unique("m-build");
    const key = unique("k");
    const body = { product_name: product, version: "1", status: "started" };
    const send = (b: object) => t.call("POST", "/build-events", b, { headers: { "idempotency-key": key } });
    expect(await counting(t, () => send(body))).toEqual({ "build started recorded": 1 });
    expect(await counting(t, () => send(body))).toEqual({ "build started replayed": 1 });
    expect(await counting(t, () => send({ ...body, status: "failed" }))).toEqual({
      "build failed rejected": 1,
    });
  });

  it("counts a deployment refused for its SHA as rejected under the status it parsed to", async () => {
    const product = unique("m-sha");
    await t.call("POST", "/deployment-events", {
      ...deployment(product, "success"),
      scm_sha: "a".repeat(40),
    });
    const changes = await counting(t, async () => {
      const res = await t.call("POST", "/deployment-events", {
        ...deployment(product, "success"),
        scm_sha: "b".repeat(40),
      });
      expect(res.status).toBe(409);
    });
    expect(changes).toEqual({ "deployment completed rejected": 1 });
  });

  it("counts a deployment refused for an unknown field nested too deep as rejected", async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { d: deep };
    const changes = await counting(t, async () => {
      const res = await t.call("POST", "/deployment-events", {
        ...deployment(unique("m-deep"), "started"),
        custom: deep,
      });
      expect(res.status).toBe(422);
    });
    expect(changes).toEqual({ "deployment started rejected": 1 });
  });
});

describe("batches", () => {
  it("counts each item: recorded, replayed inside the batch, invalid and rejected", async () => {
    const product = unique("m-batch");
    const changes = await counting(t, async () => {
      const res = await t.call("POST", "/events/batch", {
        events: [
          { kind: "deployment", event: deployment(product, "completed") },
          { kind: "deployment", event: deployment(product, "completed") },
          { kind: "build", event: { product_name: product, status: "completed" } },
          { kind: "build", event: { product_name: product, version: "1", status: "failed" } },
          {
            kind: "build",
            event: { product_name: product, version: "2", status: "started", scm_sha: "a".repeat(40) },
          },
          {
            kind: "build",
            event: { product_name: product, version: "2", status: "pending", scm_sha: "b".repeat(40) },
          },
        ],
      });
      expect(res.body).toMatchObject({ accepted: 4, rejected: 2 });
    });
    expect(changes).toEqual({
      "deployment completed recorded": 1,
      "deployment completed replayed": 1,
      "build invalid rejected": 1,
      "build failed recorded": 1,
      "build started recorded": 1,
      "build pending rejected": 1,
    });
  });
});

describe("a batch whose planning fails", () => {
  let broken: TestApp;
  beforeAll(async () => {
    broken = await createTestApp();
    // Deployments cannot be admitted without the environment locks (read through the configuration
    // cache when the first deployment is planned, after the group's prefetch): a fault, not a rule.
    await broken.database.client.execute("DROP TABLE environment_locks");
  });
  afterAll(() => broken.close());

  it("answers 500 and counts the failing item under its status, the ones never reached as invalid", async () => {
    const product = unique("m-plan");
    // The product and the environment exist beforehand: the events are planned against stored rows.
    expect((await broken.call("POST", "/products", { name: product })).status).toBe(201);
    expect((await broken.call("POST", "/environments", { name: "prod" })).status).toBe(201);
    const changes = await counting(broken, async () => {
      const res = await broken.call("POST", "/events/batch", {
        events: [
          { kind: "deployment", event: deployment(product, "started") },
          { kind: "build", event: { product_name: product, version: "1", status: "completed" } },
          { kind: "deployment", event: deployment(product, "completed") },
        ],
      });
      expect(res.status).toBe(500);
    });
    expect(changes).toEqual({
      "deployment started error": 1,
      "build invalid error": 1,
      "deployment invalid error": 1,
    });
  });
});

describe("events the database failed to record", () => {
  let broken: TestApp;
  beforeAll(async () => {
    broken = await createTestApp();
    // Every plan succeeds and the write fails: an error no rule of ingest raised.
    await broken.database.client.execute(
      "CREATE TRIGGER refuse_events BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk says no'); END",
    );
  });
  afterAll(() => broken.close());

  it("counts a single event as an error, not as rejected", async () => {
    const changes = await counting(broken, async () => {
      const res = await broken.call("POST", "/build-events", {
        product_name: unique("m-err"),
        version: "1",
        status: "completed",
      });
      expect(res.status).toBe(500);
    });
    expect(changes).toEqual({ "build completed error": 1 });
  });

  it("counts every item of a failed batch as an error, under the status each parsed to", async () => {
    const product = unique("m-err-batch");
    const changes = await counting(broken, async () => {
      const res = await broken.call("POST", "/events/batch", {
        events: [
          { kind: "deployment", event: deployment(product, "started") },
          { kind: "deployment", event: { product_name: product } },
          { kind: "build", event: { product_name: product, version: "1", status: "success" } },
        ],
      });
      expect(res.status).toBe(500);
    });
    expect(changes).toEqual({
      "deployment started error": 1,
      "deployment invalid error": 1,
      "build completed error": 1,
    });
  });
});
