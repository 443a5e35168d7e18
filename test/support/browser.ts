import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
// The launch settings are shared with the screenshots script (plain JavaScript), hence JSON.
import CHROMIUM from "./chromium.json" with { type: "json" };

/**
 * Debian's chromium (`apt-get install chromium`, see scripts/ensure-test-prerequisites.sh),
 * headless, with nothing that phones home (updates, sync, safe-browsing lists): a test that
 * records every request sees only what the page asked for. playwright-core downloads no browser.
 */
export function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM.executablePath)) {
    throw new Error(
      `No Chromium at ${CHROMIUM.executablePath}: run \`bash scripts/ensure-test-prerequisites.sh\` (apt-get install chromium)`,
    );
  }
  return chromium.launch(CHROMIUM);
}

/** A new browser context signed in as `email` through the dashboard's sign-in form. */
export async function signInAs(
  browser: Browser,
  baseUrl: string,
  credentials: { email: string; password: string },
  options: { colorScheme?: "light" | "dark"; viewport?: { width: number; height: number } } = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    colorScheme: options.colorScheme ?? "light",
    viewport: options.viewport ?? { width: 1400, height: 900 },
  });
  const page = await context.newPage();
  await page.goto(`${baseUrl}/sign-in`);
  await page.getByLabel("Email").fill(credentials.email);
  await page.getByLabel("Password").fill(credentials.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/sign-in"));
  return { context, page };
}

const AXE_SOURCE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

interface AxeResult {
  violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: unknown }> }>;
}

/** axe-core's serious and critical violations on the page as it is now ([] when there are none). */
export async function seriousAccessibilityViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE_SOURCE });
  const result = await page.evaluate(() =>
    (globalThis as unknown as { axe: { run(): Promise<AxeResult> } }).axe.run(),
  );
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${JSON.stringify(v.nodes.slice(0, 3).map((n) => n.target))}`);
}
