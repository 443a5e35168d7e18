import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Clock } from "../clock.ts";
import { personalTokens, sessions, users } from "../db/schema/index.ts";
import { ADMIN_TOKEN, createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { authenticateSession, authenticateToken } from "./authenticate.ts";
import { insertPersonalToken } from "./personal-tokens-service.ts";
import { login, SESSION_TTL_MS } from "./sessions-service.ts";

// Session and token lifetimes to the millisecond, and when last_used_at / last_seen_at move.
// A fixed clock (not the app's ticking one) lets a check happen exactly at the expiry instant.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

class FixedClock implements Clock {
  constructor(public at: number) {}
  now(): Date {
    return new Date(this.at);
  }
}

const PASSWORD = "correct horse battery";
const START = Date.parse("2026-06-01T08:00:00.000Z");

async function newUser(role = "developer") {
  const email = `${unique(role)}@expiry.test`;
  const res = await t.call("POST", "/users", { email, role, password: PASSWORD });
  expect(res.status).toBe(201);
  return res.body as { id: string; email: string };
}

async function lastSeen(userId: string) {
  const [row] = await t.database.db.select().from(users).where(eq(users.id, userId));
  return row?.last_seen_at;
}

describe("session expiry", () => {
  it("opens a session for exactly SESSION_TTL_MS (12 hours)", async () => {
    const user = await newUser();
    const clock = new FixedClock(START);
    const session = await login({ database: t.database, clock }, { email: user.email, password: PASSWORD });
    expect(SESSION_TTL_MS).toBe(12 * 3600_000);
    expect(session.expires_at).toBe("2026-06-01T20:00:00.000Z");
    expect(session.user.email).toBe(user.email);
    const [row] = await t.database.db.select().from(sessions).where(eq(sessions.user_id, user.id));
    expect(row).toMatchObject({ created_at: "2026-06-01T08:00:00.000Z", expires_at: session.expires_at });
    expect(await lastSeen(user.id)).toBe("2026-06-01T08:00:00.000Z");
  });

  it("accepts the cookie's secret until the last millisecond and refuses it from the expiry instant", async () => {
    const user = await newUser();
    const clock = new FixedClock(START);
    const deps = { database: t.database, clock, runtime: t.runtime };
    const session = await login(deps, { email: user.email, password: PASSWORD });
    clock.at = Date.parse(session.expires_at) - 1;
    const alive = await authenticateSession(deps, session.secret);
    expect(alive?.principal).toMatchObject({ kind: "user", id: user.id, via: "session", role: "developer" });
    expect(alive?.csrfToken).toBe(session.csrf_token);
    clock.at = Date.parse(session.expires_at);
    expect(await authenticateSession(deps, session.secret)).toBeUndefined();
  });

  it("refuses an expired session cookie over HTTP with 401", async () => {
    const user = await newUser();
    const res = await t.app.request("/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: user.email, password: PASSWORD }),
    });
    const cookie = res.headers.get("set-cookie")?.split(";")[0] ?? "";
    const get = () => t.call("GET", "/state", undefined, { token: null, headers: { cookie } });
    t.clock.advance(SESSION_TTL_MS - 60_000);
    expect((await get()).status).toBe(200);
    t.clock.advance(60_000);
    expect((await get()).status).toBe(401);
  });

  it("refuses the session of a deactivated user", async () => {
    const user = await newUser();
    const deps = { database: t.database, clock: new FixedClock(START), runtime: t.runtime };
    const session = await login(deps, { email: user.email, password: PASSWORD });
    await t.call("PATCH", `/users/${user.id}`, { active: false });
    expect(await authenticateSession(deps, session.secret)).toBeUndefined();
  });
});

describe("personal tokens", () => {
  async function tokenFor(userId: string, expiresAt: string | null) {
    const deps = { database: t.database, clock: new FixedClock(START), runtime: t.runtime };
    const admin = await authenticateToken(deps, ADMIN_TOKEN);
    if (!admin) throw new Error("the bootstrap admin token should authenticate");
    return insertPersonalToken(deps, { principal: admin, requestId: "expiry-test" }, userId, {
      name: "t",
      expires_at: expiresAt,
    });
  }

  async function lastUsed(id: string) {
    const [row] = await t.database.db.select().from(personalTokens).where(eq(personalTokens.id, id));
    return row?.last_used_at;
  }

  it("refuses an expiry that is not in the future", async () => {
    const user = await newUser();
    await expect(tokenFor(user.id, new Date(START).toISOString())).rejects.toMatchObject({
      code: "VALIDATION_ERROR",
      detail: [{ loc: ["body", "expires_at"], msg: "must be in the future" }],
    });
    const later = await tokenFor(user.id, new Date(START + 1).toISOString());
    expect(later.expires_at).toBe("2026-06-01T08:00:00.001Z");
  });

  it("works until the last millisecond before expires_at and not at it", async () => {
    const user = await newUser();
    const { token } = await tokenFor(user.id, "2026-06-02T00:00:00.000Z");
    const clock = new FixedClock(Date.parse("2026-06-02T00:00:00.000Z") - 1);
    const deps = { database: t.database, clock, runtime: t.runtime };
    expect(await authenticateToken(deps, token)).toMatchObject({ kind: "user", id: user.id, via: "token" });
    clock.at += 1;
    expect(await authenticateToken(deps, token)).toBeUndefined();
  });

  it("records last_used_at and the user's last_seen_at, at most once a minute", async () => {
    const user = await newUser();
    const { id, token } = await tokenFor(user.id, null);
    expect(await lastUsed(id)).toBeNull();
    const clock = new FixedClock(START);
    const deps = { database: t.database, clock, runtime: t.runtime };
    await authenticateToken(deps, token);
    await expect.poll(() => lastUsed(id)).toBe("2026-06-01T08:00:00.000Z");
    expect(await lastSeen(user.id)).toBe("2026-06-01T08:00:00.000Z");
    clock.at += 59_999;
    await authenticateToken(deps, token);
    clock.at += 2;
    await authenticateToken(deps, token);
    await expect.poll(() => lastUsed(id)).toBe("2026-06-01T08:01:00.001Z");
    expect(await lastSeen(user.id)).toBe("2026-06-01T08:01:00.001Z");
  });
});
