import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROLES, type Role } from "../auth/capabilities.ts";
import { loadConfig } from "../config.ts";
import { versionApprovals } from "../db/schema/index.ts";
import { DomainEventBus } from "../events/domain-events.ts";
import { createApp } from "../http/app.ts";
import { createLogger } from "../logger.ts";
import { type HttpReceiver, startReceiver } from "../testing/http-receiver.ts";
import { createChannel, testWorker } from "../testing/notification-fixtures.ts";
import { roleTokens } from "../testing/role-tokens.ts";
import { ADMIN_TOKEN, createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { APPROVAL_TYPES, type ApprovalType } from "./approval-types.ts";

let t: TestApp;
let tokens: Record<Role, string>;
beforeAll(async () => {
  t = await createTestApp({ VERSIONER_ALLOW_PRIVATE_WEBHOOKS: "true" });
  tokens = await roleTokens(t);
}, 60_000);
afterAll(() => t.close());

/** A new product with one built version; returns the version id and product name. */
async function newVersion(): Promise<{ id: string; product: string }> {
  const product = unique("app");
  const built = await t.call("POST", "/build-events", {
    product_name: product,
    version: "1.0.0",
    status: "completed",
  });
  expect(built.status).toBe(200);
  return { id: built.body.version_id, product };
}

async function newEnvironment(): Promise<string> {
  const name = unique("staging");
  expect((await t.call("POST", "/environments", { name, type: "staging" })).status).toBe(201);
  return name;
}

const approve = (versionId: string, body: object, token = ADMIN_TOKEN) =>
  t.call("POST", `/versions/${versionId}/approvals`, body, { token });

// The hosted product's role → approval-type table, written out (not derived from the code under test).
const MAY_APPROVE: Record<Role, ApprovalType[]> = {
  admin: [...APPROVAL_TYPES],
  release_manager: [...APPROVAL_TYPES],
  product: ["uat"],
  developer: [], // decides code_review slots of deployment requests, but holds no versions.approve
  sre: ["performance"],
  qa: ["qa", "performance"],
  security: ["security"],
  compliance: ["compliance"],
  billing: [],
  viewer: [],
};

describe("who may approve a version", () => {
  it("allows each role exactly its approval types and refuses the rest with 403", async () => {
    const { id } = await newVersion();
    for (const role of ROLES) {
      for (const type of APPROVAL_TYPES) {
        const res = await approve(id, { type }, tokens[role]);
        const label = `${role} ${type}: ${JSON.stringify(res.body)}`;
        if (MAY_APPROVE[role].includes(type)) {
          expect(res.status, label).toBe(201);
          expect(res.body, label).toMatchObject({ type, decision: "approved", approver_role: role });
        } else {
          expect(res.status, label).toBe(403);
          expect(res.body.code, label).toBe("FORBIDDEN");
        }
      }
    }
    const allowed = ROLES.flatMap((role) => MAY_APPROVE[role]).length;
    expect((await t.call("GET", `/versions/${id}/approvals`)).body.items).toHaveLength(allowed);
  });

  it("says which types a role may decide, and names the capability for roles without it", async () => {
    const { id } = await newVersion();
    const qa = await approve(id, { type: "security" }, tokens.qa);
    expect(qa.body.detail).toBe(
      "The role 'qa' may not decide 'security' approvals (it may decide: qa, performance)",
    );
    const viewer = await approve(id, { type: "qa" }, tokens.viewer);
    expect(viewer.body.detail).toContain("versions.approve");
  });

  it("refuses every API key, admin keys included: an approval names a person", async () => {
    const { id } = await newVersion();
    for (const scope of ["admin", "ingest", "read"]) {
      const key = await t.call("POST", "/api-keys", { name: unique(`approve-${scope}`), scope });
      const res = await approve(id, { type: "qa" }, key.body.token);
      expect(res.status, scope).toBe(403);
      expect(res.body.detail).toContain("versions.approve");
    }
    expect((await t.call("GET", `/versions/${id}/approvals`)).body.items).toEqual([]);
  });
});

describe("recording approvals", () => {
  it("records approvals and rejections with who, when, comment and environment, oldest first", async () => {
    const { id, product } = await newVersion();
    const staging = await newEnvironment();
    const first = await approve(
      id,
      { type: "qa", environment: staging, comment: "Regression suite green" },
      tokens.qa,
    );
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      id: expect.any(String),
      version_id: id,
      type: "qa",
      decision: "approved",
      environment: staging,
      comment: "Regression suite green",
      approved_by: expect.stringMatching(/^qa-.*@roles\.test$/),
      approver_role: "qa",
      created_at: expect.any(String),
    });
    const rejected = await approve(
      id,
      { type: "qa", decision: "rejected", comment: "Flaky login" },
      tokens.qa,
    );
    expect(rejected.status).toBe(201);
    expect(rejected.body).toMatchObject({ decision: "rejected", environment: null, comment: "Flaky login" });

    const listed = await t.call("GET", `/versions/${id}/approvals`, undefined, { token: tokens.viewer });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((a: { decision: string }) => a.decision)).toEqual(["approved", "rejected"]);
    // Listed on the version itself too.
    const version = await t.call("GET", `/versions/${id}`);
    expect(version.body.approvals).toEqual(listed.body.items);
    expect(version.body.product_name).toBe(product);
  });

  it("writes an audit entry for each decision", async () => {
    const { id, product } = await newVersion();
    const made = await approve(id, { type: "security", decision: "rejected" }, tokens.security);
    const audit = await t.call("GET", `/audit-log?target_id=${id}`);
    expect(audit.body.items).toEqual([
      expect.objectContaining({
        action: "version.reject",
        actor_name: expect.stringMatching(/^security-.*@roles\.test$/),
        target_type: "version",
        target_name: `${product} 1.0.0`,
        after: expect.objectContaining({ id: made.body.id, type: "security", decision: "rejected" }),
      }),
    ]);
  });

  it("answers a clear error for an unknown version, environment, type or decision", async () => {
    const { id } = await newVersion();
    const unknownVersion = await approve("no-such-version", { type: "qa" });
    expect(unknownVersion.status).toBe(404);
    expect((await t.call("GET", "/versions/no-such-version/approvals")).status).toBe(404);
    const unknownEnv = await approve(id, { type: "qa", environment: "nowhere" });
    expect(unknownEnv.status).toBe(422);
    expect(unknownEnv.body.detail).toEqual([
      expect.objectContaining({ loc: ["body", "environment"], msg: "Unknown environment 'nowhere'" }),
    ]);
    const badType = await approve(id, { type: "vibes" });
    expect(badType.status).toBe(422);
    expect(badType.body.detail[0].loc).toEqual(["body", "type"]);
    const badDecision = await approve(id, { type: "qa", decision: "maybe" });
    expect(badDecision.body.detail[0].loc).toEqual(["body", "decision"]);
    expect((await t.call("GET", `/versions/${id}/approvals`)).body.items).toEqual([]);
  });
});

describe("approval notifications", () => {
  let receiver: HttpReceiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());

  it("sends version.approved and version.rejected with the decision to a subscribed webhook", async () => {
    const { id, product } = await newVersion();
    const staging = await newEnvironment();
    await createChannel(t, {
      kind: "webhook",
      url: receiver.url,
      subscriptions: [{ event_types: ["version.*"], products: [product] }],
    });
    await approve(id, { type: "uat", environment: staging, comment: "Looks right" }, tokens.product);
    await approve(id, { type: "uat", decision: "rejected" }, tokens.product);
    await testWorker(t, unique("worker")).runOnce();
    // The worker sends concurrently: the collector promises no order between two events' deliveries.
    expect(receiver.received.map((r) => r.headers["x-versioner-event"]).sort()).toEqual([
      "version.approved",
      "version.rejected",
    ]);
    const sent = (event: string) =>
      receiver.received.find((r) => r.headers["x-versioner-event"] === event)?.json;
    const [approved, rejected] = [sent("version.approved"), sent("version.rejected")];
    expect(approved).toMatchObject({
      id,
      subject: "version",
      event_type: "version.approved",
      status: "approved",
      product_name: product,
      version: "1.0.0",
      version_id: id,
      environment: staging,
      is_successful: null,
      approval: {
        type: "uat",
        decision: "approved",
        environment: staging,
        comment: "Looks right",
        approved_by: expect.stringMatching(/^product-.*@roles\.test$/),
        approver_role: "product",
      },
      deployment_request: null,
    });
    expect(rejected).toMatchObject({
      status: "rejected",
      environment: null,
      approval: { decision: "rejected" },
    });
  });
});

describe("atomicity", () => {
  it("writes nothing (approval, audit entry) when publishing the event fails", async () => {
    const { id } = await newVersion();
    const bus = new DomainEventBus();
    bus.subscribe((event) => {
      if (event.type === "version.approved") throw new Error("subscriber down");
    });
    const app = createApp({
      database: t.database,
      runtime: t.runtime,
      config: loadConfig({ DATABASE_URL: "file::memory:" }),
      clock: t.clock,
      logger: createLogger("silent"),
      bus,
    });
    const res = await app.request(`/versions/${id}/approvals`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ type: "qa" }),
    });
    expect(res.status).toBe(500);
    expect(await t.database.db.select().from(versionApprovals)).not.toContainEqual(
      expect.objectContaining({ version_id: id }),
    );
    expect((await t.call("GET", `/audit-log?target_id=${id}`)).body.items).toEqual([]);
  });
});
