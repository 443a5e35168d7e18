import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../auth/capabilities.ts";
import { roleTokens } from "../testing/role-tokens.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

// The approval and request routes and the rules that read them, together over HTTP.
let t: TestApp;
let tokens: Record<Role, string>;
beforeAll(async () => {
  t = await createTestApp();
  tokens = await roleTokens(t, ["qa", "security", "product"]);
}, 60_000);
afterAll(() => t.close());

async function setUp(type: string, settings: (staging: string) => object) {
  const product = unique("guarded");
  const production = unique("production");
  const staging = unique("staging");
  for (const name of [staging, production]) {
    expect((await t.call("POST", "/environments", { name })).status).toBe(201);
  }
  const built = await t.call("POST", "/build-events", {
    product_name: product,
    version: "3.1.0",
    status: "completed",
  });
  const rule = await t.call("POST", "/rules", {
    name: unique("rule"),
    type,
    scope: { products: [product], environments: [production] },
    settings: settings(staging),
  });
  expect(rule.status, JSON.stringify(rule.body)).toBe(201);
  const deploy = (status: string, environment = production) =>
    t.call("POST", "/deployment-events", {
      product_name: product,
      version: "3.1.0",
      environment_name: environment,
      status,
    });
  return { product, production, staging, versionId: built.body.version_id as string, deploy };
}

describe("version approval rules over the approvals API", () => {
  it("block until the required types are approved where the rule asks, and again after a rejection", async () => {
    const s = await setUp("version_approval", (staging) => ({
      required_types: ["qa", "security"],
      prerequisite_environment: staging,
    }));
    const approve = (token: string, body: object) =>
      t.call("POST", `/versions/${s.versionId}/approvals`, body, { token });
    const blocked = await s.deploy("started");
    expect(blocked.status).toBe(428);
    expect(blocked.body.code).toBe("QUALITY_APPROVAL_REQUIRED");
    expect(blocked.body.detail.details.missing_approvals).toEqual(["qa", "security"]);

    // Approvals without an environment do not count where the rule asks for staging.
    await approve(tokens.qa, { type: "qa" });
    expect((await s.deploy("started")).body.detail.details.missing_approvals).toEqual(["qa", "security"]);
    await approve(tokens.qa, { type: "qa", environment: s.staging });
    await approve(tokens.security, { type: "security", environment: s.staging });
    await approve(tokens.security, { type: "security", decision: "rejected", comment: "CVE" });
    const rejected = await s.deploy("started");
    expect(rejected.status).toBe(428);
    expect(rejected.body.detail.details).toMatchObject({
      current_approvals: ["qa"],
      missing_approvals: ["security"],
      rejected_approvals: ["security"],
    });

    await approve(tokens.security, { type: "security", environment: s.staging, comment: "Patched" });
    expect((await s.deploy("started")).status).toBe(200);
  });
});

describe("deployment request rules over the requests API", () => {
  it("block until a request is approved; the deployment completes it, and the next one needs a new request", async () => {
    const s = await setUp("deployment_request", () => ({ required_types: ["uat"] }));
    const none = await s.deploy("started");
    expect(none.status).toBe(428);
    expect(none.body.code).toBe("APPROVAL_REQUIRED");

    const made = await t.call("POST", "/deployment-requests", {
      product: s.product,
      version: "3.1.0",
      environment: s.production,
      approval_types: ["uat", "qa"],
    });
    const id = made.body.id;
    const draft = await s.deploy("started");
    expect(draft.status).toBe(428);
    expect(draft.body.detail.details).toMatchObject({
      deployment_request_id: id,
      deployment_request_status: "draft",
    });

    await t.call("POST", `/deployment-requests/${id}/submit`);
    await t.call(
      "POST",
      `/deployment-requests/${id}/slots/uat`,
      { decision: "approved" },
      { token: tokens.product },
    );
    // uat is all the rule asks for, but the request is approved only once every slot is.
    const half = await s.deploy("started");
    expect(half.status).toBe(428);
    expect(half.body.detail.details).toMatchObject({
      deployment_request_status: "in_progress",
      missing_approvals: [],
    });
    await t.call(
      "POST",
      `/deployment-requests/${id}/slots/qa`,
      { decision: "approved" },
      { token: tokens.qa },
    );

    expect((await s.deploy("started")).status).toBe(200);
    // Deploying elsewhere completes nothing; the finishing event of the admitted deployment is never blocked.
    await s.deploy("completed", s.staging);
    expect((await t.call("GET", `/deployment-requests/${id}`)).body.status).toBe("approved");
    const done = await s.deploy("completed");
    expect(done.status).toBe(200);
    expect((await t.call("GET", `/deployment-requests/${id}`)).body).toMatchObject({
      status: "completed",
      completed_by_deployment_id: done.body.id,
    });

    const again = await s.deploy("started");
    expect(again.status).toBe(428);
    expect(again.body.detail.details.deployment_request_id).toBeNull();
  });
});
