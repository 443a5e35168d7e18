import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

// A group writes each `/state` cell once, from the last row it planned for it (UnitOfWork.planCell),
// instead of one upsert per event. These sequences put several events on one cell in one batch
// (one transaction) and compare the cell with the same events sent one request at a time. That each
// cell is written once is pinned by statement-count.test.ts.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

type Event = Record<string, unknown>;

type Cell = Awaited<ReturnType<typeof cellOf>>;

/** The cell as `/state` shows it, without ids (they differ between the two products). */
async function cellOf(product: string, environment: string) {
  const state = await t.call("GET", "/state");
  const row = state.body.products.find((p: { name: string }) => p.name === product);
  const cell = row?.cells.find((c: { environment_name: string }) => c.environment_name === environment);
  return {
    current: cell?.current && { version: cell.current.version, at: cell.current.deployed_at },
    in_progress: cell?.in_progress && { version: cell.in_progress.version, status: cell.in_progress.status },
    failed: cell?.failed && { version: cell.failed.version, status: cell.failed.status },
  };
}

/** Sends `events` to one product in one batch and to another one by one; returns both cells. */
async function batchAndOneByOne(before: Event[], events: Event[]) {
  const environment = "production";
  const cells: Cell[] = [];
  for (const inOneBatch of [true, false]) {
    const product = unique(inOneBatch ? "cell-batch" : "cell-single");
    const run = unique("run");
    const full = (event: Event) => ({
      product_name: product,
      environment_name: environment,
      ...event,
      ...(event.invoke_id ? { invoke_id: `${run}-${event.invoke_id}` } : {}),
    });
    for (const event of before) {
      expect((await t.call("POST", "/deployment-events/", full(event))).status).toBe(200);
    }
    if (inOneBatch) {
      const res = await t.call("POST", "/events/batch", {
        events: events.map((event) => ({ kind: "deployment", event: full(event) })),
      });
      expect(res.body.rejected, JSON.stringify(res.body)).toBe(0);
    } else {
      for (const event of events) {
        expect((await t.call("POST", "/deployment-events/", full(event))).status).toBe(200);
      }
    }
    cells.push(await cellOf(product, environment));
  }
  const [batch, oneByOne] = cells as [Cell, Cell];
  return { batch, oneByOne };
}

describe("a cell moved by several events of one group", () => {
  it("keeps the current deployment when the last event of the group is an attempt still running", async () => {
    const { batch, oneByOne } = await batchAndOneByOne(
      [],
      [
        { version: "1.0", status: "completed", completed_at: "2026-03-01T10:00:00Z" },
        { version: "0.9", status: "completed", completed_at: "2026-03-01T09:00:00Z" },
        { version: "1.1", status: "started", started_at: "2026-03-01T11:00:00Z" },
      ],
    );
    expect(batch).toEqual(oneByOne);
    expect(batch.current?.version).toBe("1.0");
    expect(batch.in_progress?.version).toBe("1.1");
  });

  it("keeps a later current stored before the group against the group's back-dated completions", async () => {
    const { batch, oneByOne } = await batchAndOneByOne(
      [{ version: "3.0", status: "completed", completed_at: "2026-03-02T12:00:00Z" }],
      [
        { version: "2.8", status: "completed", completed_at: "2026-03-02T10:00:00Z" },
        { version: "2.9", status: "failed", completed_at: "2026-03-02T11:00:00Z" },
      ],
    );
    expect(batch).toEqual(oneByOne);
    expect(batch).toEqual({
      current: { version: "3.0", at: "2026-03-02T12:00:00.000Z" },
      in_progress: null,
      failed: null,
    });
  });

  it("follows one run from started to completed, then a failed attempt after it", async () => {
    const { batch, oneByOne } = await batchAndOneByOne(
      [{ version: "4.0", status: "completed", completed_at: "2026-03-03T08:00:00Z" }],
      [
        { version: "4.1", status: "started", invoke_id: "a", started_at: "2026-03-03T09:00:00Z" },
        { version: "4.1", status: "completed", invoke_id: "a", completed_at: "2026-03-03T09:05:00Z" },
        { version: "4.2", status: "failed", completed_at: "2026-03-03T10:00:00Z" },
      ],
    );
    expect(batch).toEqual(oneByOne);
    expect(batch.current?.version).toBe("4.1");
    expect(batch.failed?.version).toBe("4.2");
  });
});
