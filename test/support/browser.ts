import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/** Debian's chromium (`apt-get install chromium`, see scripts/ensure-test-prerequisites.sh). */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/**
 * Headless Chromium for browser tests. playwright-core downloads no browser of its own; the flags
 * keep Chromium from phoning home (updates, sync, safe-browsing lists), so a test that records
 * every request sees only what the page under test asked for.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}: run \`bash scripts/ensure-test-prerequisites.sh\` (apt-get install chromium)`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
