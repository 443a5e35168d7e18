import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bumpConfigGeneration } from "../db/config-generation.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

// Ingest reads the configuration generation once per group commit (ConfigCache.forGroup), not once
// per loader per event; a change committed meanwhile is seen by the next group.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

/** A loader that reads nothing: only the generation reads reach the database. */
function countingLoader(): { load: () => Promise<number>; loads: () => number } {
  let loads = 0;
  return { load: async () => ++loads, loads: () => loads };
}

async function executes(run: () => Promise<unknown>): Promise<number> {
  let count = 0;
  const stop = t.database.observeQueries((operation) => {
    if (operation === "execute") count += 1;
  });
  try {
    await run();
  } finally {
    stop();
  }
  return count;
}

describe("the configuration as one group commit reads it", () => {
  it("reads the generation once for every loader and every use in the group", async () => {
    const [rules, locks] = [countingLoader(), countingLoader()];
    const group = t.database.configCache.forGroup();
    const reads = await executes(async () => {
      for (let event = 0; event < 5; event++) {
        await Promise.all([group.get(rules.load), group.get(locks.load)]);
      }
    });
    expect(reads).toBe(1);
    expect([rules.loads(), locks.loads()]).toEqual([1, 1]);
    // Outside a group, each use reads the generation, as before.
    const cache = t.database.configCache;
    expect(await executes(async () => [await cache.get(rules.load), await cache.get(locks.load)])).toBe(2);
  });

  it("leaves a change committed during the group to the next group", async () => {
    const rules = countingLoader();
    const group = t.database.configCache.forGroup();
    await group.get(rules.load);
    // Another collector's change: it bumps the generation in its own batch, behind this cache's back.
    await bumpConfigGeneration(t.database.db);
    expect(await group.get(rules.load)).toBe(1);
    expect(await t.database.configCache.forGroup().get(rules.load)).toBe(2);
  });

  it("reads again after a change this process made (invalidate)", async () => {
    const rules = countingLoader();
    const group = t.database.configCache.forGroup();
    await group.get(rules.load);
    await bumpConfigGeneration(t.database.db);
    t.database.configCache.invalidate();
    expect(await executes(() => group.get(rules.load))).toBe(1);
    expect(rules.loads()).toBe(2);
  });

  it("does not hold a failed generation read", async () => {
    const rules = countingLoader();
    const group = t.database.configCache.forGroup();
    await t.database.client.execute("ALTER TABLE settings RENAME TO settings_away");
    try {
      await expect(group.get(rules.load)).rejects.toThrow();
    } finally {
      await t.database.client.execute("ALTER TABLE settings_away RENAME TO settings");
    }
    await expect(group.get(rules.load)).resolves.toBe(1);
  });

  it("uses a generation read with the group's first reads (prime), and reads again if it failed", async () => {
    const rules = countingLoader();
    const generation = await t.database.client.execute(
      "SELECT value FROM settings WHERE key = 'config_generation'",
    );
    const primed = t.database.configCache.forGroup();
    primed.prime(Promise.resolve(String(generation.rows[0]?.value ?? "0")));
    expect(await executes(() => primed.get(rules.load))).toBe(0);
    // A change after the read the group was primed with is the next group's.
    await bumpConfigGeneration(t.database.db);
    expect(await executes(() => primed.get(rules.load))).toBe(0);
    expect(rules.loads()).toBe(1);
    // The first reads failed: the view reads the generation at its first use.
    const failed = t.database.configCache.forGroup();
    const refused = Promise.reject(new Error("database unavailable"));
    failed.prime(refused);
    // Once the view has seen the read fail.
    await refused.catch(() => undefined);
    expect(await executes(() => failed.get(rules.load))).toBe(1);
    expect(rules.loads()).toBe(2);
    // A view that already read the generation keeps its own.
    const read = t.database.configCache.forGroup();
    await read.get(rules.load);
    read.prime(Promise.resolve("-1"));
    expect(await executes(() => read.get(rules.load))).toBe(0);
    expect(rules.loads()).toBe(2);
  });

  it("applies a lock taken on another collector to the next batch", async () => {
    const other = await createTestApp({ DATABASE_URL: t.database.url });
    try {
      const [product, environment] = [unique("grouped"), unique("grouped-env")];
      const event = (version: string) => ({
        kind: "deployment",
        event: { product_name: product, version, environment_name: environment, status: "started" },
      });
      const before = await t.call("POST", "/events/batch", { events: [event("1"), event("2")] });
      expect(before.body.accepted).toBe(2);
      const lock = await other.call("POST", `/environments/${environment}/lock`, { reason: "freeze" });
      expect(lock.status, JSON.stringify(lock.body)).toBeLessThan(300);
      const after = await t.call("POST", "/events/batch", { events: [event("3"), event("4")] });
      expect(after.body.results.map((r: { status: number }) => r.status)).toEqual([423, 423]);
    } finally {
      other.database.close();
    }
  });

  it("moves a release whose member was added on another collector with the next event", async () => {
    const other = await createTestApp({ DATABASE_URL: t.database.url });
    try {
      const [product, live] = [unique("member"), unique("member-live")];
      const deploy = (version: string) =>
        t.call("POST", "/deployment-events/", {
          product_name: product,
          version,
          environment_name: live,
          status: "completed",
        });
      for (const version of ["1", "2"])
        await t.call("POST", "/build-events/", { product_name: product, version, status: "completed" });
      // A stored version: this collector learns that no movable release has a member.
      expect((await deploy("1")).status).toBe(200);
      const release = await other.call("POST", "/releases", {
        name: unique("rel"),
        target_environments: [live],
      });
      const added = await other.call("POST", `/releases/${release.body.id}/versions`, {
        product_name: product,
        version: "2",
      });
      expect(added.status, JSON.stringify(added.body)).toBe(201);
      expect((await deploy("2")).status).toBe(200);
      expect((await t.call("GET", `/releases/${release.body.id}`)).body.status).toBe("completed");
    } finally {
      other.database.close();
    }
  });
});
