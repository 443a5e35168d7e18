import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM_PRINCIPAL } from "../auth/capabilities.ts";
import { bumpConfigGeneration } from "../db/config-generation.ts";
import { environmentLocks } from "../db/schema/index.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { lockEnvironment, lockFor, storedLocks } from "./locks-service.ts";

// Environment locks: who is stopped, until when, the exact conflict and not-found messages, the
// audit trail of an unlock, and the per-database cache preflight reads (docs/governance.md).

let t: TestApp;
const actor = { principal: SYSTEM_PRINCIPAL, requestId: "locks-pinned" };
beforeAll(async () => {
  t = await createTestApp();
}, 60_000);
afterAll(() => t.close());

async function newEnvironment(): Promise<{ name: string; id: string }> {
  const res = await t.call("POST", "/environments", { name: unique("lock-env"), type: "production" });
  expect(res.status).toBe(201);
  return { name: res.body.name, id: res.body.id };
}

async function newProduct(): Promise<{ name: string; id: string }> {
  const res = await t.call("POST", "/products", { name: unique("lock-app") });
  expect(res.status).toBe(201);
  return { name: res.body.name, id: res.body.id };
}

const lock = (environment: string, body: object) => t.call("POST", `/environments/${environment}/lock`, body);

describe("locking", () => {
  it("a second lock on the same scope is refused with who holds it and why", async () => {
    const env = await newEnvironment();
    const app = await newProduct();
    expect((await lock(env.name, { reason: "migration" })).status).toBe(201);
    const again = await lock(env.name, { reason: "twice" });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({
      code: "CONFLICT",
      detail: `${env.name} is already locked by admin@localhost: migration`,
    });
    expect((await lock(env.name, { reason: "soak", product: app.name })).status).toBe(201);
    const productAgain = await lock(env.name, { reason: "again", product: app.name });
    expect(productAgain.status).toBe(409);
    expect(productAgain.body.detail).toBe(
      `${env.name} for ${app.name} is already locked by admin@localhost: soak`,
    );
  });

  it("refuses an expires_at that is not after now, accepts one a millisecond later", async () => {
    const env = await newEnvironment();
    const now = Date.parse("2026-06-01T12:00:00.000Z");
    const deps = { database: t.database, clock: { now: () => new Date(now) } };
    const refused = lockEnvironment(deps, actor, env.name, {
      reason: "late",
      expires_at: new Date(now).toISOString(),
    });
    await expect(refused).rejects.toMatchObject({
      status: 409,
      code: "CONFLICT",
      detail: "expires_at is in the past: the lock would never hold",
    });
    const soon = await lockEnvironment(deps, actor, env.name, {
      reason: "soon",
      expires_at: new Date(now + 1).toISOString(),
    });
    expect(soon.expires_at).toBe("2026-06-01T12:00:00.001Z");
  });

  it("an expired lock gives way to a new one on the same scope, leaving one stored lock", async () => {
    const env = await newEnvironment();
    const first = await lock(env.name, {
      reason: "short",
      expires_at: new Date(t.clock.now().getTime() + 60_000).toISOString(),
    });
    expect(first.status).toBe(201);
    t.clock.advance(120_000);
    const second = await lock(env.name, { reason: "next" });
    expect(second.status).toBe(201);
    const stored = (await t.database.db.select().from(environmentLocks)).filter(
      (row) => row.environment_id === env.id,
    );
    expect(stored.map((row) => row.reason)).toEqual(["next"]);
    expect((await t.call("GET", "/locks")).body.items).toContainEqual(second.body);
  });

  it("lists a lock until the instant it expires, not at it", async () => {
    const env = await newEnvironment();
    const expires = t.clock.now().getTime() + 10_000;
    const made = await lock(env.name, { reason: "window", expires_at: new Date(expires).toISOString() });
    expect(made.status).toBe(201);
    const lockId = made.body.id;
    expect((await lockFor(t.database, env.id, undefined, new Date(expires - 1)))?.id).toBe(lockId);
    expect(await lockFor(t.database, env.id, undefined, new Date(expires))).toBeUndefined();
  });
});

describe("which lock stops a deployment", () => {
  it("only a lock of the deployment's environment, and a product's own lock before the environment's", async () => {
    const env = await newEnvironment();
    const elsewhere = await newEnvironment();
    const app = await newProduct();
    const other = await newProduct();
    const productLock = await lock(env.name, { reason: "app soak", product: app.name });
    const wholeLock = await lock(env.name, { reason: "freeze" });
    const now = t.clock.now();
    expect((await lockFor(t.database, env.id, app.id, now))?.id).toBe(productLock.body.id);
    expect((await lockFor(t.database, env.id, other.id, now))?.id).toBe(wholeLock.body.id);
    expect((await lockFor(t.database, env.id, undefined, now))?.id).toBe(wholeLock.body.id);
    expect(await lockFor(t.database, elsewhere.id, app.id, now)).toBeUndefined();
  });
});

describe("unlocking", () => {
  it("removes only the named product's lock and audits what it was", async () => {
    const env = await newEnvironment();
    const app = await newProduct();
    const expires = new Date(t.clock.now().getTime() + 3_600_000).toISOString();
    expect((await lock(env.name, { reason: "freeze" })).status).toBe(201);
    expect(
      (await lock(env.name, { reason: "app soak", product: app.name, expires_at: expires })).status,
    ).toBe(201);
    expect((await t.call("DELETE", `/environments/${env.name}/lock?product=${app.name}`)).status).toBe(204);
    const left = (await t.call("GET", "/locks")).body.items.filter(
      (item: { environment: string }) => item.environment === env.name,
    );
    expect(
      left.map((item: { reason: string; product: string | null }) => [item.reason, item.product]),
    ).toEqual([["freeze", null]]);
    const audit = await t.call("GET", `/audit-log?action=environment.unlock&target_id=${env.id}`);
    expect(audit.body.items).toEqual([
      expect.objectContaining({
        action: "environment.unlock",
        target_type: "environment",
        target_id: env.id,
        target_name: `${env.name} for ${app.name}`,
        before: { reason: "app soak", locked_by: "admin@localhost", expires_at: expires },
      }),
    ]);
  });

  it("a missing lock is a 404 naming the scope", async () => {
    const env = await newEnvironment();
    const app = await newProduct();
    const whole = await t.call("DELETE", `/environments/${env.name}/lock`);
    expect(whole.status).toBe(404);
    expect(whole.body.detail).toBe(`A lock on ${env.name} not found`);
    const product = await t.call("DELETE", `/environments/${env.name}/lock?product=${app.name}`);
    expect(product.status).toBe(404);
    expect(product.body.detail).toBe(`A lock on ${env.name} for ${app.name} not found`);
  });
});

describe("the lock cache preflight reads", () => {
  it("serves the rows it read while the configuration generation holds, reads again once it moves", async () => {
    const env = await newEnvironment();
    const before = (await storedLocks(t.database)).length;
    // Written behind the cache's back: what another collector's change looks like before its bump.
    await t.database.db.insert(environmentLocks).values({
      id: crypto.randomUUID(),
      environment_id: env.id,
      product_id: null,
      scope_key: "*",
      reason: "other process",
      locked_by: "someone",
      created_at: t.clock.now().toISOString(),
      expires_at: null,
    });
    expect(await storedLocks(t.database)).toHaveLength(before);
    // The bump another collector's change makes in the same batch.
    await bumpConfigGeneration(t.database.db);
    expect(await storedLocks(t.database)).toHaveLength(before + 1);
  });

  it("does not keep a failed read", async () => {
    // A change made elsewhere: the next use reads the table again, and that read fails.
    await bumpConfigGeneration(t.database.db);
    await t.database.client.execute("ALTER TABLE environment_locks RENAME TO environment_locks_away");
    try {
      await expect(storedLocks(t.database)).rejects.toThrow();
    } finally {
      await t.database.client.execute("ALTER TABLE environment_locks_away RENAME TO environment_locks");
    }
    await expect(storedLocks(t.database)).resolves.toEqual(expect.any(Array));
  });
});
