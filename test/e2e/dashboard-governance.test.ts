import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, seriousAccessibilityViolations, signInAs } from "../support/browser.ts";
import {
  api,
  createUser as createUserWith,
  type RunningCollector,
  startCollector,
} from "../support/collector.ts";

const PASSWORD = "correct horse battery";
// Set DASHBOARD_SCREENSHOTS=<dir> to keep a screenshot of every governance page checked.
const SCREENSHOTS = process.env.DASHBOARD_SCREENSHOTS;

let collector: RunningCollector;
let browser: Browser;
let versionId: string;

const createUser = (email: string, role: string) => createUserWith(collector, email, role, PASSWORD);

async function deploy(product: string, version: string, environment: string) {
  const res = await api(collector, "POST", "/deployment-events", {
    product_name: product,
    version,
    environment_name: environment,
    status: "completed",
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { version_id: string };
}

/** Opens a page, expects a 200 and no serious or critical axe-core violation; keeps a screenshot when asked. */
async function open(page: Page, path: string, name: string) {
  const res = await page.goto(`${collector.url}${path}`);
  expect(res?.status(), path).toBe(200);
  expect(await seriousAccessibilityViolations(page), `axe on ${path}`).toEqual([]);
  await shoot(page, name);
}

async function shoot(page: Page, name: string) {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `governance-${name}.png`), fullPage: true });
}

beforeAll(async () => {
  collector = await startCollector();
  browser = await launchBrowser();
  await createUser("rm@example.com", "release_manager");
  await createUser("qa@example.com", "qa");
  await createUser("viewer@example.com", "viewer");
  await deploy("shop", "1.0.0", "staging");
  await deploy("shop", "1.0.0", "production");
  versionId = (await deploy("shop", "1.1.0", "staging")).version_id;
  await deploy("billing", "2.0.0", "production");
  const rule = await api(collector, "POST", "/rules", {
    name: "QA sign-off",
    type: "version_approval",
    scope: { products: ["shop"], environments: ["production"] },
    settings: { required_types: ["qa"] },
    description: "QA approves what goes to production",
  });
  expect(rule.status, JSON.stringify(rule.body)).toBe(201);
});

afterAll(async () => {
  await browser?.close();
  await collector?.stop();
});

describe("governance in the dashboard as a release manager", () => {
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    ({ context, page } = await signedIn("rm@example.com"));
  });
  afterAll(async () => {
    await context?.close();
  });

  it("lists the rules with their mode, and switches one to report-only", async () => {
    await page
      .getByRole("navigation", { name: "Sections" })
      .getByRole("link", { name: "Governance" })
      .click();
    await page.waitForURL(/\/rules$/);
    const row = page.locator('tr[data-rule="QA sign-off"]');
    await expect(row.getByLabel("Mode of QA sign-off", { exact: true }).inputValue()).resolves.toBe(
      "enabled",
    );
    await row.getByLabel("Mode of QA sign-off", { exact: true }).selectOption("report_only");
    await row.getByRole("button", { name: "Set the mode of QA sign-off" }).click();
    await page.waitForURL(/notice=Saved/);
    const saved = await api(collector, "GET", "/rules");
    expect(saved.body.items ?? saved.body).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: "QA sign-off", mode: "report_only" })]),
    );
    await open(page, "/rules", "rules");
  });

  it("creates a rule from the form, refusing bad settings with the field named", async () => {
    await page.locator("summary", { hasText: "New rule" }).click();
    const form = page.locator("details", { hasText: "New rule" });
    await form.getByLabel("Name", { exact: true }).fill("No Friday deploys");
    await form.getByLabel("Type").selectOption("schedule");
    await form.getByLabel("Environments").fill("production");
    await form
      .getByLabel("Settings (JSON)")
      .fill('{"recurrence": "weekly", "start": "25:00", "end": "23:59"}');
    await form.getByRole("button", { name: "Create rule" }).click();
    await page.waitForURL(/error=/);
    expect(await page.getByRole("alert").textContent()).toContain("settings");

    await page.locator("summary", { hasText: "New rule" }).click();
    await form.getByLabel("Name", { exact: true }).fill("No Friday deploys");
    await form.getByLabel("Type").selectOption("schedule");
    await form.getByLabel("Environments").fill("production");
    await form
      .getByLabel("Settings (JSON)")
      .fill(
        '{"recurrence": "weekly", "timezone": "UTC", "days_of_week": [5], "start": "12:00", "end": "23:59"}',
      );
    await form.getByRole("button", { name: "Create rule" }).click();
    await page.waitForURL(/notice=Created/);
    await expect(page.locator('tr[data-rule="No Friday deploys"]').textContent()).resolves.toContain(
      "schedule",
    );
    await page.locator('tr[data-rule="No Friday deploys"]').getByRole("link").click();
    await page.waitForURL(/\/rules\/[^/]+$/);
    expect(await page.getByLabel("Settings (JSON)").inputValue()).toContain('"days_of_week"');
    await shoot(page, "rule-edit");
    await page.getByRole("button", { name: "Delete rule" }).click();
    await page.waitForURL(/notice=Deleted/);
  });

  it("locks production for one product; the matrix marks it; the check says blocked; unlock clears it", async () => {
    await page.goto(`${collector.url}/rules`);
    await page.locator("summary", { hasText: "Lock an environment" }).click();
    const form = page.locator("details", { hasText: "Lock an environment" });
    await form.getByLabel("Environment").fill("production");
    await form.getByLabel(/^Product/).selectOption("shop");
    await form.getByLabel("Reason").fill("database migration");
    await form.getByRole("button", { name: "Lock" }).click();
    await page.waitForURL(/notice=Locked/);
    expect(await page.locator('tr[data-lock="production/shop"]').textContent()).toContain(
      "database migration",
    );

    await open(page, "/", "matrix-locked");
    const cell = page.locator('tr[data-product="shop"] td[data-environment="production"]');
    await expect(cell.getAttribute("class")).resolves.toContain("locked");
    expect(await cell.locator(".mark-locked").getAttribute("title")).toContain("database migration");
    const other = page.locator('tr[data-product="billing"] td[data-environment="production"]');
    expect(await other.locator(".mark-locked").count()).toBe(0);

    await cell.getByRole("link", { name: "May I deploy shop to production?" }).click();
    await page.waitForURL(/\/preflight\?/);
    // The cell names product and environment; the version asked about is the newest one.
    expect(await page.getByLabel("Version").inputValue()).toBe("1.1.0");
    const answer = page.locator(".preflight-answer");
    expect(await answer.getAttribute("data-allowed")).toBe("false");
    expect(await answer.textContent()).toContain("ENVIRONMENT_LOCKED");
    await open(page, page.url().replace(collector.url, ""), "preflight-blocked");

    await page.goto(`${collector.url}/rules`);
    await page.getByRole("button", { name: "Unlock production for shop" }).click();
    await page.waitForURL(/notice=Unlocked/);
    await page.goto(`${collector.url}/preflight?product=shop&environment=production&version=1.1.0`);
    const after = page.locator(".preflight-answer");
    expect(await after.getAttribute("data-allowed"), (await after.textContent()) ?? "").toBe("true");
    // The report-only approval rule is listed as a warning, not a block.
    expect(await page.locator(".preflight-answer").textContent()).toContain("QA sign-off");
    await shoot(page, "preflight-allowed");
  });

  it("creates a deployment request, submits it and decides a slot", async () => {
    await open(page, "/deployment-requests", "requests-empty");
    await page.locator("summary", { hasText: "New deployment request" }).click();
    const form = page.locator("details", { hasText: "New deployment request" });
    await form.getByLabel(/^Product/).selectOption("shop");
    await form.getByLabel("Version", { exact: true }).fill("1.1.0");
    await form.getByLabel("Environment", { exact: true }).fill("production");
    await form.getByLabel(/^Name/).fill("Shop 1.1 to production");
    await form.getByLabel("qa", { exact: true }).check();
    await form.getByLabel("security", { exact: true }).check();
    await form.getByRole("button", { name: "Create request" }).click();
    await page.waitForURL(/\/deployment-requests\/[^/?]+\?notice=Created/);
    await page.getByRole("button", { name: "Submit for approval" }).click();
    await page.waitForURL(/notice=/);
    expect(await page.locator("h1").textContent()).toContain("Shop 1.1 to production");
    await page.getByRole("button", { name: "Approve security" }).click();
    await page.waitForURL(/notice=security/);
    expect(await page.locator('tr[data-slot="security"]').textContent()).toContain("approved");
    await open(page, page.url().replace(collector.url, "").split("?")[0] ?? "/", "request-detail");
  });
});

describe("governance in the dashboard as QA and as a viewer", () => {
  it("QA approves the version on its page, decides only the qa slot, and cannot edit rules", async () => {
    const { context, page } = await signedIn("qa@example.com");
    try {
      await page.goto(`${collector.url}/versions/${versionId}`);
      await page.locator("summary", { hasText: "Approve or reject" }).click();
      const types = await page.getByLabel("Type").locator("option").allTextContents();
      expect(types).toEqual(["qa", "performance"]);
      await page.getByLabel("Comment").fill("regression suite green");
      await page.getByRole("button", { name: "Approve", exact: true }).click();
      await page.waitForURL(/notice=qa/);
      const row = page.locator('tr[data-approval="qa"]');
      expect(await row.textContent()).toContain("regression suite green");
      await open(page, `/versions/${versionId}`, "version-approvals");

      const list = await api(collector, "GET", "/deployment-requests");
      const request = (list.body.items as Array<{ id: string; name: string }>).find(
        (item) => item.name === "Shop 1.1 to production",
      );
      await page.goto(`${collector.url}/deployment-requests/${request?.id}`);
      expect(await page.getByRole("button", { name: "Approve security" }).count()).toBe(0);
      await page.getByRole("button", { name: "Approve qa" }).click();
      await page.waitForURL(/notice=qa/);
      expect(await page.locator("header .status, .page-header .status").first().textContent()).toContain(
        "approved",
      );

      await page.goto(`${collector.url}/rules`);
      expect(await page.locator("summary", { hasText: "New rule" }).count()).toBe(0);
      expect(await page.locator("summary", { hasText: "Lock an environment" }).count()).toBe(0);
      expect(await page.locator('tr[data-rule="QA sign-off"]').textContent()).toContain("report only");
    } finally {
      await context.close();
    }
  });

  it("a viewer sees rules, locks and requests but no form, and a forged post is refused", async () => {
    const { context, page } = await signedIn("viewer@example.com");
    try {
      await open(page, "/rules", "rules-viewer");
      expect(await page.locator("form[action^='/dashboard/']").count()).toBe(0);
      const csrf = await page.evaluate(() => document.body.getAttribute("hx-headers"));
      const token = JSON.parse(csrf ?? "{}")["X-CSRF-Token"] as string;
      const forged = await page.request.post(`${collector.url}/dashboard/locks`, {
        form: { _csrf: token, environment: "production", reason: "nope" },
        maxRedirects: 0,
      });
      expect(forged.status()).toBe(403);
      await page.goto(`${collector.url}/versions/${versionId}`);
      expect(await page.locator("summary", { hasText: "Approve or reject" }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});

function signedIn(email: string) {
  return signInAs(browser, collector.url, { email, password: PASSWORD });
}
