import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { CAPABILITIES, CAPABILITY_ROLES, type Capability, ROLES, type Role } from "./capabilities.ts";

let t: TestApp;
const tokens = {} as Record<Role, string>;

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
});
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

/** One real request per capability that succeeds (2xx) for a role that holds it. */
const REPRESENTATIVE: Partial<Record<Capability, () => [string, string, unknown?]>> = {
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
  "incidents.manage": () => [
    "POST",
    "/incidents",
    { title: unique("incident"), product: "matrix", environment: "matrix-prod" },
  ],
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
        const [method, path, body] = make();
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
  });

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
    // Every route × ten roles: hundreds of requests, beyond the 5 s default on a busy machine.
  }, 60_000);
});
