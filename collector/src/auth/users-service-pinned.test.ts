import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../audit/audit-service.ts";
import { type Database, openDatabase } from "../db/client.ts";
import { ManualClock } from "../testing/test-app.ts";
import { freshTestDatabase, type TestDatabaseLocation } from "../testing/test-database.ts";
import { createApiKey, listApiKeys, revokeApiKey } from "./api-keys-service.ts";
import { authenticateSession, authenticateToken } from "./authenticate.ts";
import { type Principal, ROLE_CAPABILITIES, type Role, SYSTEM_PRINCIPAL } from "./capabilities.ts";
import { CredentialLookups } from "./credential-lookups.ts";
import {
  createPersonalToken,
  insertPersonalToken,
  listPersonalTokens,
  revokePersonalToken,
} from "./personal-tokens-service.ts";
import { login } from "./sessions-service.ts";
import {
  changeMyPassword,
  createUser,
  deleteUser,
  findUser,
  listUsers,
  requireUser,
  type UserView,
  updateMe,
  updateUser,
} from "./users-service.ts";

// The user, token and key services on a real database of their own, without the HTTP app.
let location: TestDatabaseLocation;
let database: Database;
const clock = new ManualClock();
let credentials: CredentialLookups;
const deps = () => ({ database, clock, runtime: { credentials } });
const keyDeps = () => ({ database, clock, org: "acme" });
const system: Actor = { principal: SYSTEM_PRINCIPAL, requestId: "pinned" };
const PASSWORD = "a long enough password";

function actorFor(user: UserView, sessionId?: string): Actor {
  const principal: Principal = {
    kind: "user",
    id: user.id,
    name: user.email,
    role: user.role,
    via: sessionId ? "session" : "token",
    capabilities: ROLE_CAPABILITIES[user.role],
    ...(sessionId ? { sessionId } : {}),
  };
  return { principal, requestId: "pinned" };
}

async function audit(
  targetId: string,
): Promise<Array<{ action: string; target_type: string; before: unknown; after: unknown }>> {
  const result = await database.client.execute({
    sql: "SELECT action, target_type, before, after FROM audit_log WHERE target_id = ? ORDER BY at, rowid",
    args: [targetId],
  });
  return result.rows.map((row) => ({
    action: String(row.action),
    target_type: String(row.target_type),
    before: row.before === null ? null : JSON.parse(String(row.before)),
    after: row.after === null ? null : JSON.parse(String(row.after)),
  }));
}

const user = (email: string, role: Role, password?: string) =>
  createUser(deps(), system, { email, role, ...(password ? { password } : {}) });

let admin: UserView;
let withPassword: UserView;

beforeAll(async () => {
  location = await freshTestDatabase();
  database = await openDatabase({ url: location.url, secretKey: location.secretKey });
  credentials = new CredentialLookups(database.db);
  admin = await user("root@example.com", "admin");
  // Password hashing is the slow part: the one user with a password is made once for the file.
  withPassword = await user("pw@example.com", "developer", PASSWORD);
});
afterAll(() => {
  database.close();
  location.dispose();
});

describe("creating users", () => {
  it("normalises the email, names the user after it unless named, and audits without the hash", async () => {
    const created = await createUser(deps(), system, { email: "  New.Person@Example.COM ", role: "viewer" });
    expect(created).toMatchObject({
      email: "new.person@example.com",
      name: "new.person@example.com",
      role: "viewer",
      active: true,
      has_password: false,
      last_seen_at: null,
    });
    const named = await createUser(deps(), system, {
      email: "named@example.com",
      name: "  Ann  ",
      role: "sre",
    });
    expect(named.name).toBe("Ann");
    const blank = await createUser(deps(), system, { email: "blank@example.com", name: "   ", role: "sre" });
    expect(blank.name).toBe("blank@example.com");
    expect(withPassword.has_password).toBe(true);
    const [entry] = await audit(withPassword.id);
    expect(entry?.action).toBe("user.create");
    expect(entry?.target_type).toBe("user");
    expect(entry?.after).toMatchObject({ email: "pw@example.com", role: "developer" });
    expect(entry?.after).not.toHaveProperty("password_hash");
    expect(JSON.stringify(entry)).not.toContain("scrypt");
  });

  it("refuses a taken email (whatever its case) and a password under 10 characters", async () => {
    await expect(user("ROOT@example.com", "viewer")).rejects.toMatchObject({
      status: 409,
      code: "EMAIL_TAKEN",
      message: "A user with email 'root@example.com' already exists",
    });
    await expect(user("short@example.com", "viewer", "123456789")).rejects.toMatchObject({
      status: 422,
      detail: [{ loc: ["body", "password"], msg: "must be at least 10 characters" }],
    });
    await expect(updateUser(deps(), system, admin.id, { password: "123456789" })).rejects.toMatchObject({
      detail: [{ loc: ["body", "password"], msg: "must be at least 10 characters" }],
    });
    await expect(findUser(deps(), "short@example.com")).rejects.toMatchObject({ status: 404 });
    expect((await user("ten@example.com", "viewer", "1234567890")).has_password).toBe(true);
  });

  it("finds a user by id or by email in any case", async () => {
    expect((await findUser(deps(), admin.id)).email).toBe("root@example.com");
    expect((await findUser(deps(), " Root@Example.com")).id).toBe(admin.id);
    await expect(findUser(deps(), "nobody")).rejects.toMatchObject({
      status: 404,
      message: "User 'nobody' not found",
    });
  });

  it("lists users by email, a page at a time", async () => {
    const first = await listUsers(deps(), { limit: 2 });
    const emails = first.items.map((item) => item.email);
    expect(emails).toEqual([...emails].sort());
    expect(first.items).toHaveLength(2);
    expect(first.next_cursor).not.toBeNull();
    const rest = await listUsers(deps(), { limit: 100, cursor: first.next_cursor ?? "" });
    expect(rest.next_cursor).toBeNull();
    const all = [...emails, ...rest.items.map((item) => item.email)];
    expect(all).toEqual([...all].sort());
    expect(new Set(all).size).toBe(all.length);
    expect(all).toContain("root@example.com");
  });
});

describe("the last admin and one's own account", () => {
  it("keeps one active admin, and nobody changes their own role or deactivates or deletes themselves", async () => {
    const self = actorFor(admin);
    await expect(updateUser(deps(), system, admin.id, { role: "viewer" })).rejects.toMatchObject({
      status: 409,
      code: "LAST_ADMIN",
      message: "This is the last active admin: promote another user to admin first",
    });
    await expect(updateUser(deps(), system, admin.id, { active: false })).rejects.toMatchObject({
      code: "LAST_ADMIN",
    });
    await expect(deleteUser(deps(), system, admin.id)).rejects.toMatchObject({ code: "LAST_ADMIN" });
    await expect(updateUser(deps(), self, admin.id, { role: "viewer" })).rejects.toMatchObject({
      status: 403,
      message: "You cannot change your own role",
    });
    await expect(updateUser(deps(), self, admin.id, { active: false })).rejects.toMatchObject({
      status: 403,
      message: "You cannot deactivate yourself",
    });
    await expect(deleteUser(deps(), self, admin.id)).rejects.toMatchObject({
      status: 403,
      message: "You cannot delete yourself",
    });
    // Naming one's own current role, or setting active when active, changes nothing and is allowed.
    expect((await updateUser(deps(), self, admin.id, { role: "admin", active: true })).role).toBe("admin");

    const second = await user("second-admin@example.com", "admin");
    expect((await updateUser(deps(), system, admin.id, { role: "sre" })).role).toBe("sre");
    await expect(updateUser(deps(), system, second.id, { role: "viewer" })).rejects.toMatchObject({
      code: "LAST_ADMIN",
    });
    // Promoting to admin never needs another admin, and an inactive admin is no check at all.
    expect((await updateUser(deps(), system, admin.id, { role: "admin" })).role).toBe("admin");
    expect((await updateUser(deps(), system, second.id, { active: false })).active).toBe(false);
    expect((await updateUser(deps(), system, second.id, { role: "viewer" })).role).toBe("viewer");
    await deleteUser(deps(), system, second.id);
    await expect(findUser(deps(), second.id)).rejects.toMatchObject({ status: 404 });
    expect((await audit(second.id)).at(-1)?.target_type).toBe("user");
    expect((await audit(second.id)).map((entry) => entry.action)).toEqual([
      "user.create",
      "user.deactivate",
      "user.update",
      "user.delete",
    ]);
  });
});

describe("deactivation and password changes", () => {
  it("deactivating revokes tokens and sessions for good; reactivating is audited as such", async () => {
    const member = await user("member@example.com", "developer");
    const { token } = await insertPersonalToken(deps(), system, member.id, { name: "t" });
    expect((await authenticateToken(deps(), token))?.id).toBe(member.id);
    const off = await updateUser(deps(), system, member.id, { active: false, name: "  Gone  " });
    expect(off).toMatchObject({ active: false, name: "Gone" });
    expect(await authenticateToken(deps(), token)).toBeUndefined();
    const on = await updateUser(deps(), system, member.id, { active: true });
    expect(on).toMatchObject({ active: true, name: "Gone", role: "developer" });
    expect(await authenticateToken(deps(), token)).toBeUndefined();
    expect((await listPersonalTokens(deps(), actorFor(on)))[0]?.revoked_at).not.toBeNull();
    expect((await audit(member.id)).map((entry) => entry.action)).toEqual([
      "user.create",
      "user.deactivate",
      "user.activate",
    ]);
  });

  it("a new password ends the user's other sessions but the one that changed it, and is audited as changed", async () => {
    const kept = await login(deps(), { email: "pw@example.com", password: PASSWORD });
    const other = await login(deps(), { email: "pw@example.com", password: PASSWORD });
    const keptSession = await authenticateSession(deps(), kept.secret);
    const self = actorFor(withPassword, keptSession?.principal.sessionId);
    await expect(
      changeMyPassword(deps(), self, {
        current_password: "not the password",
        new_password: "another password",
      }),
    ).rejects.toMatchObject({ status: 403, code: "FORBIDDEN", message: "The current password is wrong" });
    await expect(changeMyPassword(deps(), self, { new_password: "another password" })).rejects.toMatchObject({
      status: 403,
    });
    await expect(
      changeMyPassword(deps(), self, { current_password: PASSWORD, new_password: "short" }),
    ).rejects.toMatchObject({
      status: 422,
      detail: [{ loc: ["body", "new_password"], msg: "must be at least 10 characters" }],
    });
    await changeMyPassword(deps(), self, { current_password: PASSWORD, new_password: "another password" });
    expect(await authenticateSession(deps(), kept.secret)).toBeDefined();
    expect(await authenticateSession(deps(), other.secret)).toBeUndefined();
    const last = (await audit(withPassword.id)).at(-1);
    expect(last?.action).toBe("user.update");
    expect(last?.after).toMatchObject({ password: "[redacted]" });
    // Any other edit leaves sessions alone.
    await updateUser(deps(), system, withPassword.id, { name: "Pat" });
    expect(await authenticateSession(deps(), kept.secret)).toBeDefined();
    // An admin's reset ends every session, the admin's own session being another user's.
    await updateUser(deps(), actorFor(admin, "admin-session"), withPassword.id, { password: PASSWORD });
    expect(await authenticateSession(deps(), kept.secret)).toBeUndefined();
  });

  it("lets a user without a password set one without the current one, and edit their name", async () => {
    const member = await user("nopw@example.com", "viewer");
    await changeMyPassword(deps(), actorFor(member), { new_password: "first password" });
    expect((await findUser(deps(), member.id)).password_hash).toMatch(/^scrypt\$/);
    expect((await updateMe(deps(), actorFor(member), { name: "Nina" })).name).toBe("Nina");
    const edit = (await audit(member.id)).at(-1);
    expect(edit?.after).not.toHaveProperty("password");
  });

  it("refuses profile actions to an API key", () => {
    const key: Actor = {
      principal: { kind: "api_key", id: "k", name: "ci", scope: "ingest", capabilities: new Set() },
      requestId: "pinned",
    };
    expect(() => requireUser(key)).toThrow(
      "This needs a user's token or session; API keys do not belong to a user",
    );
    expect(requireUser(actorFor(admin))).toBe(admin.id);
  });
});

describe("personal tokens", () => {
  it("makes pat_ tokens, lists the caller's own newest first, and revokes only the caller's", async () => {
    const owner = await user("owner@example.com", "sre");
    const stranger = await user("stranger@example.com", "sre");
    const first = await createPersonalToken(deps(), actorFor(owner), { name: "first" });
    const second = await createPersonalToken(deps(), actorFor(owner), {
      name: "second",
      expires_at: new Date(clock.now().getTime() + 60_000).toISOString(),
    });
    await createPersonalToken(deps(), actorFor(stranger), { name: "theirs" });
    expect(first.token).toMatch(/^pat_[0-9a-f]{48}$/);
    expect(first.prefix).toBe(`${first.token.slice(0, 12)}…`);
    expect(first.expires_at).toBeNull();
    const listed = await listPersonalTokens(deps(), actorFor(owner));
    expect(listed.map((token) => token.name)).toEqual(["second", "first"]);
    expect(listed[0]).not.toHaveProperty("token_hash");
    expect(listed[0]).not.toHaveProperty("user_id");
    expect(listed[0]?.expires_at).toBe(second.expires_at);
    await expect(revokePersonalToken(deps(), actorFor(stranger), first.id)).rejects.toMatchObject({
      status: 404,
      message: "Token not found",
    });
    await revokePersonalToken(deps(), actorFor(owner), first.id);
    await expect(revokePersonalToken(deps(), actorFor(owner), first.id)).rejects.toMatchObject({
      status: 404,
    });
    expect(await authenticateToken(deps(), first.token)).toBeUndefined();
    expect((await authenticateToken(deps(), second.token))?.id).toBe(owner.id);
    expect((await audit(first.id)).map((entry) => entry.action)).toEqual(["token.create", "token.revoke"]);
    expect((await audit(first.id)).map((entry) => entry.target_type)).toEqual(["token", "token"]);
  });

  it("refuses an expiry that is not in the future, naming the field", async () => {
    const now = clock.now().getTime();
    await expect(
      insertPersonalToken(deps(), system, admin.id, { name: "x", expires_at: new Date(now).toISOString() }),
    ).rejects.toMatchObject({
      status: 422,
      detail: [{ loc: ["body", "expires_at"], msg: "must be in the future" }],
    });
    const later = new Date(now + 10).toISOString();
    expect(
      (await insertPersonalToken(deps(), system, admin.id, { name: "y", expires_at: later })).expires_at,
    ).toBe(later);
  });
});

describe("API keys", () => {
  it("stores a key with its description, lists newest first a page at a time, and revokes by id or key id", async () => {
    const a = await createApiKey(keyDeps(), system, { name: "a", scope: "ingest" });
    const b = await createApiKey(keyDeps(), system, { name: "b", description: "reads", scope: "read" });
    const c = await createApiKey(keyDeps(), system, { name: "c", scope: "ingest" });
    expect(a).toMatchObject({
      name: "a",
      description: null,
      scope: "ingest",
      last_used_at: null,
      revoked_at: null,
    });
    expect(a.token.startsWith(`sk_acme_${a.key_id}_`)).toBe(true);
    expect(a.prefix).toBe(`${a.token.slice(0, 12)}…`);
    expect(a).not.toHaveProperty("token_hash");
    expect(b.description).toBe("reads");
    const page = await listApiKeys(keyDeps(), { limit: 2 });
    expect(page.items.map((key) => key.name)).toEqual(["c", "b"]);
    expect(page.items[0]).not.toHaveProperty("token_hash");
    const next = await listApiKeys(keyDeps(), { limit: 2, cursor: page.next_cursor ?? "" });
    expect(next.items.map((key) => key.name)).toEqual(["a"]);
    expect(next.next_cursor).toBeNull();
    await revokeApiKey(keyDeps(), system, a.key_id);
    await revokeApiKey(keyDeps(), system, c.id);
    await expect(revokeApiKey(keyDeps(), system, a.id)).rejects.toMatchObject({
      status: 404,
      message: "API key not found",
    });
    expect(await authenticateToken(deps(), a.token)).toBeUndefined();
    expect(await authenticateToken(deps(), b.token)).toMatchObject({
      kind: "api_key",
      id: b.id,
      scope: "read",
    });
    expect((await audit(a.id)).map((entry) => entry.action)).toEqual(["api_key.create", "api_key.revoke"]);
    expect((await audit(a.id)).map((entry) => entry.target_type)).toEqual(["api_key", "api_key"]);
    expect((await audit(a.id))[0]?.after).toMatchObject({ name: "a", scope: "ingest", key_id: a.key_id });
  });
});
