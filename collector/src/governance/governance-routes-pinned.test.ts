import { afterEach, describe, expect, it } from "vitest";
import { registeredSubject } from "../testing/governance-fixtures.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

// Every governance route answers through its handler with its status. Each test builds its own app,
// so the routes are registered while the test runs: an app built before all tests would keep the
// handlers it was built with, and a failure to build it would skip the tests instead of failing them.

let t: TestApp;
afterEach(() => t?.close());

async function freshApp() {
  t = await createTestApp();
  return t.call;
}

describe("governance routes", () => {
  it("rules: list, create, get, update, delete", async () => {
    const call = await freshApp();
    const name = unique("routes-rule");
    const created = await call("POST", "/rules", { name, type: "concurrency" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name, type: "concurrency", mode: "enabled" });
    const listed = await call("GET", "/rules");
    expect(listed.status).toBe(200);
    expect(listed.body.items).toContainEqual(created.body);
    const got = await call("GET", `/rules/${created.body.id}`);
    expect(got).toMatchObject({ status: 200, body: created.body });
    const updated = await call("PATCH", `/rules/${created.body.id}`, { mode: "report_only" });
    expect(updated.status).toBe(200);
    expect(updated.body.mode).toBe("report_only");
    expect((await call("DELETE", `/rules/${created.body.id}`)).status).toBe(204);
    expect((await call("GET", `/rules/${created.body.id}`)).status).toBe(404);
  });

  it("locks: lock, list, unlock", async () => {
    const call = await freshApp();
    const { environment } = await registeredSubject(t, "routes");
    const locked = await call("POST", `/environments/${environment}/lock`, { reason: "routes" });
    expect(locked.status).toBe(201);
    expect(locked.body).toMatchObject({ environment, product: null, reason: "routes" });
    const listed = await call("GET", "/locks");
    expect(listed.status).toBe(200);
    expect(listed.body.items).toContainEqual(locked.body);
    expect((await call("DELETE", `/environments/${environment}/lock`)).status).toBe(204);
    expect((await call("GET", "/locks")).body.items).not.toContainEqual(locked.body);
  });

  it("preflight: a dry run and the list of refused deployments", async () => {
    const call = await freshApp();
    const { product, version, environment } = await registeredSubject(t, "routes");
    expect((await call("POST", `/environments/${environment}/lock`, { reason: "freeze" })).status).toBe(201);
    const check = await call("POST", "/preflight", {
      product_name: product,
      version,
      environment_name: environment,
    });
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({ allowed: false });
    const failures = await call("GET", "/preflight-failures");
    expect(failures.status).toBe(200);
    expect(failures.body).toHaveProperty("items");
  });

  it("approvals: record and list a version's approvals", async () => {
    const call = await freshApp();
    const { versionId } = await registeredSubject(t, "routes");
    const made = await call("POST", `/versions/${versionId}/approvals`, { type: "qa", decision: "approved" });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ type: "qa", decision: "approved" });
    const listed = await call("GET", `/versions/${versionId}/approvals`);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([made.body]);
  });

  it("deployment requests: create, list, get, submit, decide, cancel", async () => {
    const call = await freshApp();
    const { product, version, environment } = await registeredSubject(t, "routes");
    const made = await call("POST", "/deployment-requests", {
      product,
      version,
      environment,
      approval_types: ["qa", "uat"],
    });
    expect(made.status).toBe(201);
    expect(made.body.status).toBe("draft");
    const listed = await call("GET", `/deployment-requests?product=${product}`);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([made.body]);
    expect(await call("GET", `/deployment-requests/${made.body.id}`)).toMatchObject({
      status: 200,
      body: made.body,
    });
    const submitted = await call("POST", `/deployment-requests/${made.body.id}/submit`);
    expect(submitted.status).toBe(200);
    expect(submitted.body.status).toBe("in_progress");
    const decided = await call("POST", `/deployment-requests/${made.body.id}/slots/qa`, {
      decision: "approved",
    });
    expect(decided.status).toBe(200);
    expect(decided.body.slots).toContainEqual(expect.objectContaining({ type: "qa", status: "approved" }));
    const cancelled = await call("POST", `/deployment-requests/${made.body.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe("cancelled");
  });
});
