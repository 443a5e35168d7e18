import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Principal } from "../auth/capabilities.ts";
import { environments, products, versionApprovals, versions } from "../db/schema/index.ts";
import { ValidationError } from "../errors.ts";
import { type DomainEvent, DomainEventBus } from "../events/domain-events.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { versionApprovalStatus } from "./approval-checks.ts";
import { approvalRefusal } from "./approval-types.ts";
import { decideVersion, environmentField } from "./approvals-service.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const principal = (fields: Partial<Principal>): Principal => ({
  kind: "user",
  id: "p1",
  name: "someone@example.test",
  capabilities: new Set(),
  ...fields,
});

describe("approvalRefusal", () => {
  const keysOnly =
    "Approvals are decided by users (a personal token or a dashboard session), not by API keys";

  it("refuses anything but a user with a role, even a key that carried a role", () => {
    expect(approvalRefusal(principal({ kind: "api_key", scope: "admin" }), "qa")).toBe(keysOnly);
    expect(approvalRefusal(principal({ kind: "api_key", role: "admin" }), "qa")).toBe(keysOnly);
    expect(approvalRefusal(principal({ kind: "system" }), "qa")).toBe(keysOnly);
    expect(approvalRefusal(principal({ kind: "user" }), "qa")).toBe(keysOnly);
    expect(approvalRefusal(principal({ role: "admin" }), "qa")).toBeNull();
  });

  it("lists the types a role may decide only when there are some", () => {
    expect(approvalRefusal(principal({ role: "billing" }), "qa")).toBe(
      "The role 'billing' may not decide 'qa' approvals",
    );
    expect(approvalRefusal(principal({ role: "sre" }), "qa")).toBe(
      "The role 'sre' may not decide 'qa' approvals (it may decide: performance)",
    );
  });
});

async function newVersion() {
  const product = unique("app");
  const built = await t.call("POST", "/build-events", {
    product_name: product,
    version: "1.0.0",
    status: "completed",
  });
  expect(built.status).toBe(200);
  return { id: built.body.version_id as string, product };
}

describe("deciding a version", () => {
  it("audits an approval as version.approve and a rejection as version.reject", async () => {
    const { id } = await newVersion();
    expect((await t.call("POST", `/versions/${id}/approvals`, { type: "qa" })).status).toBe(201);
    expect(
      (await t.call("POST", `/versions/${id}/approvals`, { type: "qa", decision: "rejected" })).status,
    ).toBe(201);
    const audit = await t.call("GET", `/audit-log?target_id=${id}`);
    expect(audit.body.items.map((e: { action: string }) => e.action).sort()).toEqual([
      "version.approve",
      "version.reject",
    ]);
  });

  it("publishes the environment a decision is for on the event, and none when it is for everywhere", async () => {
    const { id } = await newVersion();
    const staging = unique("staging");
    const created = await t.call("POST", "/environments", { name: staging, type: "staging" });
    expect(created.status).toBe(201);
    const events: DomainEvent[] = [];
    const bus = new DomainEventBus();
    bus.subscribe((event) => {
      events.push(event);
    });
    const actor = {
      principal: principal({ name: "qa@example.test", role: "qa" }),
      requestId: "r1",
    };
    const deps = { database: t.database, clock: t.clock, bus };
    await decideVersion(deps, actor, id, { type: "qa", environment: staging });
    await decideVersion(deps, actor, id, { type: "qa", decision: "rejected" });
    expect(events.map((e) => e.type)).toEqual(["version.approved", "version.rejected"]);
    expect(events[0]).toMatchObject({
      environment_id: created.body.id,
      environment_name: staging,
      environment_type: "staging",
    });
    expect(Object.keys(events[1] ?? {})).not.toContain("environment_id");
    expect(Object.keys(events[1] ?? {})).not.toContain("environment_name");
  });

  it("names the unknown version in the 404", async () => {
    const res = await t.call("GET", "/versions/no-such-version/approvals");
    expect(res.status).toBe(404);
    expect(res.body.detail).toBe("Version 'no-such-version' not found");
  });

  it("reports a storage failure while resolving the environment as such, not as the caller's fault", async () => {
    const broken = await createTestApp();
    broken.close();
    const failure = environmentField({ database: broken.database, clock: broken.clock }, "staging");
    await expect(failure).rejects.toThrow();
    await expect(failure).rejects.not.toBeInstanceOf(ValidationError);
  });
});

describe("versionApprovalStatus", () => {
  async function subject() {
    const now = t.clock.now().toISOString();
    const productId = randomUUID();
    const versionId = randomUUID();
    const environmentId = randomUUID();
    const db = t.database.db;
    await db
      .insert(products)
      .values({ id: productId, name: unique("p"), extra_metadata: {}, created_at: now, updated_at: now });
    await db.insert(versions).values({
      id: versionId,
      product_id: productId,
      version: "1",
      extra_metadata: {},
      created_at: now,
      updated_at: now,
    });
    await db.insert(environments).values({
      id: environmentId,
      name: unique("env"),
      type: "staging",
      metadata: {},
      sort_order: 0,
      created_at: now,
      updated_at: now,
    });
    const decide = (decision: "approved" | "rejected", environment: string | null) =>
      db.insert(versionApprovals).values({
        id: randomUUID(),
        product_id: productId,
        version_id: versionId,
        type: "qa",
        decision,
        environment_id: environment,
        comment: null,
        approved_by_id: "u1",
        approved_by: "Ada",
        approver_role: "admin",
        created_at: t.clock.now().toISOString(),
      });
    return { versionId, environmentId, decide };
  }

  it("has nothing standing for an unset version", async () => {
    expect(await versionApprovalStatus(t.database, { versionId: null }, ["qa"])).toEqual({
      satisfied: false,
      missing: ["qa"],
      current: [],
      rejected: [],
    });
  });

  it("without a prerequisite, a rejection for any one environment takes the approval back", async () => {
    const s = await subject();
    await s.decide("approved", null);
    await s.decide("rejected", s.environmentId);
    expect(await versionApprovalStatus(t.database, { versionId: s.versionId }, ["qa"])).toEqual({
      satisfied: false,
      missing: ["qa"],
      current: [],
      rejected: ["qa"],
    });
  });

  it("with a prerequisite, a rejection for that environment takes its approval back", async () => {
    const s = await subject();
    await s.decide("approved", s.environmentId);
    await s.decide("rejected", s.environmentId);
    expect(
      await versionApprovalStatus(t.database, { versionId: s.versionId }, ["qa"], s.environmentId),
    ).toEqual({
      satisfied: false,
      missing: ["qa"],
      current: [],
      rejected: ["qa"],
    });
  });
});
