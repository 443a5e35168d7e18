import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { defaultPair } from "./pages/diff.tsx";
import { formatDuration, parseMetricsFilters } from "./pages/metrics.tsx";

const PASSWORD = "correct horse battery";
const HTML = { accept: "text/html,application/xhtml+xml" };

let t: TestApp;
let product: string;

async function signIn(fields: Record<string, string>) {
  const res = await t.app.request("/sign-in", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
  expect(res.status).toBe(303);
  return (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
}

async function signInAs(role: string) {
  const email = `${unique(role)}@example.com`;
  const res = await t.call("POST", "/users", { email, name: role, role, password: PASSWORD });
  expect(res.status).toBe(201);
  return signIn({ email, password: PASSWORD });
}

async function page(path: string, cookie: string) {
  const res = await t.app.request(path, { headers: { ...HTML, cookie } });
  return { status: res.status, type: res.headers.get("content-type") ?? "", html: await res.text() };
}

async function deploy(
  name: string,
  version: string,
  environment: string,
  completedAt?: string,
  status = "completed",
) {
  const res = await t.call("POST", "/deployment-events", {
    product_name: name,
    version,
    environment_name: environment,
    status,
    invoke_id: unique("run"),
    scm_sha: `${version.replaceAll(".", "")}`.padEnd(40, "a"),
    scm_repository: `https://github.com/acme/${name}`,
    ...(completedAt
      ? { completed_at: completedAt, scm_committed_at: `${completedAt.slice(0, 10)}T08:00:00Z` }
      : {}),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { deployment_id: string };
}

beforeAll(async () => {
  t = await createTestApp();
  product = unique("dora");
  // Drift: api is ahead in staging, web runs the same version, worker only in staging.
  await deploy("api", "1.0", "production");
  await deploy("api", "1.0", "staging");
  await deploy("api", "1.1", "staging");
  await deploy("web", "2.0", "staging");
  await deploy("web", "2.0", "production");
  await deploy("worker", "0.1", "staging");
  // DORA in production (the same history as insights/dora-api.test.ts).
  await deploy(product, "1.0", "production", "2026-03-02T10:00:00Z");
  await deploy(product, "1.1", "production", "2026-03-03T12:00:00Z");
  await deploy(product, "1.0", "production", "2026-03-03T13:00:00Z");
  await deploy(product, "1.2", "production", "2026-03-04T09:00:00Z", "failed");
  await deploy(product, "1.2", "production", "2026-03-04T09:30:00Z");
});
afterAll(() => t.close());

describe("environment diff page", () => {
  it("shows a viewer what differs, which side is ahead, the compare link and one-sided products", async () => {
    const cookie = await signInAs("viewer");
    const res = await page("/diff", cookie);
    expect(res.status).toBe(200);
    // Defaults: staging vs production (the environment before the first production one).
    expect(res.html).toMatch(/<option value="staging" selected="">staging<\/option>/);
    const row = /<tr><th scope="row"><a href="\/products\/api">api<\/a>.*?<\/tr>/s.exec(res.html)?.[0] ?? "";
    expect(row).toContain(">1.1<");
    expect(row).toContain(">1.0<");
    expect(row).toContain("staging ahead");
    expect(row).toContain('href="https://github.com/acme/api/compare/10aaaaaa');
    expect(res.html).toContain("Only in staging (not in production)");
    expect(res.html).toContain('href="/products/worker"');
    // Same version on both sides: counted, not listed.
    expect(res.html).not.toContain('href="/products/web"');
    expect(res.html).toContain("1 the same");
  });

  it("lives at the API's path too, which keeps answering JSON to API clients", async () => {
    const cookie = await signInAs("billing");
    const res = await page("/environments/production/diff/staging?product=api", cookie);
    expect(res.status).toBe(200);
    expect(res.html).toContain("staging ahead");
    expect(res.html).not.toContain('href="/products/worker"');
    const api = await t.call("GET", "/environments/production/diff/staging");
    expect(api.headers.get("content-type")).toContain("application/json");
    expect(api.body.summary).toMatchObject({ differs: 1, only_in_b: 1, same: 1 });
  });

  it("shows an unknown environment as a 404 page", async () => {
    const cookie = await signIn({ token: ADMIN_TOKEN });
    const res = await page("/diff?a=staging&b=nowhere", cookie);
    expect(res.status).toBe(404);
    expect(res.type).toContain("text/html");
  });
});

describe("DORA metrics page", () => {
  it("renders the four metrics, one chart each and the numbers per bucket", async () => {
    const cookie = await signInAs("viewer");
    const res = await page(
      `/metrics/dora?product=${product}&from=2026-03-02&to=2026-03-08&bucket=day`,
      cookie,
    );
    expect(res.status).toBe(200);
    expect(res.html.match(/<svg role="img"/g)).toHaveLength(4);
    expect(res.html).toContain("4 deployments on 3 days");
    expect(res.html).toContain("2 of 5 deployments (1 failed, 1 rolled back");
    // Lead time samples 1.5 h, 2 h, 4 h: median 2 h.
    expect(res.html).toMatch(/<p class="metric-value">2 h<\/p>/);
    const row = (day: string) =>
      new RegExp(`<tr><th scope="row">${day}</th>(.*?)</tr>`, "s").exec(res.html)?.[1] ?? "";
    expect(row("2026-03-03")).toMatch(/^<td>2<\/td><td>1<\/td>/);
    expect(row("2026-03-04")).toContain("<td>1 of 2</td>");
    expect(row("2026-03-08")).toMatch(/^<td>0<\/td>/);
    expect(res.html).not.toContain("2026-03-09</th>");
  });

  it("reads the dates as local days of the chosen time zone and labels buckets by local date", async () => {
    const cookie = await signInAs("viewer");
    // At UTC+14, 03-02 10:00Z is 03-03 00:00 local and 03-03 12:00Z … 03-04 09:30Z all fall on 03-04.
    const res = await page(
      `/metrics/dora?product=${product}&from=2026-03-02&to=2026-03-08&bucket=day&tz=Pacific/Kiritimati`,
      cookie,
    );
    expect(res.status).toBe(200);
    expect(res.html).toContain("2026-03-02 to 2026-03-08 (Pacific/Kiritimati)");
    const row = (day: string) =>
      new RegExp(`<tr><th scope="row">${day}</th>(.*?)</tr>`, "s").exec(res.html)?.[1] ?? "";
    expect(row("2026-03-02")).toMatch(/^<td>0<\/td>/);
    expect(row("2026-03-03")).toMatch(/^<td>1<\/td><td>1<\/td>/);
    expect(row("2026-03-04")).toMatch(/^<td>3<\/td><td>1<\/td>/);
  });

  it("sends a window that ends before it starts back to the form", async () => {
    const cookie = await signInAs("developer");
    const res = await page("/metrics/dora?from=2026-03-08&to=2026-03-01", cookie);
    expect(res.status).toBe(200);
    expect(res.html).toContain('role="alert"');
    expect(res.html).toContain("must be before");
    expect(res.html).not.toContain("<svg");
  });
});

describe("page helpers", () => {
  it("compare the environment before the first production one with it", () => {
    const env = (name: string, type: string) => ({ name, type }) as Parameters<typeof defaultPair>[0][number];
    expect(
      defaultPair([env("dev", "development"), env("stage", "staging"), env("prod", "production")]),
    ).toEqual(["stage", "prod"]);
    expect(defaultPair([env("a", "development"), env("b", "testing")])).toEqual(["a", "b"]);
    expect(defaultPair([env("prod", "production"), env("prod-eu", "production")])).toEqual([
      "prod",
      "prod-eu",
    ]);
    expect(defaultPair([env("only", "production")])).toBeNull();
  });

  it("read whole days, `to` included, and default to the last 90 days per week", () => {
    const now = new Date("2026-11-29T18:00:00Z");
    expect(parseMetricsFilters({}, now)).toEqual({
      product: "",
      environment: "",
      team: "",
      from: "2026-09-01",
      to: "2026-11-29",
      bucket: "week",
      tz: "UTC",
    });
    expect(parseMetricsFilters({ from: "2026-13-45", to: "x", bucket: "year" }, now)).toMatchObject({
      from: "2026-09-01",
      to: "2026-11-29",
      bucket: "week",
    });
  });

  it("format durations in the unit a person reads", () => {
    expect([null, 42, 720, 5400, 7200, 36_000, 190_000].map(formatDuration)).toEqual([
      "—",
      "42 s",
      "12 min",
      "1.5 h",
      "2 h",
      "10 h",
      "2.2 d",
    ]);
  });
});

describe("rollbacks on deployment pages", () => {
  it("marks a rollback with the version it replaced, and the replaced deployment as rolled back", async () => {
    const cookie = await signInAs("viewer");
    const name = unique("rb");
    await deploy(name, "1.0.0", "production");
    const replaced = await deploy(name, "2.0.0", "production");
    const back = await deploy(name, "1.0.0", "production");
    const rollback = await page(`/deployments/${back.deployment_id}`, cookie);
    expect(rollback.html).toContain("rollback from");
    expect(rollback.html).toContain(`href="/deployments/${replaced.deployment_id}"`);
    const replacedPage = await page(`/deployments/${replaced.deployment_id}`, cookie);
    expect(replacedPage.html).toContain(`href="/deployments/${back.deployment_id}">rolled back</a>`);
    const list = await page(`/deployments?product=${name}`, cookie);
    expect(list.html).toContain("rollback from");
    const matrix = await page(`/?product=${name}`, cookie);
    expect(matrix.html).toContain("rolled back from 2.0.0");
  });
});
