import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bumpConfigGeneration } from "../db/config-generation.ts";
import { deploymentRules } from "../db/schema/index.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { activeRules } from "./rules-service.ts";

// Deployment rules: the exact errors of the rules API, what a partial update keeps, and the
// per-database cache preflight reads (docs/governance.md).

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
}, 60_000);
afterAll(() => t.close());

async function rule(body: Record<string, unknown> = {}) {
  const res = await t.call("POST", "/rules", { name: unique("pinned-rule"), type: "concurrency", ...body });
  expect(res.status).toBe(201);
  return res.body;
}

describe("rules API errors", () => {
  it("an unknown rule is a 404 naming its id", async () => {
    const res = await t.call("GET", "/rules/no-such-rule");
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: "NOT_FOUND", detail: "Rule 'no-such-rule' not found" });
  });

  it("a taken name is refused on create and on rename, naming the rule", async () => {
    const first = await rule();
    const second = await rule();
    const clash = await t.call("POST", "/rules", { name: first.name, type: "concurrency" });
    expect(clash.status).toBe(409);
    expect(clash.body).toMatchObject({ code: "NAME_TAKEN", detail: `Rule '${first.name}' already exists` });
    const rename = await t.call("PATCH", `/rules/${second.id}`, { name: first.name });
    expect(rename.status).toBe(409);
    expect(rename.body).toMatchObject({ code: "NAME_TAKEN", detail: `Rule '${first.name}' already exists` });
    expect((await t.call("GET", `/rules/${second.id}`)).body.name).toBe(second.name);
  });

  it("a rule may be sent its own name back", async () => {
    const first = await rule();
    const same = await t.call("PATCH", `/rules/${first.id}`, { name: first.name, mode: "report_only" });
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ name: first.name, mode: "report_only" });
  });

  it("a schedule's problems are value errors under body.settings", async () => {
    const res = await t.call("POST", "/rules", {
      name: unique("bad-window"),
      type: "schedule",
      settings: { recurrence: "monthly", timezone: "UTC", start: "10:00", end: "10:00" },
    });
    expect(res.status).toBe(422);
    expect(res.body.detail).toEqual([
      { loc: ["body", "settings", "end"], msg: "must differ from start", type: "value_error" },
      {
        loc: ["body", "settings", "day_of_month"],
        msg: "a monthly window needs day_of_month",
        type: "value_error",
      },
    ]);
  });
});

describe("partial updates", () => {
  it("keeps what the body leaves out and replaces what it names", async () => {
    const first = await rule({ description: "kept", scope: { products: ["a"], environments: ["prod"] } });
    const moded = await t.call("PATCH", `/rules/${first.id}`, { mode: "disabled" });
    expect(moded.status).toBe(200);
    expect(moded.body).toMatchObject({
      mode: "disabled",
      description: "kept",
      scope: { products: ["a"], environments: ["prod"] },
    });
    const scoped = await t.call("PATCH", `/rules/${first.id}`, { scope: { products: ["b", "b", "c"] } });
    expect(scoped.body.scope).toEqual({ products: ["b", "c"], environments: ["prod"] });
    const cleared = await t.call("PATCH", `/rules/${first.id}`, { description: null });
    expect(cleared.body.description).toBeNull();
    expect((await t.call("GET", `/rules/${first.id}`)).body).toEqual(cleared.body);
  });
});

describe("the rule cache preflight reads", () => {
  it("serves the rules it read while the configuration generation holds, reads again once it moves", async () => {
    const before = (await activeRules(t.database)).length;
    // Written behind the cache's back: what another collector's change looks like before its bump.
    const now = t.clock.now().toISOString();
    await t.database.db.insert(deploymentRules).values({
      id: crypto.randomUUID(),
      name: unique("other-process"),
      type: "concurrency",
      mode: "enabled",
      scope_products: [],
      scope_environments: [],
      settings: {},
      description: null,
      created_at: now,
      updated_at: now,
    });
    expect(await activeRules(t.database)).toHaveLength(before);
    // The bump another collector's change makes in the same batch.
    await bumpConfigGeneration(t.database.db);
    expect(await activeRules(t.database)).toHaveLength(before + 1);
  });

  it("does not keep a failed read", async () => {
    // A change made elsewhere: the next use reads the table again, and that read fails.
    await bumpConfigGeneration(t.database.db);
    await t.database.client.execute("ALTER TABLE deployment_rules RENAME TO deployment_rules_away");
    try {
      await expect(activeRules(t.database)).rejects.toThrow();
    } finally {
      await t.database.client.execute("ALTER TABLE deployment_rules_away RENAME TO deployment_rules");
    }
    await expect(activeRules(t.database)).resolves.toEqual(expect.any(Array));
  });
});
