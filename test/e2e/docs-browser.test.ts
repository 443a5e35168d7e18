import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "../support/browser.ts";
import { REPO_ROOT, type RunningCollector, startCollector } from "../support/collector.ts";

// Written for a person to look at (not committed): the docs page as a newcomer sees it.
const SCREENSHOT = join(REPO_ROOT, "docs-screenshot.png");

describe("interactive API docs in a real browser, offline", () => {
  let collector: RunningCollector;
  let browser: Browser;
  beforeAll(async () => {
    [collector, browser] = await Promise.all([startCollector(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await collector?.stop();
  });

  /** Opens a page recording every request it makes and every console error it logs. */
  async function open(path: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
    const page = await browser.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on("request", (request) => requests.push(request.url()));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${collector.url}${path}`, { waitUntil: "networkidle" });
    return { page, requests, errors };
  }

  function offOrigin(requests: string[]): string[] {
    return requests.filter((url) => new URL(url).origin !== collector.url);
  }

  it("/docs renders every operation from the collector's own assets, and nothing leaves 127.0.0.1", async () => {
    const { page, requests, errors } = await open("/docs");
    await page.locator(".opblock").first().waitFor();
    const paths = await page.locator(".opblock-summary-path").allTextContents();
    expect(paths).toEqual(expect.arrayContaining(["/deployment-events", "/state", "/health"]));
    // Every operation of the OpenAPI document is on the page (deprecated ones are styled apart).
    const doc = (await (await fetch(`${collector.url}/openapi.json`)).json()) as { paths: object };
    const documented = Object.values(doc.paths as Record<string, object>).flatMap(Object.keys).length;
    expect(await page.locator(".opblock").count()).toBe(documented);
    await page.screenshot({ path: SCREENSHOT, fullPage: false });
    expect(requests).toContain(`${collector.url}/openapi.json`);
    expect(offOrigin(requests)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("/redoc leads to the same page, also without leaving 127.0.0.1", async () => {
    const { page, requests, errors } = await open("/redoc");
    expect(new URL(page.url()).pathname).toBe("/docs");
    await page.locator(".opblock").first().waitFor();
    expect(offOrigin(requests)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
