/// <reference lib="dom" />
// The insight pages in a browser: the environment diff (/diff) and the DORA metrics (/metrics/dora),
// against the real collector process seeded through the HTTP API.
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, seriousAccessibilityViolations, signInAs } from "../support/browser.ts";
import { api, type RunningCollector, startCollector } from "../support/collector.ts";

const PASSWORD = "correct horse battery";
// Set DASHBOARD_SCREENSHOTS=<dir> to keep a screenshot of each page, light and dark.
const SCREENSHOTS = process.env.DASHBOARD_SCREENSHOTS;
const VIEWER = "vera@example.com";

let collector: RunningCollector;
let browser: Browser;

const sha = (seed: string) => createHash("sha1").update(seed).digest("hex");

async function deploy(product: string, version: string, environment: string, extra: object = {}) {
  const res = await api(collector, "POST", "/deployment-events", {
    product_name: product,
    version,
    environment_name: environment,
    status: "completed",
    scm_sha: sha(`${product}${version}`),
    scm_repository: `https://github.com/acme/${product}`,
    ...extra,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

/** A production deployment finished at `at`, its commit made at 08:00 the same day. */
function production(product: string, version: string, at: string, status = "completed") {
  return deploy(product, version, "production", {
    status,
    completed_at: at,
    scm_committed_at: `${at.slice(0, 10)}T08:00:00Z`,
  });
}

async function checkPage(page: Page, name: string) {
  expect(await seriousAccessibilityViolations(page), `axe on ${page.url()}`).toEqual([]);
  if (SCREENSHOTS) {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }
}

beforeAll(async () => {
  collector = await startCollector();
  browser = await launchBrowser();
  const user = await api(collector, "POST", "/users", {
    email: VIEWER,
    name: "vera",
    role: "viewer",
    password: PASSWORD,
  });
  expect(user.status).toBe(201);
  for (const [name, team] of [
    ["checkout", "payments"],
    ["search", "discovery"],
    ["ledger", "payments"],
    ["mailer", "platform"],
  ])
    expect((await api(collector, "POST", "/products", { name, extra_metadata: { team } })).status).toBe(201);
  for (const [name, type] of [
    ["staging", "staging"],
    ["production", "production"],
  ])
    expect((await api(collector, "POST", "/environments", { name, type })).status).toBe(201);
  // checkout: staging is ahead (2.1 reached staging after 2.0 reached production).
  await deploy("checkout", "2.0", "staging");
  await deploy("checkout", "2.0", "production");
  await deploy("checkout", "2.1", "staging");
  // search: production is ahead (a hotfix went straight to production).
  await deploy("search", "5.0", "staging");
  await deploy("search", "5.0-hotfix", "production");
  // mailer runs the same version in both; ledger only in staging.
  await deploy("mailer", "1.0", "staging");
  await deploy("mailer", "1.0", "production");
  await deploy("ledger", "0.9", "staging");
  // DORA history of checkout-api in production, March 2026 (weeks start on Monday 2, 9, 16).
  await production("checkout-api", "1.0", "2026-03-02T10:00:00Z"); // lead 2 h
  await production("checkout-api", "1.1", "2026-03-03T12:00:00Z"); // lead 4 h
  await production("checkout-api", "1.2", "2026-03-04T09:00:00Z", "failed");
  await production("checkout-api", "1.2", "2026-03-04T09:30:00Z"); // lead 1.5 h, restores after 30 min
  await production("checkout-api", "1.3", "2026-03-10T11:00:00Z"); // lead 3 h
});

afterAll(async () => {
  await browser?.close();
  await collector?.stop();
});

describe("environment diff page", () => {
  for (const colorScheme of ["light", "dark"] as const) {
    it(`shows the drift between staging and production (${colorScheme})`, async () => {
      const { context, page } = await signInAs(
        browser,
        collector.url,
        { email: VIEWER, password: PASSWORD },
        { colorScheme },
      );
      try {
        // From the matrix, the way a person finds it.
        await page.getByRole("link", { name: "Compare environments" }).click();
        await page.waitForURL(/\/diff$/);
        await expect.poll(() => page.getByLabel("Environment A").inputValue()).toBe("staging");
        expect(await page.getByLabel("Environment B").inputValue()).toBe("production");
        const differs = page.locator("table.diff tbody tr");
        expect(await differs.count()).toBe(2);
        const checkout = page.locator("table.diff tr", { hasText: "checkout" });
        expect(await checkout.locator("td").nth(0).textContent()).toContain("2.1");
        expect(await checkout.locator("td").nth(2).textContent()).toContain("2.0");
        expect(await checkout.locator("td").nth(1).textContent()).toBe(sha("checkout2.1").slice(0, 8));
        expect(await checkout.textContent()).toContain("staging ahead");
        expect(await checkout.getByRole("link", { name: "Compare" }).getAttribute("href")).toBe(
          `https://github.com/acme/checkout/compare/${sha("checkout2.0")}...${sha("checkout2.1")}`,
        );
        const search = page.locator("table.diff tr", { hasText: "search" });
        expect(await search.textContent()).toContain("production ahead");
        expect(await page.getByRole("heading", { name: /Only in staging/ }).isVisible()).toBe(true);
        expect(await page.locator("section[aria-labelledby=only-in-a] tbody").textContent()).toContain(
          "ledger",
        );
        expect(await page.locator("table.diff").textContent()).not.toContain("mailer");
        await checkPage(page, `diff-${colorScheme}`);

        // The team filter, submitted as a GET form and kept in the URL.
        await page.getByLabel("Team").selectOption("discovery");
        await page.getByRole("button", { name: "Compare" }).click();
        await page.waitForURL(/team=discovery/);
        expect(await differs.count()).toBe(1);
        expect(await differs.first().textContent()).toContain("search");
        expect(await page.getByRole("heading", { name: /Only in staging/ }).count()).toBe(0);
      } finally {
        await context.close();
      }
    });
  }
});

describe("DORA metrics page", () => {
  for (const colorScheme of ["light", "dark"] as const) {
    it(`draws the charts and lists the numbers (${colorScheme})`, async () => {
      const { context, page } = await signInAs(
        browser,
        collector.url,
        { email: VIEWER, password: PASSWORD },
        { colorScheme },
      );
      try {
        await page.getByRole("link", { name: "Metrics" }).click();
        await page.waitForURL(/\/metrics\/dora$/);
        await page.locator("select[name=product]").selectOption("checkout-api");
        await page.getByLabel("From").fill("2026-03-02");
        await page.getByLabel("To (included)").fill("2026-03-15");
        await page.locator("select[name=bucket]").selectOption("week");
        await page.getByRole("button", { name: "Apply" }).click();
        await page.waitForURL(/bucket=week/);
        expect(new URL(page.url()).searchParams.get("product")).toBe("checkout-api");

        const charts = page.locator('svg[role="img"]');
        expect(await charts.count()).toBe(4);
        const frequency = page.getByRole("img", { name: "Deployments per week" });
        // Two weeks, both with deployments: two bars.
        expect(await frequency.locator("rect").count()).toBe(2);
        expect(await frequency.locator("rect").first().getAttribute("height")).not.toBe("0");

        const row = (week: string) =>
          page.locator("table.numbers tr", { has: page.getByRole("rowheader", { name: week }) });
        // Week of 2 March: 3 completed, on 3 days, 1 failure of 4 finished; week of 9 March: 1.
        expect(await row("2026-03-02").locator("td").allInnerTexts()).toEqual([
          "3",
          "3",
          "2 h",
          "3.6 h",
          "1 of 4",
          "25 %",
          "30 min",
        ]);
        expect((await row("2026-03-09").locator("td").allInnerTexts()).slice(0, 3)).toEqual([
          "1",
          "1",
          "3 h",
        ]);
        expect(await page.getByRole("region", { name: "Deployment frequency" }).textContent()).toContain(
          "4 deployments on 4 days",
        );
        await checkPage(page, `metrics-${colorScheme}`);
      } finally {
        await context.close();
      }
    });
  }
});
