import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM_PRINCIPAL } from "../auth/capabilities.ts";
import { insertPersonalToken } from "../auth/personal-tokens-service.ts";
import { createChannel, deliveriesOf, deploy } from "../testing/notification-fixtures.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

/**
 * Two collectors (two apps, two connections, two in-process write locks) on one database:
 * what happens when both create the same thing at the same moment. The loser of a race must get
 * the answer it would get one request later (409, the name is taken), never a 500.
 */
describe("two collectors on one database", () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = { VERSIONER_ALLOW_PRIVATE_WEBHOOKS: "true", VERSIONER_LOG_LEVEL: "silent" };
    a = await createTestApp(env);
    b = await createTestApp({ ...env, DATABASE_URL: a.database.url });
  });
  afterAll(() => {
    b.database.close();
    a.close();
  });

  async function race(path: string, body: () => unknown, rounds = 12): Promise<number[][]> {
    const outcomes: number[][] = [];
    for (let i = 0; i < rounds; i++) {
      const payload = body();
      const [one, two] = await Promise.all([a.call("POST", path, payload), b.call("POST", path, payload)]);
      outcomes.push([one.status, two.status].sort());
    }
    return outcomes;
  }

  const expected = (rounds: number) => Array.from({ length: rounds }, () => [201, 409]);

  it("creating one product name on both gives 201 and 409", async () => {
    expect(await race("/products", () => ({ name: unique("race-product") }))).toEqual(expected(12));
  });

  it("creating one environment name on both gives 201 and 409", async () => {
    expect(await race("/environments", () => ({ name: unique("race-env") }))).toEqual(expected(12));
  });

  it("creating one variable key on both gives 201 and 409", async () => {
    expect(
      await race("/variables", () => ({ key: unique("race").replaceAll("-", "_"), value: "v" })),
    ).toEqual(expected(12));
  });

  it("creating one notification channel name on both gives 201 and 409", async () => {
    const channel = () => ({ name: unique("race-channel"), kind: "slack", url: "http://127.0.0.1:9/hook" });
    expect(await race("/notification-channels", channel)).toEqual(expected(12));
  });

  /** A deployment event B records with `token`: its status (200 while the credential holds). */
  async function deployOnB(token: string): Promise<number> {
    const event = { product_name: unique("cred"), version: "1.0.0", environment_name: "production" };
    return (await b.call("POST", "/deployment-events/", { ...event, status: "success" }, { token })).status;
  }

  async function userWithToken(role: string): Promise<{ id: string; token: string }> {
    const user = await a.call("POST", "/users", { email: `${unique(role)}@creds.test`, role });
    expect(user.status, JSON.stringify(user.body)).toBe(201);
    const { token } = await insertPersonalToken(
      { database: a.database, clock: a.clock },
      { principal: SYSTEM_PRINCIPAL, requestId: "test" },
      user.body.id,
      { name: "ci" },
    );
    return { id: user.body.id, token };
  }

  // B keeps what its credential lookups found (CredentialCache): each change below is made on A.
  it("an API key revoked on one collector is refused by the other's very next request", async () => {
    const key = await a.call("POST", "/api-keys", { name: unique("ci-key"), scope: "ingest" });
    expect(key.status, JSON.stringify(key.body)).toBe(201);
    expect([await deployOnB(key.body.token), await deployOnB(key.body.token)]).toEqual([200, 200]);
    expect((await a.call("DELETE", `/api-keys/${key.body.id}`)).status).toBe(204);
    expect(await deployOnB(key.body.token)).toBe(401);
  });

  it("a personal token revoked on one collector is refused by the other's very next request", async () => {
    const { token } = await userWithToken("developer");
    expect(await deployOnB(token)).toBe(200);
    const [own] = (await a.call("GET", "/tokens", undefined, { token })).body.items;
    expect((await a.call("DELETE", `/tokens/${own.id}`, undefined, { token })).status).toBe(204);
    expect(await deployOnB(token)).toBe(401);
  });

  it("a user demoted or deactivated on one collector is refused by the other's very next request", async () => {
    const demoted = await userWithToken("developer");
    expect(await deployOnB(demoted.token)).toBe(200);
    expect((await a.call("PATCH", `/users/${demoted.id}`, { role: "viewer" })).status).toBe(200);
    expect(await deployOnB(demoted.token)).toBe(403);

    const deactivated = await userWithToken("developer");
    expect(await deployOnB(deactivated.token)).toBe(200);
    expect((await a.call("PATCH", `/users/${deactivated.id}`, { active: false })).status).toBe(200);
    expect(await deployOnB(deactivated.token)).toBe(401);

    const deleted = await userWithToken("sre");
    expect(await deployOnB(deleted.token)).toBe(200);
    expect((await a.call("DELETE", `/users/${deleted.id}`)).status).toBe(204);
    expect(await deployOnB(deleted.token)).toBe(401);
  });

  it("a channel created on one collector is matched by the other's very next event", async () => {
    const product = unique("watched");
    // B has matched events against its (empty) channel list before: its copy must not hide the new one.
    await deploy(b, unique("unwatched"), "production");
    const channel = await createChannel(a, {
      kind: "webhook",
      url: "http://127.0.0.1:9/hook",
      subscriptions: [{ event_types: ["deployment.completed"], products: [product] }],
    });
    await deploy(b, product, "production");
    expect(await deliveriesOf(a, channel.id)).toHaveLength(1);
    // And a disabled channel stops matching on the other collector at once too.
    expect((await a.call("PATCH", `/notification-channels/${channel.id}`, { enabled: false })).status).toBe(
      200,
    );
    await deploy(b, product, "production");
    expect(await deliveriesOf(a, channel.id)).toHaveLength(1);
  });

  it("a lock taken on one collector stops the other's very next deployment, and lifting it frees it", async () => {
    const product = unique("locked");
    const environment = unique("locked-env");
    // B has judged a deployment against its (empty) lock list before.
    await deploy(b, product, environment);
    const lock = await a.call("POST", `/environments/${environment}/lock`, { reason: "freeze" });
    expect(lock.status, JSON.stringify(lock.body)).toBe(201);
    const refused = await b.call("POST", "/deployment-events/", {
      product_name: product,
      version: unique("v"),
      environment_name: environment,
      status: "completed",
    });
    expect(refused.status).toBe(423);
    expect(refused.body.detail.code).toBe("ENVIRONMENT_LOCKED");
    expect((await a.call("DELETE", `/environments/${environment}/lock`)).status).toBe(204);
    await deploy(b, product, environment);
  });

  it("a rule created on one collector is applied by the other's very next event", async () => {
    const product = unique("ruled");
    const environment = unique("ruled-env");
    await deploy(b, product, environment);
    const rule = await a.call("POST", "/rules", {
      name: unique("one-at-a-time"),
      type: "concurrency",
      scope: { products: [product], environments: [environment] },
      settings: {},
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    const start = (invoke_id: string) =>
      b.call("POST", "/deployment-events/", {
        product_name: product,
        version: unique("v"),
        environment_name: environment,
        status: "started",
        invoke_id,
      });
    expect((await start(unique("run"))).status).toBe(200);
    const second = await start(unique("run"));
    expect(second.status).toBe(409);
    expect(second.body.detail.code).toBe("DEPLOYMENT_IN_PROGRESS");
  });
});
