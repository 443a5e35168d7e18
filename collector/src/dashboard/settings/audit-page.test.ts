import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestApp, type TestApp, unique } from "../../testing/test-app.ts";

let t: TestApp;
let cookie = "";

beforeAll(async () => {
  t = await createTestApp();
  await t.call("POST", "/users", {
    email: "auditor@audit.test",
    role: "compliance",
    password: "correct horse battery",
  });
  const login = await t.call(
    "POST",
    "/auth/login",
    { email: "auditor@audit.test", password: "correct horse battery" },
    { token: null },
  );
  cookie = login.headers.get("set-cookie")?.split(";")[0] ?? "";
  for (let i = 0; i < 55; i++) {
    expect((await t.call("POST", "/products", { name: unique("audited") })).status).toBe(201);
  }
});
afterAll(() => t.close());

async function auditPage(query: string) {
  const res = await t.app.request(`/settings/audit${query}`, { headers: { cookie, accept: "text/html" } });
  const html = await res.text();
  return {
    status: res.status,
    actions: [...html.matchAll(/<tr data-action="([^"]+)"/g)].map((match) => match[1]),
    next: html.match(/<a href="([^"]+)" rel="next">/)?.[1]?.replaceAll("&amp;", "&"),
  };
}

it("pages through a filtered audit log 50 entries at a time, keeping the filter", async () => {
  const first = await auditPage("?action=product.");
  expect(first.status).toBe(200);
  expect(first.actions).toHaveLength(50);
  expect(new Set(first.actions)).toEqual(new Set(["product.create"]));
  expect(first.next).toMatch(/^\/settings\/audit\?action=product\.&cursor=/);
  const second = await auditPage((first.next ?? "").replace("/settings/audit", ""));
  expect(second.actions).toHaveLength(5);
  expect(second.next).toBeUndefined();
});

it("answers a date that is not a date with the field at fault", async () => {
  const res = await t.app.request("/settings/audit?until=31/12/2026", {
    headers: { cookie, accept: "text/html" },
  });
  expect(res.status).toBe(422);
  expect(await res.text()).toContain("must be a date (YYYY-MM-DD)");
});
