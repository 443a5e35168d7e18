import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CAPABILITY_ROLES, type Capability, ROLES, type Role } from "../../auth/capabilities.ts";
import { createTestApp, type TestApp } from "../../testing/test-app.ts";
import { SETTINGS_SECTIONS } from "./settings-layout.tsx";

// Every form post of the settings pages with the capability it needs. A role without it gets 403
// before anything runs; the bodies are empty, so a role with it gets a validation error or a 404.
const ACTIONS: Array<[string, Capability]> = [
  ["/dashboard/settings/users", "users.manage"],
  ["/dashboard/settings/users/nobody", "users.manage"],
  ["/dashboard/settings/api-keys", "api_keys.manage"],
  ["/dashboard/settings/api-keys/nobody/revoke", "api_keys.manage"],
  ["/dashboard/settings/tokens", "tokens.create"],
  ["/dashboard/settings/tokens/nobody/revoke", "tokens.create"],
  ["/dashboard/settings/notifications", "notifications.manage"],
  ["/dashboard/settings/notifications/nobody", "notifications.manage"],
  ["/dashboard/settings/notifications/nobody/enabled", "notifications.manage"],
  ["/dashboard/settings/notifications/nobody/delete", "notifications.manage"],
  ["/dashboard/settings/notifications/nobody/test", "notifications.manage"],
  ["/dashboard/settings/notifications/deliveries/nobody/replay", "notifications.manage"],
  ["/dashboard/settings/integrations", "integrations.manage"],
  ["/dashboard/settings/integrations/nobody", "integrations.manage"],
  ["/dashboard/settings/integrations/nobody/secret", "integrations.manage"],
  ["/dashboard/settings/integrations/nobody/rotate", "integrations.manage"],
  ["/dashboard/settings/integrations/nobody/enabled", "integrations.manage"],
  ["/dashboard/settings/integrations/nobody/delete", "integrations.manage"],
  ["/dashboard/settings/variables", "variables.manage"],
  ["/dashboard/settings/variables/nobody", "variables.manage"],
  ["/dashboard/settings/variables/nobody/delete", "variables.manage"],
  ["/dashboard/settings/buttons", "variables.manage"],
  ["/dashboard/settings/buttons/nobody", "variables.manage"],
  ["/dashboard/settings/buttons/nobody/delete", "variables.manage"],
];

let t: TestApp;
const sessions = {} as Record<Role, { cookie: string; csrf: string }>;

beforeAll(async () => {
  t = await createTestApp();
  for (const role of ROLES) {
    const email = `${role}@settings.test`;
    expect((await t.call("POST", "/users", { email, role, password: "correct horse battery" })).status).toBe(
      201,
    );
    const login = await t.call(
      "POST",
      "/auth/login",
      { email, password: "correct horse battery" },
      { token: null },
    );
    sessions[role] = {
      cookie: login.headers.get("set-cookie")?.split(";")[0] ?? "",
      csrf: login.body.csrf_token,
    };
  }
});
afterAll(() => t.close());

function page(role: Role, path: string) {
  return t.app.request(path, { headers: { cookie: sessions[role].cookie, accept: "text/html" } });
}

function post(role: Role, path: string, csrf = sessions[role].csrf) {
  return t.app.request(path, {
    method: "POST",
    headers: { cookie: sessions[role].cookie },
    body: new URLSearchParams({ _csrf: csrf }),
  });
}

const holds = (role: Role, capability: Capability) => CAPABILITY_ROLES[capability].includes(role);

describe.each(ROLES)("settings for %s", (role) => {
  it("lists exactly the pages the role may open, and only those open", async () => {
    const index = await (await page(role, "/settings")).text();
    const nav = index.match(/<nav aria-label="Settings"[\s\S]*?<\/nav>/)?.[0] ?? "";
    const listed = [...nav.matchAll(/href="([^"]+)"/g)].map((match) => match[1]);
    expect(listed).toEqual(SETTINGS_SECTIONS.filter((s) => holds(role, s.capability)).map((s) => s.href));
    for (const section of SETTINGS_SECTIONS) {
      const res = await page(role, section.href);
      expect(res.status, section.href).toBe(holds(role, section.capability) ? 200 : 403);
    }
  });

  it("refuses every settings form post the role may not make, before it runs", async () => {
    for (const [path, capability] of ACTIONS) {
      const res = await post(role, path);
      if (holds(role, capability)) expect(res.status, path).not.toBe(403);
      else expect(res.status, path).toBe(403);
    }
  });
});

it("refuses a settings post without the session's CSRF token, even from an admin", async () => {
  const before = (await t.call("GET", "/api-keys")).body.items.length;
  const res = await t.app.request("/dashboard/settings/api-keys", {
    method: "POST",
    headers: { cookie: sessions.admin.cookie },
    body: new URLSearchParams({ _csrf: "forged", name: "ci" }),
  });
  expect(res.status).toBe(403);
  expect((await t.call("GET", "/api-keys")).body.items.length).toBe(before);
});

it("shows a new API key once: the redirect's page shows it, the next view does not", async () => {
  const created = await t.app.request("/dashboard/settings/api-keys", {
    method: "POST",
    headers: { cookie: sessions.admin.cookie },
    body: new URLSearchParams({ _csrf: sessions.admin.csrf, name: "once", scope: "ingest" }),
  });
  expect(created.status).toBe(303);
  const flash = created.headers.get("set-cookie")?.split(";")[0] ?? "";
  const first = await t.app.request("/settings/api-keys", {
    headers: { cookie: `${sessions.admin.cookie}; ${flash}`, accept: "text/html" },
  });
  const html = await first.text();
  const key = html.match(/value="(sk_[^"]+)"/)?.[1];
  expect(key).toBeDefined();
  // The page deletes the cookie as it shows the key; only a hash of the key is stored.
  expect(first.headers.get("set-cookie")).toMatch(/versioner_new_api_key=;/);
  const again = await (await page("admin", "/settings/api-keys")).text();
  expect(again).not.toContain(key);
});
