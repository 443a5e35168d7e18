import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CAPABILITIES, type Principal } from "../auth/capabilities.ts";
import type { Db } from "../db/client.ts";
import { deploymentRequests } from "../db/schema/index.ts";
import { ValidationError } from "../errors.ts";
import { DomainEventBus } from "../events/domain-events.ts";
import { type GovernanceSubject, registeredSubject } from "../testing/governance-fixtures.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import type { ApprovalType } from "./approval-types.ts";
import {
  createDeploymentRequest,
  decideSlot,
  submitDeploymentRequest,
} from "./deployment-requests-service.ts";

// Deployment requests: the exact refusals of each transition, the audit trail of every step, the
// events a decision publishes, and the system's completion entry (docs/governance.md).

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
}, 60_000);
afterAll(() => t.close());

async function create(subject: GovernanceSubject, types: ApprovalType[]) {
  const made = await t.call("POST", "/deployment-requests", { ...subject, approval_types: types });
  expect(made.status).toBe(201);
  return made.body as {
    id: string;
    name: string;
    product_id: string;
    version_id: string;
    environment_id: string;
  };
}

async function submitted(types: ApprovalType[]) {
  const subject = await registeredSubject(t, "dr");
  const made = await create(subject, types);
  expect((await t.call("POST", `/deployment-requests/${made.id}/submit`)).status).toBe(200);
  return { ...made, subject };
}

const decide = (id: string, type: string, decision: string) =>
  t.call("POST", `/deployment-requests/${id}/slots/${type}`, { decision });

const deploy = (subject: GovernanceSubject, status: string, extra: object = {}) =>
  t.call("POST", "/deployment-events", {
    product_name: subject.product,
    version: subject.version,
    environment_name: subject.environment,
    status,
    ...extra,
  });

async function auditOf(id: string, action: string) {
  const res = await t.call("GET", `/audit-log?target_id=${id}&action=deployment_request.${action}`);
  expect(res.status).toBe(200);
  return res.body.items;
}

const admin: Principal = {
  kind: "user",
  id: "pinned-admin",
  name: "pinned-admin@example.com",
  role: "admin",
  capabilities: new Set(CAPABILITIES),
};
const actor = { principal: admin, requestId: "dr-pinned" };

/** Service deps with a bus of their own, recording the types of the events published. */
function recorded() {
  const bus = new DomainEventBus();
  const types: string[] = [];
  bus.subscribe((event) => {
    types.push(event.type);
  });
  return { deps: { database: t.database, clock: t.clock, bus }, types };
}

describe("refusals, message by message", () => {
  it("an unknown request is a 404 naming its id", async () => {
    const res = await t.call("GET", "/deployment-requests/no-such-request");
    expect(res.status).toBe(404);
    expect(res.body.detail).toBe("Deployment request 'no-such-request' not found");
  });

  it("an unknown product or version is a 422 naming the value", async () => {
    const subject = await registeredSubject(t, "dr");
    const product = await t.call("POST", "/deployment-requests", {
      ...subject,
      product: "no-such-product",
      approval_types: ["qa"],
    });
    expect(product.status).toBe(422);
    expect(product.body.detail).toEqual([
      expect.objectContaining({ loc: ["body", "product"], msg: "Unknown product 'no-such-product'" }),
    ]);
    const version = await t.call("POST", "/deployment-requests", {
      ...subject,
      version: "9.9.9",
      approval_types: ["qa"],
    });
    expect(version.status).toBe(422);
    expect(version.body.detail).toEqual([
      expect.objectContaining({
        loc: ["body", "version"],
        msg: `Unknown version '9.9.9' of '${subject.product}'`,
      }),
    ]);
  });

  it("a failing database is not reported as an unknown product", async () => {
    const subject = await registeredSubject(t, "dr");
    const broken = new Proxy(t.database.db, {
      get(target, property) {
        if (property === "select")
          return () => {
            throw new Error("disk I/O error");
          };
        return Reflect.get(target, property);
      },
    }) as Db;
    const { deps } = recorded();
    const made = createDeploymentRequest({ ...deps, database: { ...t.database, db: broken } }, actor, {
      ...subject,
      approval_types: ["qa"],
    });
    await expect(made).rejects.toThrow("disk I/O error");
    await expect(made).rejects.not.toBeInstanceOf(ValidationError);
  });

  it("submitting twice, cancelling a completed request, deciding a closed one or a missing slot", async () => {
    const request = await submitted(["qa", "uat"]);
    const again = await t.call("POST", `/deployment-requests/${request.id}/submit`);
    expect(again.status).toBe(409);
    expect(again.body.detail).toBe(
      `Deployment request '${request.name}' is in_progress: only a draft can be submitted`,
    );
    const missing = await decide(request.id, "security", "approved");
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toBe(
      `Approval slot 'security' of deployment request '${request.name}' not found`,
    );
    expect((await decide(request.id, "qa", "approved")).status).toBe(200);
    const twice = await decide(request.id, "qa", "approved");
    expect(twice.status).toBe(409);
    expect(twice.body.detail).toBe("The 'qa' slot is already approved (by admin@localhost)");
    expect((await decide(request.id, "uat", "approved")).status).toBe(200);
    const closed = await decide(request.id, "qa", "rejected");
    expect(closed.status).toBe(409);
    expect(closed.body.detail).toBe(
      `Deployment request '${request.name}' is approved: its slots can no longer be decided`,
    );
    expect((await deploy(request.subject, "completed")).status).toBe(200);
    const cancel = await t.call("POST", `/deployment-requests/${request.id}/cancel`);
    expect(cancel.status).toBe(409);
    expect(cancel.body.detail).toBe(
      `Deployment request '${request.name}' is completed: a completed request cannot be cancelled`,
    );
  });
});

describe("the audit trail", () => {
  it("records create, submit, each slot decision and cancel with the request before and after", async () => {
    const subject = await registeredSubject(t, "dr");
    const made = await create(subject, ["qa", "uat"]);
    const [created] = await auditOf(made.id, "create");
    expect(created).toMatchObject({
      action: "deployment_request.create",
      target_type: "deployment_request",
      target_name: made.name,
      before: null,
      after: { id: made.id, status: "draft" },
    });
    await t.call("POST", `/deployment-requests/${made.id}/submit`);
    expect(await auditOf(made.id, "submit")).toEqual([
      expect.objectContaining({
        target_type: "deployment_request",
        before: expect.objectContaining({ status: "draft", submitted_at: null }),
        after: expect.objectContaining({ status: "in_progress", submitted_at: expect.any(String) }),
      }),
    ]);
    await decide(made.id, "qa", "approved");
    await decide(made.id, "uat", "rejected");
    expect(
      (await auditOf(made.id, "approve_slot")).map((e: { after: { status: string } }) => e.after.status),
    ).toEqual(["in_progress"]);
    expect(
      (await auditOf(made.id, "reject_slot")).map((e: { after: { status: string } }) => e.after.status),
    ).toEqual(["rejected"]);
    await t.call("POST", `/deployment-requests/${made.id}/cancel`);
    expect(await auditOf(made.id, "cancel")).toEqual([
      expect.objectContaining({
        before: expect.objectContaining({ status: "rejected" }),
        after: expect.objectContaining({ status: "cancelled" }),
      }),
    ]);
  });

  it("the completion is the system's, under the deployment's request id", async () => {
    const request = await submitted(["qa"]);
    await decide(request.id, "qa", "approved");
    const done = await deploy(request.subject, "completed");
    expect(done.status).toBe(200);
    const deploymentId = done.body.deployment_id ?? done.body.id;
    expect(await auditOf(request.id, "complete")).toEqual([
      expect.objectContaining({
        actor_type: "system",
        target_type: "deployment_request",
        target_name: request.name,
        request_id: `deployment:${deploymentId}`,
        after: expect.objectContaining({ status: "completed", completed_by_deployment_id: deploymentId }),
      }),
    ]);
  });
});

describe("events of a slot decision", () => {
  it("a decision that leaves slots pending publishes slot_decided alone; the last approval adds approved", async () => {
    const subject = await registeredSubject(t, "dr");
    const made = await create(subject, ["qa", "uat"]);
    const { deps, types } = recorded();
    await submitDeploymentRequest(deps, actor, made.id);
    await decideSlot(deps, actor, made.id, "qa", { decision: "approved" });
    await decideSlot(deps, actor, made.id, "uat", { decision: "approved" });
    expect(types).toEqual([
      "deployment_request.submitted",
      "deployment_request.slot_decided",
      "deployment_request.slot_decided",
      "deployment_request.approved",
    ]);
  });

  it("a rejection publishes slot_decided and rejected", async () => {
    const subject = await registeredSubject(t, "dr");
    const made = await create(subject, ["qa", "uat"]);
    const { deps, types } = recorded();
    await submitDeploymentRequest(deps, actor, made.id);
    await decideSlot(deps, actor, made.id, "uat", { decision: "rejected" });
    expect(types).toEqual([
      "deployment_request.submitted",
      "deployment_request.slot_decided",
      "deployment_request.rejected",
    ]);
  });
});

describe("listing and reading", () => {
  it("the environment filter alone lists only that environment's requests", async () => {
    const a = await registeredSubject(t, "dr");
    const b = await registeredSubject(t, "dr");
    const inA = await create(a, ["qa"]);
    await create(b, ["qa"]);
    const listed = await t.call("GET", `/deployment-requests?environment=${a.environment}`);
    expect(listed.body.items.map((r: { id: string }) => r.id)).toEqual([inA.id]);
    const byId = await t.call("GET", `/deployment-requests?environment=${inA.environment_id}`);
    expect(byId.body.items.map((r: { id: string }) => r.id)).toEqual([inA.id]);
  });

  it("a request whose slots are gone reads, lists and completes with no slots", async () => {
    const subject = await registeredSubject(t, "dr");
    const template = await create(subject, ["qa"]);
    const now = t.clock.now().toISOString();
    const id = crypto.randomUUID();
    await t.database.db.insert(deploymentRequests).values({
      id,
      name: unique("slotless"),
      description: null,
      product_id: template.product_id,
      version_id: template.version_id,
      environment_id: template.environment_id,
      status: "approved",
      created_by_id: "someone",
      created_by: "someone",
      submitted_at: now,
      decided_at: now,
      completed_at: null,
      completed_by_deployment_id: null,
      cancelled_at: null,
      created_at: now,
      updated_at: now,
    });
    expect((await t.call("GET", `/deployment-requests/${id}`)).body.slots).toEqual([]);
    const listed = await t.call("GET", `/deployment-requests?product=${subject.product}&status=approved`);
    expect(listed.body.items.map((r: { id: string; slots: unknown[] }) => [r.id, r.slots])).toEqual([
      [id, []],
    ]);
    expect((await deploy(subject, "completed")).status).toBe(200);
    const [row] = await t.database.db.select().from(deploymentRequests).where(eq(deploymentRequests.id, id));
    expect(row?.status).toBe("completed");
    expect((await auditOf(id, "complete"))[0].after.slots).toEqual([]);
  });
});

describe("completion", () => {
  it("a late report of a run that completed before the approval completes nothing", async () => {
    const request = await submitted(["qa"]);
    expect((await deploy(request.subject, "completed", { invoke_id: "late-run" })).status).toBe(200);
    await decide(request.id, "qa", "approved");
    expect((await deploy(request.subject, "started", { invoke_id: "late-run" })).status).toBe(200);
    expect((await t.call("GET", `/deployment-requests/${request.id}`)).body.status).toBe("approved");
  });
});
