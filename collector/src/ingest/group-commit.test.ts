import { createClient } from "@libsql/client";
import { DeploymentEventInput } from "@versioner/schema";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DomainEventBus } from "../events/domain-events.ts";
import { CollectorMetrics } from "../metrics/collector-metrics.ts";
import { postDeployment } from "../testing/ingest-fixtures.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { TEST_ENGINE } from "../testing/test-engine.ts";
import { GroupCommitter } from "./group-commit.ts";
import { type IngestDeps, ingestDeployment } from "./ingest-service.ts";
import { UnitOfWork } from "./unit-of-work.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** Counts the transactions the group committer applies: one `client.batch` each. */
function countBatches(): { count: number; restore(): void } {
  const counter = { count: 0, restore: () => {} };
  counter.restore = t.database.observeQueries((operation) => {
    if (operation === "batch") counter.count += 1;
  }) as () => void;
  return counter;
}

const settingInsert = (unit: UnitOfWork, key: string) =>
  unit.add({ sql: "INSERT INTO settings (key, value) VALUES (?, 'x')", args: [key] });
/** A settings key stored already: inserting it again violates the key. */
const takenKey = async (prefix: string) => {
  const key = unique(prefix);
  await t.database.client.execute({
    sql: "INSERT INTO settings (key, value) VALUES (?, 'x')",
    args: [key],
  });
  return key;
};
const storedKeys = async (keys: string[]) => {
  const rows = await t.database.client.execute({
    sql: `SELECT key FROM settings WHERE key IN (${keys.map(() => "?").join(", ")}) ORDER BY key`,
    args: keys,
  });
  return rows.rows.map((row) => row.key);
};

describe("group commit", () => {
  it("commits concurrent events together, each with its own outcome", async () => {
    const product = unique("group");
    await t.call("POST", "/build-events", {
      product_name: product,
      version: "1",
      status: "completed",
      scm_sha: "a".repeat(40),
    });
    const batches = countBatches();
    try {
      const requests = Array.from({ length: 30 }, (_, i) =>
        t.call("POST", "/deployment-events", {
          product_name: product,
          version: i === 7 ? "1" : `2.${i}`,
          environment_name: `env-${i % 3}`,
          status: "completed",
          // Event 7 names version 1 with another commit: refused, and only it.
          ...(i === 7 ? { scm_sha: "b".repeat(40) } : {}),
        }),
      );
      const results = await Promise.all(requests);
      expect(results.map((r) => r.status)).toEqual(results.map((_, i) => (i === 7 ? 409 : 200)));
      expect(batches.count).toBeGreaterThan(0);
      expect(batches.count).toBeLessThan(30);
    } finally {
      batches.restore();
    }
    const list = await t.call("GET", `/deployments?product=${product}&limit=500`);
    expect(list.body.items).toHaveLength(29);
  });

  it("requests that arrive in separate turns of the event loop while one waits join its group", async () => {
    const committer = new GroupCommitter(t.database);
    const sizes: number[] = [];
    const stop = committer.observeGroups((size) => sizes.push(size));
    try {
      // Each submit in its own callback, as HTTP requests are read: one per socket event.
      const results = await Promise.all(
        Array.from(
          { length: 5 },
          (_, i) =>
            new Promise((resolve) =>
              setImmediate(() => resolve(committer.submit(async () => `request ${i}`))),
            ),
        ),
      );
      expect(results).toEqual(["request 0", "request 1", "request 2", "request 3", "request 4"]);
      expect(sizes).toEqual([5]);
    } finally {
      stop();
    }
  });

  it("falls back to one transaction per request when a plan fails unexpectedly", async () => {
    const committer = new GroupCommitter(t.database);
    const ok = (name: string) => async (unit: Parameters<Parameters<GroupCommitter["submit"]>[0]>[0]) => {
      unit.add(t.database.db.run(`INSERT INTO settings (key, value) VALUES ('${name}', 'x')`));
      return name;
    };
    const a = unique("ga");
    const b = unique("gb");
    const results = await Promise.allSettled([
      committer.submit(ok(a)),
      committer.submit(async () => {
        throw new Error("boom");
      }),
      committer.submit(ok(b)),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const rows = await t.database.client.execute({
      sql: "SELECT key FROM settings WHERE key IN (?, ?)",
      args: [a, b],
    });
    expect(rows.rows).toHaveLength(2);
  });

  it("reads the products, versions and environments of all its requests together", async () => {
    const product = unique("together");
    await postDeployment(t, product, "1", "together-env", "completed");
    const lastEvent = await t.database.client.execute({
      sql: "SELECT e.id FROM events e JOIN products p ON p.id = e.product_id WHERE p.name = ?",
      args: [product],
    });
    const committer = new GroupCommitter(t.database);
    let calls = 0;
    const stop = t.database.observeQueries(() => {
      calls += 1;
    });
    try {
      // Ten requests of one group, as ten single-event requests are: each names what it looks up.
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => {
          const version = i % 2 === 0 ? "1" : `absent-${i}`;
          return committer.submit(
            async (unit) => {
              const found = await unit.productByName(product);
              const stored = found && (await unit.version(found.id, version));
              const environment = await unit.environmentByName("together-env");
              const cell = { product_id: found?.id ?? "", environment_id: environment?.id ?? "" };
              const state = await unit.state(cell.product_id, cell.environment_id);
              const latest = await unit.latestEvent(cell);
              return [
                found?.name,
                stored?.version ?? null,
                environment?.name,
                state?.current_version,
                latest?.id,
              ];
            },
            {
              products: [product],
              versions: [{ product, version }],
              environments: ["together-env"],
              cells: [{ product, environment: "together-env" }],
            },
          );
        }),
      );
      const latest = lastEvent.rows[0]?.id;
      expect(results).toEqual(
        results.map((_, i) => [product, i % 2 === 0 ? "1" : null, "together-env", "1", latest]),
      );
      // The products, the versions, the environments, and the cells with their latest events (one
      // read: the cell holds its latest event's id): four reads for the ten requests (which write
      // nothing). A libSQL server is sent them in two requests: those by name, then those by the
      // ids they found.
      expect(calls).toBe(TEST_ENGINE === "sqld" ? 2 : 4);
    } finally {
      stop();
    }
  });

  it("answers the requests waiting for the credentials generation with its first reads, on a libSQL server", async () => {
    const found: string[] = [];
    let claims = 0;
    const waiters = {
      claim: () => {
        claims += 1;
        return {
          key: "credentials_generation",
          found: (generation: string) => found.push(generation),
          failed: (error: unknown) => found.push(`failed: ${error}`),
        };
      },
    };
    const committer = new GroupCommitter(t.database, { sliceMs: 0, waiters });
    const key = unique("claimed");
    await committer.submit(async (unit) => settingInsert(unit, key));
    expect(await storedKeys([key])).toEqual([key]);
    if (TEST_ENGINE === "file") {
      // A local file reads the generations one by one at their first use: nothing to share.
      expect(claims).toBe(0);
      return;
    }
    const stored = await t.database.client.execute(
      "SELECT value FROM settings WHERE key = 'credentials_generation'",
    );
    expect(claims).toBe(1);
    expect(found).toEqual([String(stored.rows[0]?.value ?? "0")]);
  });

  describe("pipelined: the next group is planned while one commits", () => {
    it("plans the requests that arrive while a group commits on its unit, and commits them after it", async () => {
      const committer = new GroupCommitter(t.database, { sliceMs: 0 });
      const [a, b] = [unique("pipe-a"), unique("pipe-b")];
      const units: UnitOfWork[] = [];
      let second: Promise<unknown> | undefined;
      const batches = countBatches();
      try {
        await committer.submit(async (unit) => {
          units.push(unit);
          settingInsert(unit, a);
          // Arrives while this group is planned: the next group, planned while this one commits.
          second = committer.submit(async (next) => {
            units.push(next);
            settingInsert(next, b);
          });
        });
        await second;
      } finally {
        batches.restore();
      }
      expect(units).toHaveLength(2);
      // Planned on the first group's unit (as if it had come later in the same group): only a
      // group planned while another commits continues its unit.
      expect(units[1]).toBe(units[0]);
      // Two transactions, the second after the first: both rows are there.
      expect(batches.count).toBe(2);
      expect(await storedKeys([a, b])).toEqual([a, b].sort());
      expect(t.database.writer?.idle()).toBeUndefined();
    });

    it("advances a deployment that the group still committing started (one invoke_id, consecutive groups)", async () => {
      const committer = new GroupCommitter(t.database, { sliceMs: 0 });
      const deps: IngestDeps = {
        database: t.database,
        runtime: { committer },
        clock: t.clock,
        dedupWindowSeconds: 600,
        bus: new DomainEventBus(),
        metrics: new CollectorMetrics(),
      };
      const product = unique("pipe-deploy");
      const send = (status: string) => {
        const body = {
          product_name: product,
          version: "1.0.0",
          environment_name: "production",
          status,
          invoke_id: "run-1",
        };
        return ingestDeployment(deps, DeploymentEventInput.parse(body), body);
      };
      const continued = vi.spyOn(UnitOfWork.prototype, "continueWith");
      let success: ReturnType<typeof send> | undefined;
      try {
        const started = send("started");
        // Queued while the started event's group is planned: planned while that group commits.
        await committer.submit(async () => {
          success ??= send("success");
        });
        const results = [await started, await (success as ReturnType<typeof send>)];
        expect(continued).toHaveBeenCalled();
        expect(results.map((result) => result.body.status)).toEqual(["started", "completed"]);
        expect(results[1]?.body.id).toBe(results[0]?.body.id);
      } finally {
        continued.mockRestore();
      }
      const list = await t.call("GET", `/deployments?product=${product}`);
      expect(list.body.items.map((item: { status: string }) => item.status)).toEqual(["completed"]);
    });

    it("plans again from the database a group planned on one whose commit then failed", async () => {
      const committer = new GroupCommitter(t.database, { sliceMs: 0 });
      const taken = await takenKey("pipe-taken");
      const b = unique("pipe-after");
      const units: UnitOfWork[] = [];
      let second: Promise<unknown> | undefined;
      const first = committer.submit(async (unit) => {
        settingInsert(unit, taken);
        second ??= committer.submit(async (next) => {
          units.push(next);
          settingInsert(next, b);
        });
      });
      const outcome = (promise: Promise<unknown> | undefined) =>
        (promise as Promise<unknown>).then(
          () => "fulfilled",
          () => "rejected",
        );
      // The first is answered (refused) before the second is planned again: awaited in that order.
      expect([await outcome(first), await outcome(second)]).toEqual(["rejected", "fulfilled"]);
      // Planned on the failed group's unit first (rolled back), then alone on a new one.
      expect(units).toHaveLength(2);
      expect(units[1]).not.toBe(units[0]);
      expect(await storedKeys([b])).toEqual([b]);
      expect(t.database.writer?.idle()).toBeUndefined();
    });

    it("plans the requests that arrive while its group commits on the same unit, as one next group", async () => {
      const committer = new GroupCommitter(t.database, { sliceMs: 0 });
      const keys = [unique("late-a"), unique("late-b"), unique("late-c")];
      const units: UnitOfWork[] = [];
      const request = (key: string) =>
        committer.submit(async (unit) => {
          units.push(unit);
          settingInsert(unit, key);
        });
      const planned = async (count: number) => {
        while (units.length < count) await new Promise((resolve) => setImmediate(resolve));
      };
      const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      // Another connection holds the database's write lock: the first group's commit waits for it.
      const holder = createClient({ url: t.database.url });
      const lock = await holder.transaction("write");
      // A transaction begins with its first statement (on a libSQL server, lazily).
      await lock.execute("SELECT 1");
      const batches = countBatches();
      try {
        const first = request(keys[0] as string);
        await planned(1);
        // Well after the first group was planned and its commit sent, one request, then another.
        await later(50);
        const second = request(keys[1] as string);
        await later(20);
        const third = request(keys[2] as string);
        // Both planned while the commit still waits.
        await vi.waitFor(() => expect(units).toHaveLength(3), { timeout: 1_000 });
        await lock.commit();
        await Promise.all([first, second, third]);
      } finally {
        batches.restore();
        lock.close();
        holder.close();
      }
      expect(new Set(units).size).toBe(1);
      // The first group's transaction, then one for the two that arrived while it committed.
      expect(batches.count).toBe(2);
      expect(await storedKeys(keys)).toEqual([...keys].sort());
    });
  });

  describe.runIf(TEST_ENGINE === "file")("on a local file, streamed to the write thread", () => {
    it("sends what it planned before its last request is planned, and commits it all as one transaction", async () => {
      // A slice of 0: planning lets the event loop turn, and sends, before every request.
      const committer = new GroupCommitter(t.database, { sliceMs: 0 });
      const keys = [unique("s1"), unique("s2"), unique("s3")];
      const batches = countBatches();
      const openWhilePlanning: boolean[] = [];
      try {
        await Promise.all(
          keys.map((key) =>
            committer.submit(async (unit) => {
              openWhilePlanning.push(t.database.writer?.idle() !== undefined);
              settingInsert(unit, key);
            }),
          ),
        );
      } finally {
        batches.restore();
      }
      // The first request's statement was running in the thread while the others were planned.
      expect(openWhilePlanning).toEqual([false, true, true]);
      expect(batches.count).toBe(1);
      expect(await storedKeys(keys)).toEqual([...keys].sort());
    });

    it("rolls back what the thread already ran when a later plan fails, then commits each request alone", async () => {
      const committer = new GroupCommitter(t.database, { sliceMs: 0 });
      const [a, b] = [unique("rb-a"), unique("rb-b")];
      const results = await Promise.allSettled([
        committer.submit(async (unit) => settingInsert(unit, a)),
        committer.submit(async () => {
          throw new Error("boom");
        }),
        committer.submit(async (unit) => settingInsert(unit, b)),
      ]);
      // Had the first attempt's insert of `a` stayed, its second insert would violate the key.
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      expect(await storedKeys([a, b])).toEqual([a, b].sort());
      expect(t.database.writer?.idle()).toBeUndefined();
    });

    it("aborts when a statement cannot be sent (a value no binding takes), and the other requests still commit", async () => {
      const committer = new GroupCommitter(t.database, { sliceMs: 0 });
      const [a, b] = [unique("unsent-a"), unique("unsent-b")];
      const results = await Promise.allSettled([
        committer.submit(async (unit) => settingInsert(unit, a)),
        committer.submit(async (unit) =>
          unit.add({
            sql: "INSERT INTO settings (key, value) VALUES ('never', ?)",
            args: [Number.POSITIVE_INFINITY],
          }),
        ),
        committer.submit(async (unit) => settingInsert(unit, b)),
      ]);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      expect(await storedKeys([a, b, "never"])).toEqual([a, b].sort());
      expect(t.database.writer?.idle()).toBeUndefined();
    });

    it("learns of a statement that failed in a part already sent when it commits, and writes none of it", async () => {
      const committer = new GroupCommitter(t.database, { sliceMs: 0 });
      const taken = await takenKey("taken");
      const after = unique("after");
      const results = await Promise.allSettled([
        committer.submit(async (unit) => settingInsert(unit, taken)),
        committer.submit(async (unit) => settingInsert(unit, after)),
      ]);
      // The group failed on the key and fell back to a transaction per request: only the second commits.
      expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled"]);
      expect(await storedKeys([after])).toEqual([after]);
    });
  });
});
