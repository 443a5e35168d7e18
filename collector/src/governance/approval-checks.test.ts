import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  deploymentRequestSlots,
  deploymentRequests,
  environments,
  products,
  versionApprovals,
  versions,
} from "../db/schema/index.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { deploymentRequestStatus, versionApprovalStatus } from "./approval-checks.ts";
import type { ApprovalType } from "./approval-types.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const at = (minute: number) => `2026-03-01T10:${String(minute).padStart(2, "0")}:00.000Z`;

async function subject() {
  const now = at(0);
  const productId = randomUUID();
  const versionId = randomUUID();
  const db = t.database.db;
  await db.insert(products).values({
    id: productId,
    name: unique("p"),
    extra_metadata: {},
    created_at: now,
    updated_at: now,
  });
  await db.insert(versions).values({
    id: versionId,
    product_id: productId,
    version: "1.0.0",
    extra_metadata: {},
    created_at: now,
    updated_at: now,
  });
  const envs: string[] = [];
  for (const name of ["staging", "production"]) {
    const id = randomUUID();
    envs.push(id);
    await db.insert(environments).values({
      id,
      name: unique(name),
      type: name,
      metadata: {},
      sort_order: 0,
      created_at: now,
      updated_at: now,
    });
  }
  const [staging, production] = envs as [string, string];
  return { productId, versionId, staging, production };
}

type Subject = Awaited<ReturnType<typeof subject>>;

function decide(
  s: Subject,
  type: ApprovalType,
  decision: "approved" | "rejected",
  minute: number,
  environmentId: string | null = null,
) {
  return t.database.db.insert(versionApprovals).values({
    id: randomUUID(),
    product_id: s.productId,
    version_id: s.versionId,
    type,
    decision,
    environment_id: environmentId,
    comment: null,
    approved_by_id: "u1",
    approved_by: "Ada",
    approver_role: "admin",
    created_at: at(minute),
  });
}

const target = (s: Subject) => ({
  productId: s.productId,
  versionId: s.versionId,
  environmentId: s.production,
});

describe("versionApprovalStatus", () => {
  it("is unsatisfied with nothing recorded, and for an unknown version", async () => {
    const s = await subject();
    expect(await versionApprovalStatus(t.database, target(s), ["qa"])).toEqual({
      satisfied: false,
      missing: ["qa"],
      current: [],
      rejected: [],
    });
    expect(
      await versionApprovalStatus(t.database, { ...target(s), versionId: null }, ["qa", "security"]),
    ).toMatchObject({ satisfied: false, missing: ["qa", "security"] });
    expect(await versionApprovalStatus(t.database, target(s), [])).toMatchObject({ satisfied: true });
  });

  it("counts approvals, and a later rejection of the same type takes one back", async () => {
    const s = await subject();
    await decide(s, "qa", "approved", 1);
    await decide(s, "security", "approved", 2);
    await decide(s, "security", "rejected", 3);
    const status = await versionApprovalStatus(t.database, target(s), ["qa", "security"]);
    expect(status).toEqual({
      satisfied: false,
      missing: ["security"],
      current: ["qa"],
      rejected: ["security"],
    });
    await decide(s, "security", "approved", 4);
    expect(await versionApprovalStatus(t.database, target(s), ["qa", "security"])).toEqual({
      satisfied: true,
      missing: [],
      current: ["qa", "security"],
      rejected: [],
    });
  });

  it("orders decisions made in the same instant by insertion", async () => {
    const s = await subject();
    await decide(s, "uat", "approved", 5);
    await decide(s, "uat", "rejected", 5);
    expect(await versionApprovalStatus(t.database, target(s), ["uat"])).toMatchObject({
      satisfied: false,
      rejected: ["uat"],
    });
  });

  it("with a prerequisite environment counts only approvals granted there", async () => {
    const s = await subject();
    await decide(s, "qa", "approved", 1, null);
    await decide(s, "uat", "approved", 2, s.production);
    expect(await versionApprovalStatus(t.database, target(s), ["qa", "uat"], s.staging)).toEqual({
      satisfied: false,
      missing: ["qa", "uat"],
      current: [],
      rejected: [],
    });
    await decide(s, "qa", "approved", 3, s.staging);
    expect(await versionApprovalStatus(t.database, target(s), ["qa"], s.staging)).toMatchObject({
      satisfied: true,
      current: ["qa"],
    });
    // Without a prerequisite, an approval anywhere counts.
    expect(await versionApprovalStatus(t.database, target(s), ["qa", "uat"])).toMatchObject({
      satisfied: true,
    });
  });

  it("a rejection without environment counts everywhere, one for another environment does not", async () => {
    const s = await subject();
    await decide(s, "qa", "approved", 1, s.staging);
    await decide(s, "qa", "rejected", 2, s.production);
    expect(await versionApprovalStatus(t.database, target(s), ["qa"], s.staging)).toMatchObject({
      satisfied: true,
    });
    await decide(s, "qa", "rejected", 3, null);
    expect(await versionApprovalStatus(t.database, target(s), ["qa"], s.staging)).toMatchObject({
      satisfied: false,
      rejected: ["qa"],
    });
  });
});

async function request(
  s: Subject,
  status: string,
  minute: number,
  slots: Array<[ApprovalType, "pending" | "approved" | "rejected"]>,
  environmentId = s.production,
) {
  const id = randomUUID();
  await t.database.db.insert(deploymentRequests).values({
    id,
    name: "r",
    product_id: s.productId,
    version_id: s.versionId,
    environment_id: environmentId,
    status,
    created_by_id: "u1",
    created_by: "Ada",
    created_at: at(minute),
    updated_at: at(minute),
  });
  for (const [type, slotStatus] of slots) {
    await t.database.db.insert(deploymentRequestSlots).values({ request_id: id, type, status: slotStatus });
  }
  return id;
}

describe("deploymentRequestStatus", () => {
  it("is unsatisfied without a request, or without a version or environment", async () => {
    const s = await subject();
    expect(await deploymentRequestStatus(t.database, target(s), ["qa"])).toEqual({
      satisfied: false,
      request: null,
      missing: ["qa"],
    });
    await request(s, "approved", 1, [["qa", "approved"]]);
    expect(
      await deploymentRequestStatus(t.database, { ...target(s), environmentId: null }, []),
    ).toMatchObject({ request: null, satisfied: false });
  });

  it("is satisfied by the newest open approved request holding every required type", async () => {
    const s = await subject();
    const id = await request(s, "approved", 1, [
      ["qa", "approved"],
      ["security", "approved"],
    ]);
    expect(await deploymentRequestStatus(t.database, target(s), ["qa"])).toEqual({
      satisfied: true,
      request: { id, status: "approved" },
      missing: [],
    });
    expect(await deploymentRequestStatus(t.database, target(s), [])).toMatchObject({ satisfied: true });
    expect(await deploymentRequestStatus(t.database, target(s), ["qa", "uat"])).toMatchObject({
      satisfied: false,
      missing: ["uat"],
    });
  });

  it("skips completed and cancelled requests and other environments; a newer in-progress one wins", async () => {
    const s = await subject();
    await request(s, "completed", 1, [["qa", "approved"]]);
    await request(s, "cancelled", 2, [["qa", "approved"]]);
    await request(s, "approved", 3, [["qa", "approved"]], s.staging);
    expect(await deploymentRequestStatus(t.database, target(s), ["qa"])).toMatchObject({ request: null });
    await request(s, "approved", 4, [["qa", "approved"]]);
    const newer = await request(s, "in_progress", 5, [["qa", "pending"]]);
    expect(await deploymentRequestStatus(t.database, target(s), ["qa"])).toEqual({
      satisfied: false,
      request: { id: newer, status: "in_progress" },
      missing: ["qa"],
    });
  });

  it("a rejected request is not satisfied", async () => {
    const s = await subject();
    await request(s, "rejected", 1, [
      ["qa", "approved"],
      ["uat", "rejected"],
    ]);
    expect(await deploymentRequestStatus(t.database, target(s), ["qa"])).toMatchObject({
      satisfied: false,
      request: { status: "rejected" },
      missing: [],
    });
  });
});
