import { afterAll, beforeAll, expect, it } from "vitest";
import { signVercel, vercelDelivery } from "../../testing/integration-fixtures.ts";
import { signInAs, type TestSession } from "../../testing/sessions.ts";
import { createTestApp, type TestApp, unique } from "../../testing/test-app.ts";

let t: TestApp;
let session: TestSession;

beforeAll(async () => {
  t = await createTestApp();
  session = await signInAs(t, "sre");
});
afterAll(() => t.close());

/** Cookies the collector set on a response, merged into the session's. */
function withCookies(res: Response, cookie: string): string {
  const set = res.headers.getSetCookie().map((line) => line.split(";")[0] ?? "");
  return [cookie, ...set].join("; ");
}

async function open(path: string, cookie = session.cookie) {
  const res = await t.app.request(path, { headers: { cookie, accept: "text/html" } });
  return { status: res.status, html: await res.text(), res };
}

function post(path: string, fields: Record<string, string>) {
  return t.app.request(path, {
    method: "POST",
    headers: { cookie: session.cookie },
    body: new URLSearchParams({ _csrf: session.csrf, ...fields }),
  });
}

it("creates an integration, shows the URL and the secret once, saves the mapping and lists deliveries", async () => {
  const name = unique("vercel");
  const created = await post("/dashboard/settings/integrations", { name, kind: "vercel" });
  expect(created.status).toBe(303);
  const location = created.headers.get("location") ?? "";
  expect(location).toMatch(/^\/settings\/integrations\/[\w-]+\?notice=/);
  const page = `${location.split("?")[0]}`;

  const first = await open(page, withCookies(created, session.cookie));
  expect(first.status).toBe(200);
  const secret = first.html.match(/value="(vsec_[\w-]+)"/)?.[1] ?? "";
  expect(secret).toMatch(/^vsec_/);
  const url = first.html.match(/value="(http[^"]+)"[^>]*data-webhook-url/)?.[1] ?? "";
  expect(url).toMatch(/\/integrations\/vercel\/[\w-]{24}$/);
  // Shown once: the page deletes the cookie as it shows the secret.
  expect(first.res.headers.getSetCookie().join()).toContain("versioner_new_integration_secret=;");
  expect((await open(page)).html).not.toContain(secret);

  const saved = await post(`/dashboard/settings/integrations/${page.split("/").pop()}`, {
    products: "web = storefront\n",
    environments: "preview = staging",
    version_from: "",
  });
  expect(saved.headers.get("location")).toContain("notice=Mapping+saved");
  const bad = await post(`/dashboard/settings/integrations/${page.split("/").pop()}`, {
    products: "no equals sign here",
    environments: "",
  });
  expect(decodeURIComponent((bad.headers.get("location") ?? "").replaceAll("+", " "))).toContain("line 1");

  const signed = signVercel(vercelDelivery({ project: "web", target: null, id: "wh_dashboard" }), secret);
  const delivered = await t.app.request(new URL(url).pathname, { method: "POST", ...signed });
  expect(delivered.status).toBe(200);
  const after = await open(page);
  expect(after.html).toContain("<code>storefront</code>");
  expect(after.html).toContain('data-delivery="wh_dashboard"');
  expect(after.html).toContain("storefront 7f3c9a1e5b2d4c6f8a0b1c2d3e4f5a6b7c8d9e0f → staging (completed)");
});

it("refuses a developer the page", async () => {
  const developer = await signInAs(t, "developer");
  expect((await open("/settings/integrations", developer.cookie)).status).toBe(403);
});
