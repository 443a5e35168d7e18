import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM_PRINCIPAL } from "../auth/capabilities.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { createEnvironment, listEnvironments, moveEnvironment } from "./environments-service.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const actor = { principal: SYSTEM_PRINCIPAL, requestId: "test" };

describe("moveEnvironment", () => {
  it("moves within its type only, spreads equal orders, and stays put at either end", async () => {
    const deps = { database: t.database, clock: t.clock };
    const [a, b, c] = [unique("prod-a"), unique("prod-b"), unique("prod-c")];
    for (const name of [a, b, c]) {
      await createEnvironment(deps, actor, { name, type: "production", sort_order: 5 });
    }
    const staging = unique("stage");
    await createEnvironment(deps, actor, { name: staging, type: "staging" });
    const order = async () =>
      (await listEnvironments(deps, {})).map((e) => e.name).filter((n) => [a, b, c, staging].includes(n));
    expect(await order()).toEqual([staging, a, b, c]);

    await moveEnvironment(deps, actor, c, "up");
    expect(await order()).toEqual([staging, a, c, b]);
    await moveEnvironment(deps, actor, c, "up");
    expect(await order()).toEqual([staging, c, a, b]);
    // First of the production environments: a staging one before it does not count.
    await moveEnvironment(deps, actor, c, "up");
    expect(await order()).toEqual([staging, c, a, b]);
    await moveEnvironment(deps, actor, b, "down");
    expect(await order()).toEqual([staging, c, a, b]);
    await moveEnvironment(deps, actor, a, "down");
    expect(await order()).toEqual([staging, c, b, a]);

    const audit = await t.call("GET", `/audit-log?target_type=environment&limit=500`);
    expect(audit.status).toBe(200);
    expect(JSON.stringify(audit.body)).toContain('"environment.update"');
  });
});
