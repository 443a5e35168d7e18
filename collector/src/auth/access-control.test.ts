import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APPROVAL_TYPES, approvalTypesForRole } from "../governance/approval-types.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import {
  API_KEY_SCOPES,
  type ApiKeyScope,
  CAPABILITIES,
  CAPABILITY_ROLES,
  type Capability,
  ROLES,
  type Role,
  SCOPE_CAPABILITIES,
} from "./capabilities.ts";

let t: TestApp;
const tokens = {} as Record<Role, string>;
let matrixVersionId: string;

beforeAll(async () => {
  t = await createTestApp();
  for (const role of ROLES) {
    const user = await t.call("POST", "/users", {
      email: `${role}@matrix.test`,
      role,
      password: "correct horse battery",
    });
    expect(user.status).toBe(201);
    tokens[role] = await tokenFor(`${role}@matrix.test`);
  }
  // Something for incidents to be about.
  const deployed = await t.call("POST", "/deployment-events", {
    product_name: "matrix",
    version: "1",
    environment_name: "matrix-prod",
    status: "completed",
  });
  expect(deployed.status).toBe(200);
  matrixVersionId = deployed.body.version_id;
  // Ten users, each with an scrypt hash and a sign-in: seconds on a loaded machine.
}, 60_000);
afterAll(() => t.close());

/** A personal token for a user, made through a session as the user would (admins cannot mint tokens for others). */
async function tokenFor(email: string): Promise<string> {
  const login = await t.app.request("/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: "correct horse battery" }),
  });
  expect(login.status).toBe(200);
  const cookie = login.headers.get("set-cookie")?.split(";")[0] ?? "";
  const { csrf_token } = (await login.json()) as { csrf_token: string };
  const created = await t.app.request("/tokens", {
    method: "POST",
    headers: { cookie, "x-csrf-token": csrf_token, "content-type": "application/json" },
    body: JSON.stringify({ name: "matrix" }),
  });
  if (created.status === 201) return ((await created.json()) as { token: string }).token;
  // billing and viewer may not create tokens; they act through their session cookie instead.
  return `cookie:${cookie};csrf:${csrf_token}`;
}

function as(role: Role, method: string, path: string, body?: unknown) {
  const credential = tokens[role];
  const headers: Record<string, string> = {};
  if (credential.startsWith("cookie:")) {
    const [, cookie, csrf] = credential.match(/^cookie:(.*);csrf:(.*)$/) ?? [];
    headers.cookie = cookie ?? "";
    headers["x-csrf-token"] = csrf ?? "";
    return t.call(method, path, body, { token: null, headers });
  }
  return t.call(method, path, body, { token: credential });
}

/** An approval type the role may decide (approvals also check the role → type table). */
const typeFor = (role: Role) => approvalTypesForRole(role)[0] ?? "qa";

/** A submitted deployment request with a slot of every type, for one slot decision. */
async function submittedRequest(): Promise<string> {
  const made = await t.call("POST", "/deployment-requests", {
    product: "matrix",
    version: "1",
    environment: "matrix-prod",
    approval_types: [...APPROVAL_TYPES],
  });
  expect((await t.call("POST", `/deployment-requests/${made.body.id}/submit`)).status).toBe(200);
  return made.body.id;
}

type Request = [string, string, unknown?];

/** One real request per capability that succeeds (2xx) for a role that holds it. */
const REPRESENTATIVE: Partial<Record<Capability, (role: Role) => Request | Promise<Request>>> = {
  "catalog.read": () => ["GET", "/state"],
  "products.write": () => ["POST", "/products", { name: unique("p") }],
  "environments.write": () => ["POST", "/environments", { name: unique("env") }],
  "deployments.record": () => [
    "POST",
    "/deployment-events",
    { product_name: unique("p"), version: "1", environment_name: "dev", status: "completed" },
  ],
  "api_keys.manage": () => ["POST", "/api-keys", { name: unique("key") }],
  "api_keys.read": () => ["GET", "/api-keys"],
  "tokens.create": () => ["GET", "/tokens"],
  "users.manage": () => ["POST", "/users", { email: `${unique("u")}@x.test`, role: "viewer" }],
  "audit.read": () => ["GET", "/audit-log"],
  "releases.manage": () => ["POST", "/releases", { name: unique("release") }],
  "variables.manage": () => ["POST", "/variables", { key: unique("var").replaceAll("-", "_"), value: "v" }],
  "notifications.manage": () => ["GET", "/notification-channels"],
  "metrics.read": () => ["GET", "/metrics"],
  "badges.read": () => ["GET", `/badges/${unique("p")}/production.svg`],
  "rules.manage": () => [
    "POST",
    "/rules",
    { name: unique("rule"), type: "concurrency", scope: { products: [unique("p")], environments: [] } },
  ],
  "preflight.check": () => [
    "POST",
    "/preflight",
    { product_name: unique("p"), version: "1", environment_name: "production" },
  ],
  "incidents.manage": () => [
    "POST",
    "/incidents",
    { title: unique("incident"), product: "matrix", environment: "matrix-prod" },
  ],
  "versions.approve": (role) => ["POST", `/versions/${matrixVersionId}/approvals`, { type: typeFor(role) }],
  "deployment_requests.manage": () => [
    "POST",
    "/deployment-requests",
    { product: "matrix", version: "1", environment: "matrix-prod", approval_types: ["qa"] },
  ],
  "deployment_requests.approve": async (role) => [
    "POST",
    `/deployment-requests/${await submittedRequest()}/slots/${typeFor(role)}`,
    { decision: "approved" },
  ],
  "integrations.manage": () => ["POST", "/integrations", { name: unique("integration"), kind: "github" }],
};

describe("permission matrix", () => {
  it("allows (2xx) or forbids (403 naming the capability) every role × capability with a route", async () => {
    const doc = (await t.call("GET", "/openapi.json")).body;
    const declared = new Set(
      Object.values(doc.paths as Record<string, Record<string, { "x-capability"?: string }>>)
        .flatMap((methods) => Object.values(methods))
        .map((op) => op["x-capability"]),
    );
    for (const capability of CAPABILITIES) {
      // No route needs it yet (governance comes later); once one does, it must have a row above.
      if (!declared.has(capability)) continue;
      const make = REPRESENTATIVE[capability];
      expect(make, `add a REPRESENTATIVE entry for ${capability}`).toBeDefined();
      if (!make) continue;
      for (const role of ROLES) {
        const [method, path, body] = await make(role);
        const res = await as(role, method, path, body);
        if (CAPABILITY_ROLES[capability].includes(role)) {
          expect(
            res.status,
            `${role} ${capability} ${method} ${path}: ${JSON.stringify(res.body)}`,
          ).toBeLessThan(300);
        } else {
          expect(res.status, `${role} ${capability}`).toBe(403);
          expect(res.body.code).toBe("FORBIDDEN");
          expect(res.body.detail).toContain(capability);
        }
      }
    }
    // A request per role × capability, and a deployment request per slot decision: not a speed check.
  }, 60_000);

  it("checks every API key scope before anything else on every route of the OpenAPI document", async () => {
    const doc = (await t.call("GET", "/openapi.json")).body;
    const keys = {} as Record<ApiKeyScope, string>;
    for (const scope of API_KEY_SCOPES) {
      const created = await t.call("POST", "/api-keys", { name: unique(`walk-${scope}`), scope });
      expect(created.status).toBe(201);
      keys[scope] = created.body.token;
    }
    let checked = 0;
    for (const [path, methods] of Object.entries(
      doc.paths as Record<string, Record<string, { "x-capability"?: string }>>,
    )) {
      for (const [method, op] of Object.entries(methods)) {
        const capability = op["x-capability"] as Capability | undefined;
        if (!capability) continue;
        // Sessions, personal tokens and one's own profile belong to people: no API key reaches them.
        const peopleOnly = /^\/(auth\/|users\/me|tokens)/.test(path);
        const url = path.replace(/\{[^}]+\}/g, "does-not-exist");
        for (const scope of API_KEY_SCOPES) {
          const res = await t.call(method.toUpperCase(), url, method === "get" ? undefined : {}, {
            token: keys[scope],
          });
          const label = `${scope} key ${method.toUpperCase()} ${path}: ${JSON.stringify(res.body)}`;
          if (!SCOPE_CAPABILITIES[scope].has(capability)) expect(res.status, label).toBe(403);
          // A route for people answers a key it lets through with 403 once the request is valid.
          else if (!peopleOnly) expect([401, 403], label).not.toContain(res.status);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(API_KEY_SCOPES.length * 40);
  }, 60_000);

  it("checks the capability before anything else on every route of the OpenAPI document", async () => {
    const doc = (await t.call("GET", "/openapi.json")).body;
    // Signing out ends the cookie sessions billing and viewer act through, so it goes last.
    const entries = Object.entries(
      doc.paths as Record<string, Record<string, { "x-capability"?: string }>>,
    ).sort(([a], [b]) => Number(a === "/auth/logout") - Number(b === "/auth/logout"));
    for (const [path, methods] of entries) {
      for (const [method, op] of Object.entries(methods)) {
        const capability = op["x-capability"] as Capability | undefined;
        if (!capability) continue;
        const url = path.replace(/\{[^}]+\}/g, "does-not-exist");
        for (const role of ROLES) {
          const res = await as(role, method.toUpperCase(), url, method === "get" ? undefined : {});
          const label = `${role} ${method.toUpperCase()} ${path}`;
          if (CAPABILITY_ROLES[capability].includes(role))
            expect([401, 403], label).not.toContain(res.status);
          else expect(res.status, label).toBe(403);
        }
      }
    }
    // Every route × every role: hundreds of requests, slow on a loaded machine, not a speed check.
  }, 60_000);
});

describe("API key scopes", () => {
  it("allow (2xx) or forbid (403) every scope × capability with a route, as SCOPE_CAPABILITIES says", async () => {
    for (const scope of API_KEY_SCOPES) {
      const key = await t.call("POST", "/api-keys", { name: unique(`scope-${scope}`), scope });
      expect(key.status).toBe(201);
      for (const capability of CAPABILITIES) {
        const make = REPRESENTATIVE[capability];
        // Personal tokens belong to people: no API key creates or lists them, whatever its scope.
        if (!make || capability === "tokens.create") continue;
        const [method, path, body] = await make("admin");
        const res = await t.call(method, path, body, { token: key.body.token });
        const label = `${scope} ${capability} ${method} ${path}: ${JSON.stringify(res.body)}`;
        if (SCOPE_CAPABILITIES[scope].has(capability)) expect(res.status, label).toBeLessThan(300);
        else expect(res.status, label).toBe(403);
      }
    }
  }, 60_000);
});
