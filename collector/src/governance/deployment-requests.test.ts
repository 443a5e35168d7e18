import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROLES, type Role } from "../auth/capabilities.ts";
import { loadConfig } from "../config.ts";
import { deploymentRequestSlots, deploymentRequests, deployments } from "../db/schema/index.ts";
import { type DomainEvent, DomainEventBus } from "../events/domain-events.ts";
import { createApp } from "../http/app.ts";
import { createLogger } from "../logger.ts";
import { type GovernanceSubject, registeredSubject } from "../testing/governance-fixtures.ts";
import { type HttpReceiver, startReceiver } from "../testing/http-receiver.ts";
import { createChannel, deliverInOrder } from "../testing/notification-fixtures.ts";
import { roleTokens } from "../testing/role-tokens.ts";
import { ADMIN_TOKEN, createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { deploymentRequestStatus } from "./approval-checks.ts";
import { APPROVAL_TYPES, type ApprovalType } from "./approval-types.ts";

let t: TestApp;
let tokens: Record<Role, string>;
beforeAll(async () => {
  t = await createTestApp({ VERSIONER_ALLOW_PRIVATE_WEBHOOKS: "true" });
  tokens = await roleTokens(t);
}, 60_000);
afterAll(() => t.close());

async function create(
  subject: GovernanceSubject,
  types: ApprovalType[],
  token = ADMIN_TOKEN,
  extra: object = {},
) {
  return t.call("POST", "/deployment-requests", { ...subject, approval_types: types, ...extra }, { token });
}

/** A submitted (in_progress) request for a new subject. */
async function submitted(types: ApprovalType[]): Promise<{ id: string; subject: GovernanceSubject }> {
  const subject = await registeredSubject(t, "shop", "2.0.0");
  const made = await create(subject, types);
  expect(made.status).toBe(201);
  const sent = await t.call("POST", `/deployment-requests/${made.body.id}/submit`);
  expect(sent.status).toBe(200);
  return { id: made.body.id, subject };
}

const decide = (id: string, type: string, decision: string, token = ADMIN_TOKEN, comment?: string) =>
  t.call("POST", `/deployment-requests/${id}/slots/${type}`, { decision, comment }, { token });

const get = async (id: string) => (await t.call("GET", `/deployment-requests/${id}`)).body;

function deploy(subject: GovernanceSubject, status: string, extra: object = {}) {
  return t.call("POST", "/deployment-events", {
    product_name: subject.product,
    version: subject.version,
    environment_name: subject.environment,
    status,
    ...extra,
  });
}

describe("creating a deployment request", () => {
  it("starts as a draft with one pending slot per type, in the order of the types", async () => {
    const subject = await registeredSubject(t, "shop", "2.0.0");
    const made = await create(subject, ["security", "qa"], tokens.developer, { description: "Q4 launch" });
    expect(made.status).toBe(201);
    expect(made.body).toEqual({
      id: expect.any(String),
      name: `${subject.product} 2.0.0 to ${subject.environment}`,
      description: "Q4 launch",
      product: subject.product,
      product_id: expect.any(String),
      version: "2.0.0",
      version_id: expect.any(String),
      environment: subject.environment,
      environment_id: expect.any(String),
      status: "draft",
      slots: ["qa", "security"].map((type) => ({
        type,
        status: "pending",
        decided_by: null,
        decided_role: null,
        comment: null,
        decided_at: null,
      })),
      created_by: expect.stringMatching(/^developer-/),
      created_at: expect.any(String),
      updated_at: expect.any(String),
      submitted_at: null,
      decided_at: null,
      completed_at: null,
      completed_by_deployment_id: null,
      cancelled_at: null,
    });
    expect(await get(made.body.id)).toEqual(made.body);
  });

  it("refuses unknown products, versions, environments and types, empty or repeated slots, naming the field", async () => {
    const subject = await registeredSubject(t, "shop", "2.0.0");
    const cases: Array<[object, string[]]> = [
      [{ product: "no-such-product" }, ["body", "product"]],
      [{ version: "9.9.9" }, ["body", "version"]],
      [{ environment: "nowhere" }, ["body", "environment"]],
      [{ approval_types: ["vibes"] }, ["body", "approval_types", "0"]],
      [{ approval_types: [] }, ["body", "approval_types"]],
      [{ approval_types: ["qa", "qa"] }, ["body", "approval_types"]],
    ];
    for (const [change, loc] of cases) {
      const res = await t.call("POST", "/deployment-requests", {
        ...subject,
        approval_types: ["qa"],
        ...change,
      });
      expect(res.status, JSON.stringify(change)).toBe(422);
      expect(res.body.detail[0].loc.map(String), JSON.stringify(change)).toEqual(loc);
    }
    const listed = await t.call("GET", `/deployment-requests?product=${subject.product}`);
    expect(listed.body.items).toEqual([]);
  });

  it("is allowed to admin, release_manager, product and developer, and to admin API keys", async () => {
    const subject = await registeredSubject(t, "shop", "2.0.0");
    for (const role of ROLES) {
      const res = await create(subject, ["qa"], tokens[role]);
      const allowed = ["admin", "release_manager", "product", "developer"].includes(role);
      expect(res.status, role).toBe(allowed ? 201 : 403);
    }
    const adminKey = await t.call("POST", "/api-keys", { name: unique("dr-admin"), scope: "admin" });
    expect((await create(subject, ["qa"], adminKey.body.token)).status).toBe(201);
    const ingestKey = await t.call("POST", "/api-keys", { name: unique("dr-ingest"), scope: "ingest" });
    expect((await create(subject, ["qa"], ingestKey.body.token)).status).toBe(403);
  });
});

describe("lifecycle", () => {
  it("draft → in_progress → approved → completed when the matching deployment completes", async () => {
    const { id, subject } = await submitted(["qa", "uat"]);
    let request = await get(id);
    expect(request).toMatchObject({
      status: "in_progress",
      submitted_at: expect.any(String),
      decided_at: null,
    });

    const qa = await decide(id, "qa", "approved", tokens.qa, "All green");
    expect(qa.status).toBe(200);
    expect(qa.body.status).toBe("in_progress");
    expect(qa.body.slots.find((slot: { type: string }) => slot.type === "qa")).toEqual({
      type: "qa",
      status: "approved",
      decided_by: expect.stringMatching(/^qa-/),
      decided_role: "qa",
      comment: "All green",
      decided_at: expect.any(String),
    });
    const uat = await decide(id, "uat", "approved", tokens.product);
    expect(uat.body).toMatchObject({ status: "approved", decided_at: expect.any(String) });

    // Started is not completed; a failed deployment elsewhere neither.
    expect((await deploy(subject, "started")).status).toBe(200);
    expect((await get(id)).status).toBe("approved");
    const done = await deploy(subject, "completed");
    expect(done.status).toBe(200);
    request = await get(id);
    expect(request).toMatchObject({
      status: "completed",
      completed_at: done.body.completed_at,
      completed_by_deployment_id: done.body.deployment_id ?? done.body.id,
    });
  });

  it("any rejected slot rejects the request; it can no longer be decided or completed", async () => {
    const { id, subject } = await submitted(["qa", "security", "compliance"]);
    await decide(id, "qa", "approved", tokens.qa);
    const rejected = await decide(id, "security", "rejected", tokens.security, "CVE-2026-1234 open");
    expect(rejected.status).toBe(200);
    expect(rejected.body.status).toBe("rejected");
    expect(rejected.body.slots.map((s: { status: string }) => s.status)).toEqual([
      "approved",
      "rejected",
      "pending",
    ]);
    const late = await decide(id, "compliance", "approved", tokens.compliance);
    expect(late.status).toBe(409);
    expect(late.body.detail).toContain("is rejected");
    await deploy(subject, "completed");
    expect((await get(id)).status).toBe("rejected");
  });

  it("an approved slot may be turned into a rejection while the request is in progress, not decided twice", async () => {
    const { id } = await submitted(["qa", "uat"]);
    await decide(id, "qa", "approved", tokens.qa);
    const again = await decide(id, "qa", "approved", tokens.qa);
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain("already approved");
    const withdrawn = await decide(id, "qa", "rejected", tokens.qa, "Found a regression");
    expect(withdrawn.body).toMatchObject({ status: "rejected" });
  });

  it("refuses decisions on a draft, and submitting twice", async () => {
    const subject = await registeredSubject(t, "shop", "2.0.0");
    const made = await create(subject, ["qa"]);
    const early = await decide(made.body.id, "qa", "approved");
    expect(early.status).toBe(409);
    expect(early.body.detail).toContain("submit it before deciding");
    expect((await t.call("POST", `/deployment-requests/${made.body.id}/submit`)).status).toBe(200);
    const twice = await t.call("POST", `/deployment-requests/${made.body.id}/submit`);
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe("CONFLICT");
  });

  it("cancels from draft, in_progress, approved and rejected; cancelling again is a no-op; never a completed one", async () => {
    const cancel = (id: string) => t.call("POST", `/deployment-requests/${id}/cancel`);
    const draft = await create(await registeredSubject(t, "shop", "2.0.0"), ["qa"]);
    const inProgress = await submitted(["qa"]);
    const approved = await submitted(["qa"]);
    await decide(approved.id, "qa", "approved");
    const rejected = await submitted(["qa"]);
    await decide(rejected.id, "qa", "rejected");
    for (const id of [draft.body.id, inProgress.id, approved.id, rejected.id]) {
      const res = await cancel(id);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: "cancelled", cancelled_at: expect.any(String) });
      const again = await cancel(id);
      expect(again.body).toEqual(res.body);
    }
    // A cancelled approved request is not completed by its deployment.
    await deploy(approved.subject, "completed");
    expect((await get(approved.id)).status).toBe("cancelled");

    const completed = await submitted(["qa"]);
    await decide(completed.id, "qa", "approved");
    await deploy(completed.subject, "completed");
    const refused = await cancel(completed.id);
    expect(refused.status).toBe(409);
    expect((await get(completed.id)).status).toBe("completed");
  });

  it("answers 404 for an unknown request or a slot the request does not have", async () => {
    const { id } = await submitted(["qa"]);
    expect((await t.call("GET", "/deployment-requests/nope")).status).toBe(404);
    expect((await t.call("POST", "/deployment-requests/nope/submit")).status).toBe(404);
    expect((await decide(id, "security", "approved")).status).toBe(404);
    expect((await decide(id, "vibes", "approved")).status).toBe(422);
  });
});

describe("who decides a slot", () => {
  // The hosted product's role → approval-type table, written out.
  const MAY_DECIDE: Record<Role, ApprovalType[]> = {
    admin: [...APPROVAL_TYPES],
    release_manager: [...APPROVAL_TYPES],
    product: ["uat"],
    developer: ["code_review"],
    sre: ["performance"],
    qa: ["qa", "performance"],
    security: ["security"],
    compliance: ["compliance"],
    billing: [],
    viewer: [],
  };

  it("allows each role exactly its types and refuses the rest with 403, leaving the slot pending", async () => {
    for (const role of ROLES) {
      // One request per role: every slot it may decide gets approved, the rest must stay pending.
      const { id } = await submitted([...APPROVAL_TYPES]);
      for (const type of APPROVAL_TYPES) {
        const res = await decide(id, type, "approved", tokens[role]);
        const label = `${role} ${type}: ${JSON.stringify(res.body)}`;
        expect(res.status, label).toBe(MAY_DECIDE[role].includes(type) ? 200 : 403);
      }
      const slots = (await get(id)).slots as Array<{ type: ApprovalType; status: string }>;
      for (const slot of slots) {
        expect(slot.status, `${role} ${slot.type}`).toBe(
          MAY_DECIDE[role].includes(slot.type) ? "approved" : "pending",
        );
      }
    }
  });

  it("refuses API keys, admin ones included", async () => {
    const { id } = await submitted(["qa"]);
    const key = await t.call("POST", "/api-keys", { name: unique("slot-admin"), scope: "admin" });
    const res = await decide(id, "qa", "approved", key.body.token);
    expect(res.status).toBe(403);
    expect(res.body.detail).toContain("deployment_requests.approve");
  });
});

describe("completion by deployment", () => {
  it("completes only the approved request of the same product, version and environment", async () => {
    const { id, subject } = await submitted(["qa"]);
    await decide(id, "qa", "approved");
    const otherEnv = await submitted(["qa"]);
    await decide(otherEnv.id, "qa", "approved");
    const pending = await create(subject, ["qa"]);
    // Same product and version elsewhere, and another version here: neither completes the request.
    await deploy({ ...subject, environment: otherEnv.subject.environment }, "completed");
    await deploy({ ...subject, version: "2.0.1" }, "completed");
    expect((await get(id)).status).toBe("approved");
    await deploy(subject, "failed");
    expect((await get(id)).status).toBe("approved");
    await deploy(subject, "completed");
    expect((await get(id)).status).toBe("completed");
    expect((await get(otherEnv.id)).status).toBe("approved");
    expect((await get(pending.body.id)).status).toBe("draft");
  });

  it("a deployment completed before the approval does not complete the request, even when reported again", async () => {
    const { id, subject } = await submitted(["qa"]);
    const first = await deploy(subject, "completed", { invoke_id: "run-1" });
    expect(first.status).toBe(200);
    await decide(id, "qa", "approved");
    // The same deployment reported completed again changes nothing, so completes nothing.
    expect((await deploy(subject, "completed", { invoke_id: "run-1" })).status).toBe(200);
    expect((await get(id)).status).toBe("approved");
    // A new deployment does.
    await deploy(subject, "completed", { invoke_id: "run-2" });
    expect((await get(id)).status).toBe("completed");
  });

  it("completes once when a batch reports the deployment twice", async () => {
    const { id, subject } = await submitted(["qa"]);
    await decide(id, "qa", "approved");
    const event = {
      product_name: subject.product,
      version: subject.version,
      environment_name: subject.environment,
    };
    const batch = await t.call("POST", "/events/batch", {
      events: [
        { kind: "deployment", event: { ...event, status: "completed", invoke_id: "b-1" } },
        { kind: "deployment", event: { ...event, status: "completed", invoke_id: "b-2" } },
      ],
    });
    expect(batch.status, JSON.stringify(batch.body)).toBe(200);
    const request = await get(id);
    expect(request.status).toBe("completed");
    const audit = await t.call("GET", `/audit-log?target_id=${id}&action=deployment_request.complete`);
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({ actor_type: "system", after: { status: "completed" } });
  });
});

describe("the check rules use", () => {
  it("reports the open request and whether it lets the deployment through", async () => {
    const { id, subject } = await submitted(["qa", "security"]);
    const ids = (await get(id)) as { product_id: string; version_id: string; environment_id: string };
    const check = () =>
      deploymentRequestStatus(
        t.database,
        { productId: ids.product_id, versionId: ids.version_id, environmentId: ids.environment_id },
        ["qa"],
      );
    expect(await check()).toEqual({
      satisfied: false,
      request: { id, status: "in_progress" },
      missing: ["qa"],
    });
    await decide(id, "qa", "approved");
    expect(await check()).toEqual({ satisfied: false, request: { id, status: "in_progress" }, missing: [] });
    await decide(id, "security", "approved");
    expect(await check()).toEqual({ satisfied: true, request: { id, status: "approved" }, missing: [] });
    await deploy(subject, "completed");
    expect(await check()).toEqual({ satisfied: false, request: null, missing: ["qa"] });
  });
});

describe("listing", () => {
  it("filters by status, product and environment, newest first, with pages", async () => {
    const a = await submitted(["qa"]);
    const b = await create(a.subject, ["uat"]);
    const c = await create(a.subject, ["security"]);
    const mine = await t.call("GET", `/deployment-requests?product=${a.subject.product}`);
    expect(mine.body.items.map((r: { id: string }) => r.id)).toEqual([c.body.id, b.body.id, a.id]);
    const drafts = await t.call("GET", `/deployment-requests?product=${a.subject.product}&status=draft`);
    expect(drafts.body.items.map((r: { id: string }) => r.id)).toEqual([c.body.id, b.body.id]);
    const byEnv = await t.call("GET", `/deployment-requests?environment=${a.subject.environment}&limit=2`);
    expect(byEnv.body.items).toHaveLength(2);
    const next = await t.call(
      "GET",
      `/deployment-requests?environment=${a.subject.environment}&limit=2&cursor=${byEnv.body.next_cursor}`,
    );
    expect(next.body).toMatchObject({
      items: [expect.objectContaining({ id: a.id, slots: [expect.anything()] })],
    });
    expect(next.body.next_cursor).toBeNull();
  });
});

describe("deleting the product", () => {
  it("removes its deployment requests, their slots and its version approvals", async () => {
    const { id, subject } = await submitted(["qa"]);
    const { version_id } = await get(id);
    expect((await t.call("POST", `/versions/${version_id}/approvals`, { type: "qa" })).status).toBe(201);
    const deleted = await t.call("DELETE", `/products/${subject.product}?confirm=${subject.product}`);
    expect(deleted.status).toBe(204);
    expect((await t.call("GET", `/deployment-requests/${id}`)).status).toBe(404);
    const left = async (table: string, column: string, value: string) =>
      (
        await t.database.client.execute({
          sql: `SELECT count(*) AS n FROM ${table} WHERE ${column} = ?`,
          args: [value],
        })
      ).rows[0]?.n;
    expect(await left("deployment_request_slots", "request_id", id)).toBe(0);
    expect(await left("version_approvals", "version_id", version_id)).toBe(0);
  });
});

describe("events and notifications", () => {
  let receiver: HttpReceiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());

  it("publishes every deployment_request.* event to a subscribed webhook, with the request and slot", async () => {
    const subject = await registeredSubject(t, "shop", "2.0.0");
    await createChannel(t, {
      kind: "webhook",
      url: receiver.url,
      subscriptions: [{ event_types: ["deployment_request.*"], products: [subject.product] }],
    });
    const made = await create(subject, ["qa"]);
    const id = made.body.id;
    await t.call("POST", `/deployment-requests/${id}/submit`);
    await decide(id, "qa", "approved", tokens.qa, "ok");
    const done = await deploy(subject, "completed");
    const other = await create(subject, ["uat"]);
    await t.call("POST", `/deployment-requests/${other.body.id}/cancel`);
    const rejected = await create(subject, ["uat"]);
    await t.call("POST", `/deployment-requests/${rejected.body.id}/submit`);
    await decide(rejected.body.id, "uat", "rejected", tokens.product, "Copy is wrong");
    await deliverInOrder(t, unique("worker"));
    const received = receiver.received.map((r) => r.json);
    expect(received.map((p) => [p.event_type, p.deployment_request.id === id])).toEqual([
      ["deployment_request.created", true],
      ["deployment_request.submitted", true],
      ["deployment_request.slot_decided", true],
      ["deployment_request.approved", true],
      ["deployment_request.completed", true],
      ["deployment_request.created", false],
      ["deployment_request.cancelled", false],
      ["deployment_request.created", false],
      ["deployment_request.submitted", false],
      ["deployment_request.slot_decided", false],
      ["deployment_request.rejected", false],
    ]);
    const approved = received[3];
    expect(approved).toMatchObject({
      id,
      subject: "deployment_request",
      status: "approved",
      product_name: subject.product,
      version: "2.0.0",
      environment: subject.environment,
      environment_type: "production",
      deployment_request: {
        id,
        name: made.body.name,
        status: "approved",
        slot: { type: "qa", status: "approved", decided_by: expect.stringMatching(/^qa-/), comment: "ok" },
      },
      approval: null,
    });
    expect(received[4]).toMatchObject({
      status: "completed",
      deployment_id: done.body.deployment_id ?? done.body.id,
      deployment_request: { status: "completed", slot: null },
    });
    expect(received[10]).toMatchObject({
      status: "rejected",
      deployment_request: { slot: { status: "rejected", comment: "Copy is wrong" } },
    });
  });
});

describe("atomicity", () => {
  /** The test database behind an app whose bus fails on one event type, as a broken subscriber would. */
  function failingOn(type: string) {
    const bus = new DomainEventBus();
    const seen: DomainEvent[] = [];
    bus.subscribe((event) => {
      seen.push(event);
      if (event.type === type) throw new Error(`${type} subscriber down`);
    });
    const app = createApp({
      database: t.database,
      runtime: t.runtime,
      config: loadConfig({ DATABASE_URL: "file::memory:" }),
      clock: t.clock,
      logger: createLogger("silent"),
      bus,
    });
    const call = (method: string, path: string, body?: object) =>
      app.request(path, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: body ? JSON.stringify(body) : undefined,
      });
    return { call, seen };
  }

  it("writes no request, slot or audit entry when its creation cannot be published", async () => {
    const subject = await registeredSubject(t, "shop", "2.0.0");
    const { call } = failingOn("deployment_request.created");
    const res = await call("POST", "/deployment-requests", { ...subject, approval_types: ["qa", "uat"] });
    expect(res.status).toBe(500);
    const listed = await t.call("GET", `/deployment-requests?product=${subject.product}`);
    expect(listed.body.items).toEqual([]);
    const audit = await t.call("GET", "/audit-log?action=deployment_request.create&limit=500");
    expect(audit.body.items.map((e: { after: { product: string } }) => e.after.product)).not.toContain(
      subject.product,
    );
  });

  it("keeps the slot and the status as they were when a decision cannot be published", async () => {
    const { id } = await submitted(["qa"]);
    const before = await get(id);
    const { call } = failingOn("deployment_request.approved");
    expect((await call("POST", `/deployment-requests/${id}/slots/qa`, { decision: "approved" })).status).toBe(
      500,
    );
    expect(await get(id)).toEqual(before);
    const [slot] = await t.database.db
      .select()
      .from(deploymentRequestSlots)
      .where(eq(deploymentRequestSlots.request_id, id));
    expect(slot?.status).toBe("pending");
  });

  it("records neither the deployment nor the completion when completing the request fails", async () => {
    const { id, subject } = await submitted(["qa"]);
    await decide(id, "qa", "approved");
    const { call, seen } = failingOn("deployment_request.completed");
    const res = await call("POST", "/deployment-events", {
      product_name: subject.product,
      version: subject.version,
      environment_name: subject.environment,
      status: "completed",
    });
    expect(res.status).toBe(500);
    expect(seen.map((e) => e.type)).toContain("deployment_request.completed");
    const [row] = await t.database.db.select().from(deploymentRequests).where(eq(deploymentRequests.id, id));
    expect(row).toMatchObject({ status: "approved", completed_at: null });
    const recorded = await t.database.db
      .select()
      .from(deployments)
      .where(eq(deployments.version_id, row?.version_id ?? ""));
    expect(recorded).toEqual([]);
  });
});
