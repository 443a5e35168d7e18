import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { storedText } from "../testing/test-database.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const PASSWORD = "correct horse battery";

async function newUser(role: string, password: string | undefined = PASSWORD) {
  const email = `${unique(role)}@users.test`;
  const res = await t.call("POST", "/users", { email, role, password });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; email: string };
}

async function signIn(email: string, password = PASSWORD) {
  const res = await t.app.request("/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  const body = (await res.json()) as Record<string, any>;
  return { status: res.status, body, setCookie: res.headers.get("set-cookie") ?? "", headers: res.headers };
}

async function patFor(email: string): Promise<string> {
  const session = await signIn(email);
  const cookie = session.setCookie.split(";")[0] ?? "";
  const res = await t.call(
    "POST",
    "/tokens",
    { name: "cli" },
    { token: null, headers: { cookie, "x-csrf-token": session.body.csrf_token } },
  );
  expect(res.status).toBe(201);
  return res.body.token;
}

async function auditActions(targetId: string): Promise<string[]> {
  const res = await t.call("GET", `/audit-log?target_id=${targetId}&limit=500`);
  return res.body.items.map((e: { action: string }) => e.action).reverse();
}

describe("bootstrap", () => {
  it("makes the first admin a real user whose bootstrap token acts as them", async () => {
    const me = await t.call("GET", "/users/me");
    expect(me.body).toMatchObject({ email: "admin@localhost", role: "admin", active: true });
    const tokens = await t.call("GET", "/tokens");
    expect(tokens.body.items.map((x: { name: string }) => x.name)).toContain("bootstrap");
  });
});

describe("invariants", () => {
  it("keeps at least one active admin (409 LAST_ADMIN) and forbids changing your own role", async () => {
    // A database of its own: this test counts admins.
    const own = await createTestApp();
    try {
      const bootstrap = (await own.call("GET", "/users/me")).body;
      for (const [method, body] of [
        ["PATCH", { role: "viewer" }],
        ["PATCH", { active: false }],
        ["DELETE", undefined],
      ] as const) {
        const res = await own.call(method, `/users/${bootstrap.id}`, body);
        expect(res.status, `${method} self ${JSON.stringify(body)}`).toBe(403);
      }
      // An admin API key manages users without being one, so it can reach the last-admin rule.
      const key = (await own.call("POST", "/api-keys", { name: "automation", scope: "admin" })).body.token;
      for (const [method, body] of [
        ["PATCH", { role: "viewer" }],
        ["PATCH", { active: false }],
        ["DELETE", undefined],
      ] as const) {
        const res = await own.call(method, `/users/${bootstrap.id}`, body, { token: key });
        expect(res.status, `${method} last admin ${JSON.stringify(body)}`).toBe(409);
        expect(res.body.code).toBe("LAST_ADMIN");
      }
      // With a second admin, the first may be demoted; then the second is the last one.
      const second = (await own.call("POST", "/users", { email: "second@x.test", role: "admin" })).body;
      expect(
        (await own.call("PATCH", `/users/${bootstrap.id}`, { role: "sre" }, { token: key })).status,
      ).toBe(200);
      expect((await own.call("PATCH", `/users/${second.id}`, { role: "qa" }, { token: key })).body.code).toBe(
        "LAST_ADMIN",
      );
      expect((await own.call("GET", "/users/me")).body.role).toBe("sre");
      expect((await own.call("POST", "/users", { email: "x@x.test", role: "viewer" })).status).toBe(403);
    } finally {
      own.close();
    }
  });

  it("lets only admins assign roles", async () => {
    const manager = await newUser("release_manager");
    const token = await patFor(manager.email);
    const target = await newUser("viewer");
    const res = await t.call("PATCH", `/users/${target.id}`, { role: "developer" }, { token });
    expect(res.status).toBe(403);
    expect(res.body.detail).toContain("users.manage");
  });
});

describe("tokens", () => {
  it("acts with the user's current role: a demotion applies on the next request", async () => {
    const dev = await newUser("developer");
    const token = await patFor(dev.email);
    const event = { product_name: unique("p"), version: "1", environment_name: "dev", status: "completed" };
    expect((await t.call("POST", "/deployment-events", event, { token })).status).toBe(200);
    await t.call("PATCH", `/users/${dev.id}`, { role: "viewer" });
    const after = await t.call("POST", "/deployment-events", { ...event, version: "2" }, { token });
    expect(after.status).toBe(403);
  });

  it("stops working at once when revoked, when expired, and when the user is deactivated", async () => {
    const user = await newUser("developer");
    const token = await patFor(user.email);
    const list = await t.call("GET", "/tokens", undefined, { token });
    const id = list.body.items[0].id;
    expect((await t.call("GET", "/state", undefined, { token })).status).toBe(200);
    expect((await t.call("DELETE", `/tokens/${id}`, undefined, { token })).status).toBe(204);
    expect((await t.call("GET", "/state", undefined, { token })).status).toBe(401);

    const second = await patFor(user.email);
    const expiring = await t.call(
      "POST",
      "/tokens",
      { name: "short", expires_at: new Date(t.clock.now().getTime() + 60_000).toISOString() },
      { token: second },
    );
    expect(expiring.status).toBe(201);
    expect((await t.call("GET", "/state", undefined, { token: expiring.body.token })).status).toBe(200);
    t.clock.advance(61_000);
    expect((await t.call("GET", "/state", undefined, { token: expiring.body.token })).status).toBe(401);
    const past = await t.call(
      "POST",
      "/tokens",
      { name: "past", expires_at: "2000-01-01T00:00:00Z" },
      { token: second },
    );
    expect(past.status).toBe(422);

    await t.call("PATCH", `/users/${user.id}`, { active: false });
    expect((await t.call("GET", "/state", undefined, { token: second })).status).toBe(401);
    expect((await signIn(user.email)).status).toBe(401);
    await t.call("PATCH", `/users/${user.id}`, { active: true });
    // Reactivation does not bring killed tokens back.
    expect((await t.call("GET", "/state", undefined, { token: second })).status).toBe(401);
  });

  it("never lets billing or viewer create tokens, nor an API key act as a user", async () => {
    const key = (await t.call("POST", "/api-keys", { name: unique("k"), scope: "admin" })).body.token;
    const res = await t.call("POST", "/tokens", { name: "x" }, { token: key });
    expect(res.status).toBe(403);
    expect(res.body.detail).toContain("user");
  });
});

describe("sessions", () => {
  it("signs in with a password into an HTTP-only, SameSite=Lax signed cookie and signs out", async () => {
    const user = await newUser("qa");
    const session = await signIn(user.email);
    expect(session.status).toBe(200);
    expect(session.setCookie).toMatch(/versioner_session=[^;]+\.[^;]+;/);
    expect(session.setCookie).toContain("HttpOnly");
    expect(session.setCookie).toContain("SameSite=Lax");
    const cookie = session.setCookie.split(";")[0] ?? "";
    const who = await t.call("GET", "/auth/session", undefined, { token: null, headers: { cookie } });
    expect(who.body.user.email).toBe(user.email);
    expect(who.body.csrf_token).toBe(session.body.csrf_token);
    const tampered = cookie.replace(/=(.)/, "=0$1");
    expect(
      (await t.call("GET", "/state", undefined, { token: null, headers: { cookie: tampered } })).status,
    ).toBe(401);
    const out = await t.call(
      "POST",
      "/auth/logout",
      {},
      { token: null, headers: { cookie, "x-csrf-token": session.body.csrf_token } },
    );
    expect(out.status).toBe(204);
    expect((await t.call("GET", "/state", undefined, { token: null, headers: { cookie } })).status).toBe(401);
  });

  it("requires the CSRF token on cookie-authenticated writes", async () => {
    const user = await newUser("developer");
    const session = await signIn(user.email);
    const cookie = session.setCookie.split(";")[0] ?? "";
    const event = { product_name: unique("p"), version: "1", environment_name: "dev", status: "completed" };
    const without = await t.call("POST", "/deployment-events", event, { token: null, headers: { cookie } });
    expect(without.status).toBe(403);
    expect(without.body.detail).toContain("CSRF");
    const wrong = await t.call("POST", "/deployment-events", event, {
      token: null,
      headers: { cookie, "x-csrf-token": "nope" },
    });
    expect(wrong.status).toBe(403);
    const ok = await t.call("POST", "/deployment-events", event, {
      token: null,
      headers: { cookie, "x-csrf-token": session.body.csrf_token },
    });
    expect(ok.status).toBe(200);
  });

  it("locks an account out with a growing backoff after repeated failures", async () => {
    const user = await newUser("viewer");
    for (let i = 0; i < 4; i++) expect((await signIn(user.email, "wrong password!")).status).toBe(401);
    const fifth = await signIn(user.email, "wrong password!");
    expect(fifth.status).toBe(429);
    expect(fifth.headers.get("retry-after")).toBe("30");
    // Even the right password is refused while locked.
    expect((await signIn(user.email)).status).toBe(429);
    t.clock.advance(31_000);
    expect((await signIn(user.email, "wrong again!!")).status).toBe(429);
    t.clock.advance(61_000);
    expect((await signIn(user.email)).status).toBe(200);
  });

  it("locks out an unknown email exactly like a real one, so the lockout reveals nothing", async () => {
    const real = (await newUser("viewer")).email;
    const unknown = `${unique("nobody")}@x.test`;
    const answers = async (email: string) => {
      const statuses: Array<[number, string | null]> = [];
      for (let i = 0; i < 6; i++) {
        const res = await signIn(email, "wrong password!");
        statuses.push([res.status, res.headers.get("retry-after")]);
      }
      return statuses;
    };
    const forReal = await answers(real);
    expect(forReal.map(([status]) => status)).toEqual([401, 401, 401, 401, 429, 429]);
    expect(await answers(unknown)).toEqual(forReal);
    // The counter is per normalised email, as sign-in reads it.
    expect((await signIn(unknown.toUpperCase(), "wrong password!")).status).toBe(429);
  });

  it("ends the user's other sessions when the password changes, and lifts a lockout", async () => {
    const user = await newUser("developer");
    const cookieOf = async () => {
      const session = await signIn(user.email);
      expect(session.status).toBe(200);
      return {
        cookie: session.setCookie.split(";")[0] ?? "",
        "x-csrf-token": session.body.csrf_token as string,
      };
    };
    const stateWith = async (headers: Record<string, string>) =>
      (await t.call("GET", "/state", undefined, { token: null, headers })).status;
    const [laptop, phone, stolen] = [await cookieOf(), await cookieOf(), await cookieOf()];
    const changed = await t.call(
      "PUT",
      "/users/me/password",
      { current_password: PASSWORD, new_password: "a brand new password" },
      { token: null, headers: laptop },
    );
    expect(changed.status).toBe(204);
    expect(await stateWith(laptop)).toBe(200);
    expect(await stateWith(phone)).toBe(401);
    expect(await stateWith(stolen)).toBe(401);

    // An admin's reset ends every session of that user, and lifts the lockout of their email.
    const next = await signIn(user.email, "a brand new password");
    const nextCookie = { cookie: next.setCookie.split(";")[0] ?? "" };
    for (let i = 0; i < 5; i++) await signIn(user.email, "wrong password!");
    expect((await signIn(user.email, "a brand new password")).status).toBe(429);
    expect((await t.call("PATCH", `/users/${user.id}`, { password: "the admin's choice 1" })).status).toBe(
      200,
    );
    expect(await stateWith(nextCookie)).toBe(401);
    expect(await stateWith(laptop)).toBe(401);
    expect((await signIn(user.email, "the admin's choice 1")).status).toBe(200);
  });

  it("lets users set and change their own password", async () => {
    const user = await newUser("sre", undefined);
    const token = (await t.call("POST", "/users", { email: `${unique("tmp")}@x.test`, role: "viewer" }))
      .status;
    expect(token).toBe(201);
    await t.call("PATCH", `/users/${user.id}`, { password: "first password 1" });
    const session = await signIn(user.email, "first password 1");
    const cookie = session.setCookie.split(";")[0] ?? "";
    const headers = { cookie, "x-csrf-token": session.body.csrf_token };
    const wrong = await t.call(
      "PUT",
      "/users/me/password",
      { current_password: "nope", new_password: "second password 2" },
      { token: null, headers },
    );
    expect(wrong.status).toBe(403);
    const short = await t.call(
      "PUT",
      "/users/me/password",
      { current_password: "first password 1", new_password: "short" },
      { token: null, headers },
    );
    expect(short.status).toBe(422);
    const ok = await t.call(
      "PUT",
      "/users/me/password",
      { current_password: "first password 1", new_password: "second password 2" },
      { token: null, headers },
    );
    expect(ok.status).toBe(204);
    expect((await signIn(user.email, "second password 2")).status).toBe(200);
  });
});

describe("secrets at rest and in logs", () => {
  it("stores tokens and passwords only as hashes and never logs them", async () => {
    const password = "a very secret password 123";
    const user = (
      await t.call("POST", "/users", { email: `${unique("hash")}@x.test`, role: "developer", password })
    ).body;
    const token = await (async () => {
      const session = await signIn(user.email, password);
      const cookie = session.setCookie.split(";")[0] ?? "";
      const res = await t.call(
        "POST",
        "/tokens",
        { name: "x" },
        { token: null, headers: { cookie, "x-csrf-token": session.body.csrf_token } },
      );
      return res.body.token as string;
    })();
    const key = (await t.call("POST", "/api-keys", { name: unique("k") })).body.token as string;
    await t.call("GET", "/state", undefined, { token });
    await t.call("GET", "/state", undefined, { token: key });
    const file = await storedText(t.database, t.path);
    const logs = t.logLines.join("\n");
    const audit = JSON.stringify((await t.call("GET", "/audit-log?limit=500")).body);
    for (const secret of [password, token, key, ADMIN_TOKEN]) {
      expect(file).not.toContain(secret);
      expect(logs).not.toContain(secret);
      expect(audit).not.toContain(secret);
    }
  });
});

describe("audit log", () => {
  it("records every change to users, tokens, keys, products and environments with actor and request id", async () => {
    const user = await newUser("developer");
    await t.call("PATCH", `/users/${user.id}`, { role: "sre" });
    await t.call("PATCH", `/users/${user.id}`, { active: false });
    await t.call("DELETE", `/users/${user.id}`);
    expect(await auditActions(user.id)).toEqual([
      "user.create",
      "user.update",
      "user.deactivate",
      "user.delete",
    ]);

    const key = (await t.call("POST", "/api-keys", { name: unique("k") })).body;
    await t.call("DELETE", `/api-keys/${key.id}`);
    expect(await auditActions(key.id)).toEqual(["api_key.create", "api_key.revoke"]);

    const token = (await t.call("POST", "/tokens", { name: "audited" })).body;
    await t.call("DELETE", `/tokens/${token.id}`);
    expect(await auditActions(token.id)).toEqual(["token.create", "token.revoke"]);

    const product = (await t.call("POST", "/products", { name: unique("audited") })).body;
    await t.call(
      "PATCH",
      `/products/${product.id}`,
      { description: "x" },
      { headers: { "x-request-id": "audit-req-1" } },
    );
    await t.call("DELETE", `/products/${product.id}?confirm=${product.name}`);
    expect(await auditActions(product.id)).toEqual(["product.create", "product.update", "product.delete"]);
    const update = (await t.call("GET", `/audit-log?target_id=${product.id}&action=product.update`)).body
      .items[0];
    expect(update).toMatchObject({
      actor_name: "admin@localhost",
      actor_type: "user",
      request_id: "audit-req-1",
    });
    expect(update.before.description).toBeNull();
    expect(update.after.description).toBe("x");

    const env = (await t.call("POST", "/environments", { name: unique("audited") })).body;
    await t.call("PATCH", `/environments/${env.id}`, { description: "y" });
    expect(await auditActions(env.id)).toEqual(["environment.create", "environment.update"]);
  });

  it("filters by action family and paginates", async () => {
    const family = await t.call("GET", "/audit-log?action=user.&limit=2");
    expect(family.body.items).toHaveLength(2);
    expect(family.body.items.every((e: { action: string }) => e.action.startsWith("user."))).toBe(true);
    const next = await t.call("GET", `/audit-log?action=user.&limit=2&cursor=${family.body.next_cursor}`);
    expect(next.body.items[0].id).not.toBe(family.body.items[1].id);
  });
});
