import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runAdminCommand } from "../operations/admin-command.ts";
import { ADMIN_TOKEN, createTestApp, type TestApp } from "../testing/test-app.ts";
import { bootstrapAdmin } from "./bootstrap.ts";
import { resetUserToken } from "./token-recovery.ts";

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
});
afterEach(() => t.close());

const deps = () => ({ database: t.database, clock: t.clock });

async function signIn(email: string, password: string): Promise<string> {
  const res = await t.app.request("/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  expect(res.status).toBe(200);
  return res.headers.get("set-cookie")?.split(";")[0] ?? "";
}

describe("bootstrap token on a later start", () => {
  it("reports a token that is not the admin's as ignored, and the first start's token as in use", async () => {
    const other = await bootstrapAdmin(deps(), { token: "a-different-token", email: "admin@localhost" });
    expect(other).toEqual({ created: false, ignoredToken: true });
    const same = await bootstrapAdmin(deps(), { token: ADMIN_TOKEN, email: "admin@localhost" });
    expect(same).toEqual({ created: false });
    const none = await bootstrapAdmin(deps(), { email: "admin@localhost" });
    expect(none).toEqual({ created: false });
  });
});

describe("resetting a lost token", () => {
  it("gives the admin a working token, revokes every earlier token and session, and audits it", async () => {
    expect(
      (await t.call("PUT", "/users/me/password", { new_password: "correct horse battery" })).status,
    ).toBe(204);
    const cookie = await signIn("admin@localhost", "correct horse battery");
    const second = (await t.call("POST", "/tokens", { name: "laptop" })).body.token as string;

    const reset = await resetUserToken(deps(), "Admin@Localhost");
    expect(reset).toMatchObject({ email: "admin@localhost", revokedTokens: 2, revokedSessions: 1 });
    expect(reset.token).toMatch(/^pat_[0-9a-f]{48}$/);

    expect((await t.call("GET", "/users/me", undefined, { token: reset.token })).status).toBe(200);
    for (const old of [ADMIN_TOKEN, second]) {
      expect((await t.call("GET", "/users/me", undefined, { token: old })).status).toBe(401);
    }
    const bySession = await t.app.request("/users/me", { headers: { cookie } });
    expect(bySession.status).toBe(401);

    const audit = await t.call("GET", "/audit-log?action=user.reset_token", undefined, {
      token: reset.token,
    });
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0]).toMatchObject({
      action: "user.reset_token",
      target_name: "admin@localhost",
      after: { revoked_sessions: 1 },
    });
    expect(audit.body.items[0].after.revoked_ids).toHaveLength(2);
    expect(JSON.stringify(audit.body)).not.toContain(reset.token);
  });

  it("names the active admins when the email is unknown, and refuses a deactivated user", async () => {
    await expect(resetUserToken(deps(), "nobody@example.com")).rejects.toThrow(
      "No user with email 'nobody@example.com'. Active admins: admin@localhost; pass --email <email>.",
    );
    const user = (await t.call("POST", "/users", { email: "gone@example.com", role: "admin" })).body;
    await t.call("PATCH", `/users/${user.id}`, { active: false });
    await expect(resetUserToken(deps(), "gone@example.com")).rejects.toThrow("is deactivated");
  });
});

describe("server.js admin", () => {
  function capture() {
    const out = { stdout: "", stderr: "" };
    return {
      out,
      io: { stdout: (s: string) => (out.stdout += s), stderr: (s: string) => (out.stderr += s) },
    };
  }

  it("reset-token prints the new token alone on the last line; --email picks the user", async () => {
    await t.call("POST", "/users", { email: "ops@example.com", role: "admin" });
    const { out, io } = capture();
    const code = await runAdminCommand(
      ["reset-token", "--email", "ops@example.com"],
      deps(),
      { adminEmail: "admin@localhost" },
      io,
    );
    expect(code).toBe(0);
    expect(out.stdout).toContain("New token for ops@example.com");
    const token = out.stdout.trim().split("\n").at(-1) ?? "";
    const me = await t.call("GET", "/users/me", undefined, { token });
    expect(me.body.email).toBe("ops@example.com");
    // The admin's own token is untouched: only the named user's tokens are revoked.
    expect((await t.call("GET", "/users/me")).status).toBe(200);
  });

  it("exits 1 with the reason for an unknown user, and 2 with the usage for a wrong command", async () => {
    const unknown = capture();
    expect(
      await runAdminCommand(["reset-token", "--email", "x@y.z"], deps(), { adminEmail: "a@b.c" }, unknown.io),
    ).toBe(1);
    expect(unknown.out.stderr).toContain("No user with email 'x@y.z'");
    for (const args of [[], ["frob"], ["reset-token", "--mail", "x"]]) {
      const wrong = capture();
      expect(await runAdminCommand(args, deps(), { adminEmail: "a@b.c" }, wrong.io), args.join(" ")).toBe(2);
      expect(wrong.out.stderr).toContain("Usage: npm run admin -- reset-token");
    }
  });
});
