/// <reference lib="dom" />
// Page functions passed to page.evaluate run in the browser: the DOM types describe them.
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "../support/browser.ts";
import {
  api,
  createUser as createUserWith,
  type RunningCollector,
  startCollector,
} from "../support/collector.ts";

const require = createRequire(import.meta.url);
const AXE_SOURCE = require.resolve("axe-core/axe.min.js");
const PASSWORD = "correct horse battery";
// Set DASHBOARD_SCREENSHOTS=<dir> to keep screenshots of every page checked (light and dark).
const SCREENSHOTS = process.env.DASHBOARD_SCREENSHOTS;

// One collector per file, seeded once (starting one per test would dominate the run time); the
// tests read that seed and the later ones add to it, so they run in the order written.
let collector: RunningCollector;
let browser: Browser;

const createUser = (email: string, role: string) => createUserWith(collector, email, role, PASSWORD);

async function deploy(
  product: string,
  version: string,
  environment: string,
  status = "completed",
  by = "ana",
) {
  const res = await api(collector, "POST", "/deployment-events", {
    product_name: product,
    version,
    environment_name: environment,
    status,
    deployed_by: by,
    scm_sha: `${version.replace(/\D/g, "").padEnd(7, "0")}abcdef0123456789abcdef0123456789`.slice(0, 40),
    scm_repository: `https://github.com/acme/${product}`,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { deployment_id: string; version_id: string };
}

/** A browser context signed in as `email` through the sign-in form. */
async function signedIn(email: string, colorScheme: "light" | "dark" = "light") {
  const context = await browser.newContext({ colorScheme, viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${collector.url}/`);
  await page.waitForURL(/\/sign-in/);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/sign-in"));
  return { context, page };
}

/** Runs axe-core in the page; fails on any serious or critical violation. */
async function expectAccessible(page: Page) {
  await page.addScriptTag({ path: AXE_SOURCE });
  const violations = await page.evaluate(async () => {
    const result = await (
      window as unknown as {
        axe: {
          run(): Promise<{
            violations: Array<{ id: string; impact: string; nodes: Array<{ target: unknown }> }>;
          }>;
        };
      }
    ).axe.run();
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${JSON.stringify(v.nodes.slice(0, 3).map((n) => n.target))}`);
  });
  expect(violations, `axe on ${page.url()}`).toEqual([]);
}

async function screenshot(page: Page, name: string) {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

beforeAll(async () => {
  collector = await startCollector();
  browser = await launchBrowser();
  await createUser("lead@example.com", "admin");
  await createUser("viewer@example.com", "viewer");
  for (const [name, team] of [
    ["payments", "money"],
    ["storefront", "web"],
    ["inventory", "ops"],
  ] as const) {
    const res = await api(collector, "POST", "/products", { name, extra_metadata: { team } });
    expect(res.status).toBe(201);
  }
  await deploy("payments", "3.2.15", "staging");
  await deploy("payments", "3.2.15", "production");
  const build = await api(collector, "POST", "/build-events", {
    product_name: "payments",
    version: "3.2.17",
    status: "completed",
  });
  expect(build.status).toBe(200);
  await deploy("payments", "3.2.17", "development");
  await deploy("storefront", "1.0.0", "development");
  await deploy("storefront", "1.0.0", "staging");
  await deploy("storefront", "1.0.0", "production");
  await deploy("inventory", "6.2.1", "development");
  await deploy("inventory", "6.1.5", "staging");
  await deploy("inventory", "6.2.1", "staging", "failed");
  await deploy("inventory", "6.3.0", "development", "started");
});

afterAll(async () => {
  await browser?.close();
  await collector?.stop();
});

describe("dashboard", () => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    ({ context, page } = await signedIn("lead@example.com"));
  });
  afterAll(async () => {
    await context?.close();
  });

  it("has an accessible sign-in page", async () => {
    const signedOut = await browser.newContext();
    try {
      const fresh = await signedOut.newPage();
      await fresh.goto(`${collector.url}/products/payments`);
      expect(new URL(fresh.url()).pathname).toBe("/sign-in");
      await expectAccessible(fresh);
      await screenshot(fresh, "sign-in");
    } finally {
      await signedOut.close();
    }
  });

  it("signs in with email and password and shows the user and role", async () => {
    await expect.poll(() => page.locator(".who .user").textContent()).toBe("lead@example.com");
    expect(await page.locator(".who .role").textContent()).toBe("admin");
  });

  it("shows the matrix with drift highlighted and the failed cell marked", async () => {
    const payments = page.locator('tr[data-product="payments"]');
    await expect.poll(() => payments.getAttribute("class")).toBe("drift");
    expect(await page.locator('tr[data-product="storefront"]').getAttribute("class")).toBeNull();
    const failed = page.locator('tr[data-product="inventory"] td[data-environment="staging"]');
    expect(await failed.getAttribute("class")).toContain("failed");
    expect(await failed.locator(".mark-failed").textContent()).toContain("✗ 6.2.1");
    expect(await failed.locator(".version").textContent()).toBe("6.1.5");
    const deploying = page.locator('tr[data-product="inventory"] td[data-environment="development"]');
    expect(await deploying.locator(".mark-progress").textContent()).toContain("▶ 6.3.0");
    expect(await deploying.locator(".version").textContent()).toBe("6.2.1");
    expect(await page.locator(".banner-failed").textContent()).toContain(
      "inventory last deployment failed in staging",
    );
    expect(await page.locator("thead th").nth(1).textContent()).toMatch(/development.*active just now/);
    await expectAccessible(page);
    await screenshot(page, "matrix-light");
  });

  it("shows a deployment sent over HTTP without a reload", async () => {
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    await expect.poll(() => page.evaluate(() => document.querySelector("#matrix") !== null)).toBe(true);
    // The page's SSE connection is open once the collector has a listener: wait for its "ready".
    await page.waitForFunction(() => document.documentElement.dataset.live === "connected");
    await deploy("storefront", "1.1.0", "development", "completed", "bo");
    const cell = page.locator('tr[data-product="storefront"] td[data-environment="development"] .version');
    await expect.poll(() => cell.textContent(), { timeout: 2000, interval: 50 }).toBe("1.1.0");
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
  });

  it("keeps filters in the URL and remembers them across a reload and a bare visit", async () => {
    await page.getByLabel("Team").selectOption("money");
    await page.waitForURL(/team=money/);
    await expect.poll(() => page.locator("tbody tr").count()).toBe(1);
    await page.reload();
    expect(await page.locator("tbody tr").count()).toBe(1);
    expect(await page.getByLabel("Team").inputValue()).toBe("money");
    await page.goto(`${collector.url}/`);
    await page.waitForURL(/team=money/);
    expect(await page.locator('tr[data-product="payments"]').count()).toBe(1);
    await page.getByRole("link", { name: "Clear filters" }).click();
    await page.waitForURL((url) => url.search === "");
    expect(await page.locator("tbody tr").count()).toBe(3);
  });

  it("keeps JSON and 401s for API clients on the same paths", async () => {
    const anonymous = await fetch(`${collector.url}/products`);
    expect(anonymous.status).toBe(401);
    const anonymousBrowser = await fetch(`${collector.url}/products`, {
      headers: { accept: "text/html" },
      redirect: "manual",
    });
    expect(anonymousBrowser.status).toBe(302);
    expect(anonymousBrowser.headers.get("location")).toBe("/sign-in?next=%2Fproducts");
    const json = await api(collector, "GET", "/products", undefined, {
      accept: "text/html,application/json",
    });
    expect(json.headers.get("content-type")).toContain("application/json");
  });
});

describe("dashboard pages", () => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    ({ context, page } = await signedIn("lead@example.com", "dark"));
  });
  afterAll(async () => {
    await context?.close();
  });

  async function open(path: string, screenshotName: string) {
    const res = await page.goto(`${collector.url}${path}`);
    expect(res?.status(), path).toBe(200);
    await expectAccessible(page);
    await screenshot(page, screenshotName);
    return page;
  }

  it("matrix in dark mode is accessible too", async () => {
    await open("/", "matrix-dark");
    expect(await page.locator('tr[data-product="payments"]').getAttribute("class")).toBe("drift");
  });

  it("products list, product page with versions, compare links, history and masked secrets", async () => {
    const secret = await api(collector, "POST", "/products/payments/variables", {
      key: "deploy_token",
      value: "s3cr3t-value",
      secret: true,
    });
    expect(secret.status, JSON.stringify(secret.body)).toBe(201);
    const button = await api(collector, "POST", "/deployment-buttons", {
      product_name: "payments",
      name: "Promote",
      url_template: "https://ci.example.com/deploy?v={vi_version}&env={vi_environment_name}",
    });
    expect(button.status, JSON.stringify(button.body)).toBe(201);
    await open("/products", "products");
    expect(await page.locator("tbody th a").allTextContents()).toEqual([
      "inventory",
      "payments",
      "storefront",
    ]);
    await open("/products/payments", "product");
    const versions = await page.locator("table").nth(1).locator("tbody tr").allTextContents();
    expect(versions[0]).toContain("3.2.17");
    expect(versions[0]).toContain("development");
    expect(await page.getByRole("link", { name: "Compare with 3.2.15" }).getAttribute("href")).toMatch(
      /^https:\/\/github\.com\/acme\/payments\/compare\/3215000abc.*\.\.\.3217000abc/,
    );
    // Deployment buttons: from development (3.2.17) onwards to the next environments.
    const promote = page.locator("tr", { hasText: "development" }).getByRole("link", { name: /Promote/ });
    expect(await promote.first().getAttribute("href")).toBe(
      "https://ci.example.com/deploy?v=3.2.17&env=staging",
    );
    const history = await page.locator(".timeline li").allTextContents();
    expect(history).toHaveLength(4);
    expect(history[0]).toContain("3.2.17 to development by ana");
    expect(history[1]).toContain("build of 3.2.17");
    const main = await page.locator("main").textContent();
    expect(main).toContain("deploy_token");
    expect(main).not.toContain("s3cr3t-value");
    expect(main).toContain("team");
  });

  it("creates, edits, renames and deletes a product with confirmation", async () => {
    await page.goto(`${collector.url}/products`);
    await page.locator("summary", { hasText: "New product" }).click();
    await page.getByLabel("Name").fill("billing");
    await page.getByLabel(/Metadata/).fill("team = money\ntier = 1");
    await page.getByRole("button", { name: "Create product" }).click();
    await page.waitForURL(/\/products\/billing/);
    expect(await page.locator(".flash-notice").textContent()).toBe("Created billing");
    const product = await api(collector, "GET", "/products/billing");
    expect(product.body.extra_metadata).toEqual({ team: "money", tier: 1 });

    await page.getByLabel(/^Name/).fill("billing-api");
    await page.getByLabel("Description").fill("Invoices");
    await page.getByRole("button", { name: "Save" }).click();
    await page.waitForURL(/\/products\/billing-api/);
    expect(await page.locator(".lead").textContent()).toBe("Invoices");

    await page.getByLabel(/to confirm/).fill("wrong");
    await page.getByRole("button", { name: "Delete billing-api" }).click();
    await page.waitForURL(/error=/);
    expect(await page.locator(".flash-error").textContent()).toContain("removes all its versions");
    await page.getByLabel(/to confirm/).fill("billing-api");
    await page.getByRole("button", { name: "Delete billing-api" }).click();
    await page.waitForURL(/\/products\?notice=/);
    expect((await api(collector, "GET", "/products/billing-api")).status).toBe(404);
  });

  it("version page lists builds, where it runs and its deployments", async () => {
    const build = await api(collector, "POST", "/build-events", {
      product_name: "payments",
      version: "3.2.15",
      status: "completed",
      build_number: "815",
      build_url: "https://ci.example.com/815",
    });
    expect(build.status).toBe(200);
    await open(`/versions/${build.body.version_id}`, "version");
    expect(await page.locator("h1").textContent()).toBe("payments 3.2.15");
    expect(await page.getByRole("link", { name: "815" }).getAttribute("href")).toBe(
      "https://ci.example.com/815",
    );
    const runs = await page.locator("section", { hasText: "Where it runs" }).locator("li").allTextContents();
    expect(runs.map((r) => r.split(" ")[0])).toEqual(["staging", "production"]);
    expect(await page.locator("table").last().locator("tbody tr").count()).toBe(2);
  });

  it("environments: create, reorder within a type, edit; environment page shows what runs there", async () => {
    await page.goto(`${collector.url}/environments`);
    await page.locator("summary", { hasText: "New environment" }).click();
    await page.getByLabel("Name", { exact: true }).first().fill("production-eu");
    await page.getByRole("button", { name: "Create environment" }).click();
    await page.waitForURL(/notice=/);
    expect(await page.locator(".flash-notice").textContent()).toBe("Created production-eu (production)");
    const names = () => page.locator("tbody th a").allTextContents();
    expect(await names()).toEqual(["development", "staging", "production", "production-eu"]);
    await page.getByRole("button", { name: "Move production-eu up" }).click();
    await page.waitForURL(/environments/);
    await expect.poll(names).toEqual(["development", "staging", "production-eu", "production"]);
    await expectAccessible(page);
    await screenshot(page, "environments");

    await open("/environments/staging", "environment");
    const rows = await page.locator("table").first().locator("tbody tr").allTextContents();
    expect(rows.join("|")).toContain("inventory6.1.5");
    expect(rows.join("|")).toContain("payments3.2.15");
  });

  it("deployments: filtered list with pages, and the page of one deployment", async () => {
    await open("/deployments?status=failed", "deployments");
    expect(await page.locator("tbody tr").count()).toBe(1);
    expect(await page.locator("tbody tr").textContent()).toContain("inventory");
    await page.getByLabel("Status").selectOption("");
    await page.getByLabel("Environment").selectOption("staging");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/environment=staging/);
    expect(await page.locator("tbody tr").count()).toBe(4);

    const failed = await api(collector, "GET", "/deployments?status=failed");
    const id = failed.body.items[0].id as string;
    await open(`/deployments/${id}`, "deployment");
    expect(await page.locator("h1").textContent()).toBe("inventory 6.2.1 → staging");
    expect(await page.locator("main").textContent()).toContain("failed");
    // The job-summary link of the action: the same path answers JSON to API clients.
    const json = await api(collector, "GET", `/deployments/${id}`);
    expect(json.body.version).toBe("6.2.1");
  });

  it("releases list and the progress grid of one release", async () => {
    const release = await api(collector, "POST", "/releases", {
      name: "spring",
      target_environments: ["production"],
    });
    expect(release.status, JSON.stringify(release.body)).toBe(201);
    for (const [product_name, version] of [
      ["payments", "3.2.15"],
      ["inventory", "6.2.1"],
    ]) {
      const added = await api(collector, "POST", "/releases/spring/versions", { product_name, version });
      expect(added.status, JSON.stringify(added.body)).toBe(201);
    }
    await open("/releases", "releases");
    expect(await page.locator("tbody th").allTextContents()).toEqual(["spring"]);
    await open("/releases/spring", "release");
    const cell = (product: string, env: string) =>
      page.locator(`tr[data-product="${product}"] td[data-environment="${env}"]`).getAttribute("class");
    expect(await cell("payments", "production")).toContain("progress-deployed");
    expect(await cell("inventory", "staging")).toContain("progress-failed");
    expect(await cell("inventory", "production")).toContain("progress-not_deployed");
    expect(await page.locator(".release-summary").textContent()).toContain("1 of 2 target cells deployed");
    // The grid follows deployments live, like the matrix.
    await page.waitForFunction(() => document.documentElement.dataset.live === "connected");
    await deploy("inventory", "6.2.1", "production");
    await expect
      .poll(() => cell("inventory", "production"), { timeout: 2000, interval: 50 })
      .toContain("progress-deployed");
  });

  it("settings shows the account and its permissions", async () => {
    await open("/settings", "settings");
    expect(await page.locator("main").textContent()).toContain("users.manage allowed");
  });
});

describe("dashboard for a viewer", () => {
  it("shows no write controls and refuses a forged write", async () => {
    const { context, page } = await signedIn("viewer@example.com");
    try {
      expect(await page.locator(".who .role").textContent()).toBe("viewer");
      for (const path of ["/products", "/products/payments", "/environments"]) {
        await page.goto(`${collector.url}${path}`);
        expect(await page.locator("main form[method=post], main button").count(), path).toBe(0);
      }
      const csrf = await page.locator('header input[name="_csrf"]').inputValue();
      const forged = await page.evaluate(
        async ({ csrf }) => {
          const body = new URLSearchParams({ _csrf: csrf, name: "forged" });
          const res = await fetch("/dashboard/products", { method: "POST", body, redirect: "manual" });
          return res.status;
        },
        { csrf },
      );
      expect(forged).toBe(403);
      const viaApi = await page.evaluate(async (csrf) => {
        const res = await fetch("/products", {
          method: "POST",
          headers: { "content-type": "application/json", "x-csrf-token": csrf },
          body: JSON.stringify({ name: "forged" }),
        });
        return res.status;
      }, csrf);
      expect(viaApi).toBe(403);
      expect((await api(collector, "GET", "/products/forged")).status).toBe(404);
    } finally {
      await context.close();
    }
  });
});

describe("dashboard and shutdown", () => {
  it("ends open live streams so the collector stops cleanly", async () => {
    const own = await startCollector();
    const context = await browser.newContext();
    try {
      const created = await api(own, "POST", "/users", {
        email: "solo@example.com",
        name: "solo",
        role: "viewer",
        password: PASSWORD,
      });
      expect(created.status).toBe(201);
      const page = await context.newPage();
      await page.goto(`${own.url}/sign-in`);
      await page.getByLabel("Email").fill("solo@example.com");
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
      await page.waitForFunction(() => document.documentElement.dataset.live === "connected");
      // Without ending the stream, server.close() would wait for the shutdown timeout and exit 1.
      expect(await own.stop()).toBe(0);
    } finally {
      await context.close();
    }
  });
});
