// `npm run screenshots`: starts the built collector on a temp database, seeds a realistic state
// (products × development/staging/production with drift, a failed deployment, a deployment and a
// release in progress), signs in with Debian's chromium and writes the README's images to
// docs/images/. Run it again whenever the dashboard's look changes; the images are committed.
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { cleanupNow, startCollector } from "../bench/servers.mjs";
import CHROMIUM from "../support/chromium.json" with { type: "json" };

const OUT = fileURLToPath(new URL("../../docs/images/", import.meta.url));
const EMAIL = "dana@example.com";
const PASSWORD = "screenshots-only-password";
const VIEWPORT = { width: 1360, height: 760 };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const now = Date.now();

async function api(collector, method, path, body) {
  const res = await fetch(`${collector.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${collector.token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

const sha = (version) => `${version.replace(/\D/g, "").padEnd(7, "0")}c0ffee${"0".repeat(40)}`.slice(0, 40);

/** One deployment `ago` milliseconds back (started and completed then, unless it is still running). */
function deploy(collector, product, version, environment, ago, { status = "completed", by = "ana" } = {}) {
  const at = new Date(now - ago).toISOString();
  return api(collector, "POST", "/deployment-events", {
    product_name: product,
    version,
    environment_name: environment,
    status,
    deployed_by: by,
    scm_sha: sha(version),
    scm_repository: `https://github.com/acme/${product}`,
    scm_branch: "main",
    source_system: "github",
    deploy_url: `https://github.com/acme/${product}/actions/runs/${Math.round(ago / 1000)}`,
    started_at: at,
    ...(status === "started" ? {} : { completed_at: at }),
  });
}

const PRODUCTS = [
  ["payments", "money", "Card payments and refunds"],
  ["storefront", "web", "The public shop"],
  ["inventory", "ops", "Stock levels and reservations"],
  ["search", "web", "Product search and suggestions"],
  ["notifications", "platform", "Email, SMS and push"],
  ["auth-service", "platform", "Sign-in and sessions"],
];

/** Oldest first, so each cell's latest event is the one meant to show. */
async function seed(collector) {
  for (const [name, team, description] of PRODUCTS) {
    await api(collector, "POST", "/products", {
      name,
      description,
      extra_metadata: { team, repository: `https://github.com/acme/${name}` },
    });
  }
  const history = [
    ["payments", "3.2.14", 9 * DAY, "ana"],
    ["payments", "3.2.15", 6 * DAY, "bo"],
    ["storefront", "1.8.2", 8 * DAY, "chen"],
    ["inventory", "6.1.5", 5 * DAY, "dee"],
    ["search", "2.0.0", 12 * DAY, "eli"],
    ["notifications", "4.4.1", 4 * DAY, "ana"],
    ["auth-service", "0.9.7", 20 * DAY, "bo"],
  ];
  for (const [product, version, ago, by] of history) {
    for (const [environment, lag] of [
      ["development", 2 * HOUR],
      ["staging", HOUR],
      ["production", 0],
    ]) {
      await deploy(collector, product, version, environment, ago + lag, { by });
    }
  }
  // Drift: newer versions on their way through development and staging.
  await deploy(collector, "payments", "3.2.17", "development", 2 * DAY, { by: "chen" });
  await deploy(collector, "payments", "3.2.17", "staging", 20 * HOUR, { by: "chen" });
  await deploy(collector, "storefront", "1.9.0", "development", 3 * DAY, { by: "eli" });
  await deploy(collector, "storefront", "1.9.0", "staging", 2 * DAY, { by: "eli" });
  await deploy(collector, "search", "2.1.0", "development", 5 * HOUR, { by: "dee" });
  await deploy(collector, "auth-service", "1.0.0-rc.2", "development", 26 * HOUR, { by: "bo" });
  // A failed attempt (the cell keeps 6.1.5 and is marked) and a deployment still running.
  await deploy(collector, "inventory", "6.2.1", "development", 30 * HOUR, { by: "dee" });
  await deploy(collector, "inventory", "6.2.1", "staging", 40 * 60_000, { status: "failed", by: "dee" });
  await deploy(collector, "storefront", "1.9.0", "production", 3 * 60_000, { status: "started", by: "eli" });

  // A release half-way: payments 3.2.17 and storefront 1.9.0 to staging and production.
  await api(collector, "POST", "/releases", {
    name: "spring-sale",
    description: "Checkout and storefront changes for the spring sale",
    target_environments: ["staging", "production"],
  });
  for (const [product, version] of [
    ["payments", "3.2.17"],
    ["storefront", "1.9.0"],
    ["search", "2.1.0"],
  ]) {
    await api(collector, "POST", "/releases/spring-sale/versions", { product_name: product, version });
  }
  await deploy(collector, "search", "2.1.0", "staging", 2 * 60_000, { by: "dee" });
  await api(collector, "POST", "/users", {
    email: EMAIL,
    name: "Dana Lee",
    role: "admin",
    password: PASSWORD,
  });
}

async function signIn(browser, collector, colorScheme) {
  const context = await browser.newContext({ colorScheme, viewport: VIEWPORT, deviceScaleFactor: 1 });
  const page = await context.newPage();
  await page.goto(`${collector.url}/sign-in`);
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/sign-in"));
  return { context, page };
}

/** Opens `path` and writes `name`.png; refuses anything but a dashboard page (a JSON answer means the page is not routed). */
async function shoot(page, collector, path, name) {
  const res = await page.goto(`${collector.url}${path}`);
  const type = res?.headers()["content-type"] ?? "";
  if (res?.status() !== 200 || !type.includes("text/html")) {
    throw new Error(
      `${path} answered ${res?.status()} ${type}, not a dashboard page: ${name}.png not written`,
    );
  }
  await page.screenshot({ path: `${OUT}${name}.png` });
  process.stderr.write(`wrote docs/images/${name}.png\n`);
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const collector = await startCollector({ token: "screenshots-admin-token" });
  const browser = await chromium.launch({
    ...CHROMIUM,
    executablePath: process.env.CHROMIUM_PATH ?? CHROMIUM.executablePath,
  });
  const failures = [];
  try {
    await seed(collector);
    for (const scheme of ["light", "dark"]) {
      const { context, page } = await signIn(browser, collector, scheme);
      const shots = [["/?drift=1", `matrix-${scheme}`]];
      if (scheme === "light")
        shots.push(["/products/payments", "product"], ["/releases/spring-sale", "release"]);
      for (const [path, name] of shots) {
        await shoot(page, collector, path, name).catch((error) => failures.push(error.message));
      }
      await context.close();
    }
  } finally {
    await browser.close();
    await collector.stop();
  }
  for (const failure of failures) process.stderr.write(`FAILED: ${failure}\n`);
  return failures.length ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exitCode = 1;
} finally {
  cleanupNow();
}
