import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../db/client.ts";
import type { DomainError } from "../errors.ts";
import { ManualClock } from "../testing/test-app.ts";
import { freshTestDatabase, type TestDatabaseLocation } from "../testing/test-database.ts";
import { createApiKey } from "./api-keys-service.ts";
import { authenticateSession, authenticateToken } from "./authenticate.ts";
import { SYSTEM_PRINCIPAL } from "./capabilities.ts";
import { CredentialLookups } from "./credential-lookups.ts";
import { insertPersonalToken } from "./personal-tokens-service.ts";
import {
  LOCKOUT_AFTER,
  login,
  loginWithToken,
  logout,
  SESSION_TTL_MS,
  sessionSigningSecret,
} from "./sessions-service.ts";
import { getUserPreference, setUserPreference } from "./user-preferences-service.ts";
import { createUser } from "./users-service.ts";

// The auth services on a real database of their own, without the HTTP app: quick to load, so
// Stryker's mutants meet them first.
let location: TestDatabaseLocation;
let database: Database;
const clock = new ManualClock();
let credentials: CredentialLookups;
const deps = () => ({ database, clock, runtime: { credentials } });

const system = { principal: SYSTEM_PRINCIPAL, requestId: "pinned" };
const PASSWORD = "a long enough password";
let lockUser: string;
let tokenUser: string;

beforeAll(async () => {
  location = await freshTestDatabase();
  database = await openDatabase({ url: location.url, secretKey: location.secretKey });
  credentials = new CredentialLookups(database.db);
  // Password hashing is the slow part: the users are made once for the file.
  lockUser = (
    await createUser(deps(), system, { email: "lock@example.com", role: "viewer", password: PASSWORD })
  ).email;
  tokenUser = (await createUser(deps(), system, { email: "Token.User@Example.com ", role: "sre" })).id;
});
afterAll(() => {
  database.close();
  location.dispose();
});

describe("user preferences", () => {
  it("keeps one value per user and name, replaces it, and forgets it when set empty", async () => {
    expect(await getUserPreference(deps(), "u1", "filters")).toBeUndefined();
    await setUserPreference(deps(), "u1", "filters", "env=prod");
    await setUserPreference(deps(), "u2", "filters", "env=staging");
    await setUserPreference(deps(), "u1", "theme", "dark");
    expect(await getUserPreference(deps(), "u1", "filters")).toBe("env=prod");
    expect(await getUserPreference(deps(), "u2", "filters")).toBe("env=staging");
    expect(await getUserPreference(deps(), "u1", "theme")).toBe("dark");
    await setUserPreference(deps(), "u1", "filters", "env=qa");
    expect(await getUserPreference(deps(), "u1", "filters")).toBe("env=qa");
    await setUserPreference(deps(), "u1", "filters", "");
    expect(await getUserPreference(deps(), "u1", "filters")).toBeUndefined();
    expect(await getUserPreference(deps(), "u2", "filters")).toBe("env=staging");
    expect(await getUserPreference(deps(), "u1", "theme")).toBe("dark");
  });

  it("stores them under user_preference:<user>:<name> in the settings table", async () => {
    await setUserPreference(deps(), "u3", "filters", "x");
    const rows = await database.client.execute(
      "SELECT key, value FROM settings WHERE key LIKE 'user_preference:u3:%'",
    );
    expect(rows.rows.map((row) => [row.key, row.value])).toEqual([["user_preference:u3:filters", "x"]]);
  });
});

/** The error a sign-in throws, or undefined when it opened a session. */
async function refusal(email: string, password: string) {
  try {
    await login(deps(), { email, password });
    return undefined;
  } catch (error) {
    const { status, code, message, headers } = error as DomainError;
    return { status, code, message, headers };
  }
}

const locked = (seconds: number) => ({
  status: 429,
  code: "RATE_LIMITED",
  message: `Too many failed sign-ins; try again in ${seconds} s`,
  headers: { "Retry-After": String(seconds) },
});
const invalid = { status: 401, code: "UNAUTHORIZED", message: "Invalid email or password", headers: {} };

describe("sign-in lockout", () => {
  it("locks for 30 s at the fifth failure, doubles each further failure up to 15 minutes, and a success resets it", async () => {
    expect(LOCKOUT_AFTER).toBe(5);
    for (let i = 1; i < LOCKOUT_AFTER; i++)
      expect(await refusal(lockUser, "wrong password")).toEqual(invalid);
    expect(await refusal(lockUser, "wrong password")).toEqual(locked(30));
    // Locked: even the right password is refused, counting down.
    clock.advance(10_000);
    expect(await refusal(lockUser, PASSWORD)).toEqual(locked(20));
    clock.advance(19_997);
    expect(await refusal(lockUser, PASSWORD)).toEqual(locked(1));
    for (const seconds of [60, 120, 240, 480, 900, 900]) {
      expect(await refusal(lockUser, "wrong password")).toEqual(locked(seconds));
      clock.advance(seconds * 1000);
    }
    const session = await login(deps(), { email: " LOCK@example.com", password: PASSWORD });
    expect(session.user.email).toBe("lock@example.com");
    // The success cleared the counter: the next failure starts again at one.
    expect(await refusal(lockUser, "wrong password")).toEqual(invalid);
  });

  it("refuses a user without a password and an unknown email alike", async () => {
    expect(await refusal("token.user@example.com", "any password at all")).toEqual(invalid);
    expect(await refusal("nobody@example.com", "any password at all")).toEqual(invalid);
  });
});

describe("sessions", () => {
  it("opens a session for 12 hours whose secret resolves to its user until logout", async () => {
    clock.advance(3_600_000);
    const session = await login(deps(), { email: "lock@example.com", password: PASSWORD });
    const opened = clock.now().getTime() - 1;
    expect(SESSION_TTL_MS).toBe(12 * 3_600_000);
    expect(Date.parse(session.expires_at) - opened).toBeGreaterThanOrEqual(SESSION_TTL_MS - 2);
    expect(Date.parse(session.expires_at) - opened).toBeLessThanOrEqual(SESSION_TTL_MS);
    expect(session.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(session.csrf_token).toMatch(/^[0-9a-f]{48}$/);
    const resolved = await authenticateSession(deps(), session.secret);
    expect(resolved?.csrfToken).toBe(session.csrf_token);
    expect(resolved?.principal).toMatchObject({ kind: "user", name: "lock@example.com", via: "session" });
    await logout(deps(), session.secret);
    expect(await authenticateSession(deps(), session.secret)).toBeUndefined();
  });

  it("opens a session from a personal token, never from an API key or an unknown token", async () => {
    const { token } = await insertPersonalToken(deps(), system, tokenUser, { name: "sign-in" });
    const session = await loginWithToken(deps(), token);
    expect(session.user).toMatchObject({ id: tokenUser, email: "token.user@example.com", role: "sre" });
    const apiKey = await createApiKey({ ...deps(), org: "acme" }, system, { name: "ci", scope: "ingest" });
    for (const credential of [apiKey.token, "pat_unknown"]) {
      await expect(loginWithToken(deps(), credential)).rejects.toMatchObject({
        status: 401,
        message: "Invalid token: sign in with a personal token",
      });
    }
  });

  it("signs cookies with the configured secret, else with one generated once and kept", async () => {
    expect(await sessionSigningSecret(deps(), "from-config")).toBe("from-config");
    const generated = await sessionSigningSecret(deps(), undefined);
    expect(generated).toMatch(/^[0-9a-f]{64}$/);
    expect(await sessionSigningSecret(deps(), undefined)).toBe(generated);
    expect(await sessionSigningSecret(deps(), "")).toBe(generated);
  });
});

describe("last use", () => {
  // The write is off the request's path, so it is polled for; a skipped write is read back at once,
  // since the local libSQL client runs statements in the order they are issued.
  it("records an API key's last use and a session user's last sight, at most once a minute", async () => {
    const at = { ms: Date.parse("2026-07-01T00:00:00.000Z") };
    const fixed = { database, clock: { now: () => new Date(at.ms) }, runtime: { credentials } };
    const read = async (sql: string, arg: string) =>
      (await database.client.execute({ sql, args: [arg] })).rows[0]?.[0];
    const key = await createApiKey({ ...fixed, org: "acme" }, system, { name: "touch", scope: "read" });
    const keyUsed = () => read("SELECT last_used_at FROM api_keys WHERE id = ?", key.id);
    expect(await authenticateToken(fixed, key.token)).toMatchObject({
      kind: "api_key",
      id: key.id,
      scope: "read",
    });
    await expect.poll(keyUsed).toBe("2026-07-01T00:00:00.000Z");
    at.ms += 59_999;
    await authenticateToken(fixed, key.token);
    expect(await keyUsed()).toBe("2026-07-01T00:00:00.000Z");
    at.ms += 1;
    await authenticateToken(fixed, key.token);
    await expect.poll(keyUsed).toBe("2026-07-01T00:01:00.000Z");

    const session = await login(fixed, { email: lockUser, password: PASSWORD });
    const seen = () => read("SELECT last_seen_at FROM users WHERE email = ?", lockUser);
    expect(await seen()).toBe("2026-07-01T00:01:00.000Z");
    at.ms += 1;
    await authenticateSession(fixed, session.secret);
    await expect.poll(seen).toBe("2026-07-01T00:01:00.001Z");
    at.ms += 59_999;
    expect((await authenticateSession(fixed, session.secret))?.principal.name).toBe(lockUser);
    expect(await seen()).toBe("2026-07-01T00:01:00.001Z");
    at.ms += 1;
    await authenticateSession(fixed, session.secret);
    await expect.poll(seen).toBe("2026-07-01T00:02:00.001Z");
  });
});
