import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { githubDeploymentStatus, signGithub } from "@versioner/collector/testing/integration-fixtures";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, seriousAccessibilityViolations, signInAs } from "../support/browser.ts";
import {
  api,
  createUser as createUserWith,
  type RunningCollector,
  startCollector,
} from "../support/collector.ts";
import { type HttpReceiver, startHttpReceiver } from "../support/receivers.ts";
import { waitFor } from "../support/wait-for.ts";

const PASSWORD = "correct horse battery";
// Set DASHBOARD_SCREENSHOTS=<dir> to keep a screenshot of every settings page checked.
const SCREENSHOTS = process.env.DASHBOARD_SCREENSHOTS;

let collector: RunningCollector;
let browser: Browser;
let receiver: HttpReceiver;

const createUser = (email: string, role: string) => createUserWith(collector, email, role, PASSWORD);

function signedIn(email: string) {
  return signInAs(browser, collector.url, { email, password: PASSWORD });
}

async function deploy(product: string, version: string, environment: string) {
  const res = await api(collector, "POST", "/deployment-events", {
    product_name: product,
    version,
    environment_name: environment,
    status: "completed",
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

async function expectNoSeriousViolations(page: Page) {
  expect(await seriousAccessibilityViolations(page), `axe on ${page.url()}`).toEqual([]);
}

/** Opens a settings page, expects a 200 and no serious or critical axe-core violation. */
async function open(page: Page, path: string) {
  const res = await page.goto(`${collector.url}${path}`);
  expect(res?.status(), path).toBe(200);
  await expectNoSeriousViolations(page);
  if (SCREENSHOTS) {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({
      path: join(SCREENSHOTS, `settings${path.replaceAll("/", "-")}.png`),
      fullPage: true,
    });
  }
}

beforeAll(async () => {
  collector = await startCollector({ env: { VERSIONER_ALLOW_PRIVATE_WEBHOOKS: "true" } });
  browser = await launchBrowser();
  receiver = await startHttpReceiver();
  await createUser("admin@example.com", "admin");
  await createUser("viewer@example.com", "viewer");
  await createUser("dev@example.com", "developer");
});

afterAll(async () => {
  await browser?.close();
  await receiver?.close();
  await collector?.stop();
});

describe("settings as an admin", () => {
  let context: BrowserContext;
  let page: Page;

  /** Creates a variable through the page's form, in the scope the page shows. */
  async function addVariable(key: string, value: string, secret = false) {
    await page.locator("summary", { hasText: "New variable" }).click();
    const form = page.locator("details", { hasText: "New variable" });
    await form.getByLabel(/^Key/).fill(key);
    await form.getByLabel("Value").fill(value);
    if (secret) await form.locator('input[name="secret"]').check();
    await form.getByRole("button", { name: "Create variable" }).click();
    await page.waitForURL(/notice=Created/);
  }

  beforeAll(async () => {
    ({ context, page } = await signedIn("admin@example.com"));
  });
  afterAll(async () => {
    await context?.close();
  });

  it("lists every settings page from the Settings navigation", async () => {
    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Settings" }).click();
    await page.waitForURL(/\/settings$/);
    const sections = await page
      .getByRole("navigation", { name: "Settings" })
      .getByRole("link")
      .allTextContents();
    expect(sections).toEqual([
      "Users and roles",
      "API keys",
      "Personal tokens",
      "Notifications",
      "Integrations",
      "Variables",
      "Deployment buttons",
      "Audit log",
    ]);
    await open(page, "/settings");
  });

  it("creates an API key that is shown once, then revokes it", async () => {
    await open(page, "/settings/api-keys");
    await page.locator("summary", { hasText: "New API key" }).click();
    await page.getByLabel("Name").fill("github-actions");
    await page.getByLabel("Description").fill("org-wide workflows");
    await page.getByRole("button", { name: "Create API key" }).click();
    await page.waitForURL(/\/settings\/api-keys$/);
    const key = await page.locator("[data-secret-once]").inputValue();
    expect(key).toMatch(/^sk_/);
    // The key works: it records a deployment (ingest scope).
    const used = await api({ url: collector.url, token: key }, "POST", "/deployment-events", {
      product_name: "checkout",
      version: "1.0.0",
      environment_name: "staging",
      status: "completed",
    });
    expect(used.status, JSON.stringify(used.body)).toBe(200);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);

    await page.reload();
    expect(await page.locator("[data-secret-once]").count()).toBe(0);
    expect(await page.content()).not.toContain(key);
    const row = page.locator('tr[data-key="github-actions"]');
    expect(await row.textContent()).toContain("ingest");
    expect(await row.textContent()).toContain(key.slice(0, 12));

    await row.getByRole("button", { name: "Revoke github-actions" }).click();
    await page.waitForURL(/notice=/);
    expect(await page.locator('tr[data-key="github-actions"]').textContent()).toContain("revoked");
    const refused = await api({ url: collector.url, token: key }, "GET", "/state");
    expect(refused.status).toBe(401);
  });

  it("creates a GitHub integration: URL and secret shown once, mapping saved, deliveries listed", async () => {
    await open(page, "/settings/integrations");
    const form = page.locator("details", { hasText: "New integration" });
    await form.getByLabel("Name").fill("github-acme");
    await form.getByLabel("GitHub deployments").check();
    await form.getByRole("button", { name: "Create integration" }).click();
    await page.waitForURL(/\/settings\/integrations\/[\w-]+\?notice=Created/);
    const secret = await page.locator("[data-secret-once]").inputValue();
    expect(secret).toMatch(/^vsec_/);
    const url = await page.locator("[data-webhook-url]").inputValue();
    expect(url).toBe(`${collector.url}/integrations/github`);
    await expectNoSeriousViolations(page);

    await page.locator("summary", { hasText: "Edit mapping" }).click();
    await page.getByLabel(/^Products/).fill("acme/storefront = web");
    await page.getByRole("button", { name: "Save mapping" }).click();
    await page.waitForURL(/notice=Mapping/);
    expect(await page.locator("[data-secret-once]").count()).toBe(0);
    expect(await page.content()).not.toContain(secret);

    const delivery = signGithub(
      "deployment_status",
      githubDeploymentStatus({ repository: "storefront", state: "success" }),
      secret,
      "e2e-delivery-1",
    );
    const sent = await fetch(url, { method: "POST", headers: delivery.headers, body: delivery.body });
    expect(sent.status).toBe(200);
    await page.reload();
    const row = page.locator('tr[data-delivery="e2e-delivery-1"]');
    expect(await row.textContent()).toContain("recorded");
    expect(await row.textContent()).toContain(
      "web 7f3c9a1e5b2d4c6f8a0b1c2d3e4f5a6b7c8d9e0f → production (completed)",
    );
    await expectNoSeriousViolations(page);
  });

  it("creates a personal token shown once, lists and revokes it", async () => {
    await open(page, "/settings/tokens");
    await page.locator("summary", { hasText: "New token" }).click();
    await page.getByLabel("Name").fill("laptop");
    await page.getByRole("button", { name: "Create token" }).click();
    await page.waitForURL(/\/settings\/tokens$/);
    const token = await page.locator("[data-secret-once]").inputValue();
    expect(token).toMatch(/^pat_/);
    const me = await api({ url: collector.url, token }, "GET", "/users/me");
    expect(me.body.email).toBe("admin@example.com");
    await page.reload();
    expect(await page.locator("[data-secret-once]").count()).toBe(0);
    const row = page.locator('tr[data-token="laptop"]');
    expect(await row.textContent()).toContain("active");
    await row.getByRole("button", { name: "Revoke laptop" }).click();
    await page.waitForURL(/notice=/);
    expect(await page.locator('tr[data-token="laptop"]').textContent()).toContain("revoked");
    expect((await api({ url: collector.url, token }, "GET", "/users/me")).status).toBe(401);
  });

  it("creates a user, changes their role, deactivates and reactivates them", async () => {
    await open(page, "/settings/users");
    await page.locator("summary", { hasText: "New user" }).click();
    await page.getByLabel("Email").fill("qa@example.com");
    await page.getByLabel("Name", { exact: true }).fill("Quinn");
    await page.locator("#new-user-role").selectOption("qa");
    await page.getByLabel(/First password/).fill(PASSWORD);
    await page.getByRole("button", { name: "Create user" }).click();
    await page.waitForURL(/notice=/);
    expect(await page.locator(".flash-notice").textContent()).toBe("Created qa@example.com (qa)");

    const row = page.locator('tr[data-user="qa@example.com"]');
    await row.getByLabel("Role of qa@example.com", { exact: true }).selectOption("sre");
    await row.getByRole("button", { name: "Change role of qa@example.com" }).click();
    await page.waitForURL(/notice=/);
    expect(await page.locator(".flash-notice").textContent()).toBe("qa@example.com is now sre");
    expect((await api(collector, "GET", "/users/qa@example.com")).body.role).toBe("sre");

    await page.getByRole("button", { name: "Deactivate qa@example.com" }).click();
    await page.waitForURL(/notice=/);
    expect(await page.locator('tr[data-user="qa@example.com"]').textContent()).toContain("deactivated");
    expect((await api(collector, "GET", "/users/qa@example.com")).body.active).toBe(false);
    await page.getByRole("button", { name: "Reactivate qa@example.com" }).click();
    await page.waitForURL(/notice=/);
    expect((await api(collector, "GET", "/users/qa@example.com")).body.active).toBe(true);

    // Your own row has no role or deactivate control: the service refuses both anyway.
    const self = page.locator('tr[data-user="admin@example.com"]');
    expect(await self.locator("select").count()).toBe(0);
    expect(await self.getByRole("button", { name: /Deactivate/ }).count()).toBe(0);
  });

  it("creates a webhook channel, tests it, shows its delivery log, replays, edits, disables and deletes it", async () => {
    await open(page, "/settings/notifications");
    await page.locator("summary", { hasText: "New channel" }).click();
    const form = page.locator("form.channel-form");
    await form.getByLabel("Name", { exact: true }).fill("deploys-hook");
    await form.getByLabel("Kind").selectOption("webhook");
    await form.getByLabel(/^URL/).fill(receiver.url);
    await form.getByLabel(/Signing secret/).fill("hook-secret");
    await form.getByLabel(/Extra headers/).fill("X-Team: payments");
    await form.getByLabel(/Products/).fill("checkout");
    await page.getByRole("button", { name: "Create channel" }).click();
    await page.waitForURL(/\/settings\/notifications\/[^/?]+\?notice=/);
    expect(await page.locator(".flash-notice").textContent()).toBe("Created deploys-hook");
    const channelUrl = page.url().split("?")[0] as string;
    const main = (await page.locator("main").textContent()) ?? "";
    expect(main).toContain("deployment.* · checkout");
    expect(main).toContain("X-Team");
    // Write-only: the URL's secret path, the signing secret and header values never come back.
    expect(await page.content()).not.toContain("secret-token");
    expect(await page.content()).not.toContain("hook-secret");
    await open(page, new URL(channelUrl).pathname);

    await page.getByRole("button", { name: "Send a test" }).click();
    await page.waitForURL(/notice=/);
    expect(await page.locator(".flash-notice").textContent()).toMatch(/^Test delivered \(HTTP 200/);
    expect(receiver.received.at(-1)?.headers["x-team"]).toBe("payments");

    receiver.script.push(500);
    const sent = receiver.received.length;
    const deployed = await api(collector, "POST", "/deployment-events", {
      product_name: "checkout",
      version: "1.1.0",
      environment_name: "staging",
      status: "completed",
    });
    expect(deployed.status).toBe(200);
    await waitFor("the delivery to be attempted", () => receiver.received.length > sent);
    await page.goto(channelUrl);
    const delivery = page.locator("tr[data-delivery]").first();
    expect(await delivery.textContent()).toContain("deployment.completed");
    await delivery.locator("a").first().click();
    await page.waitForURL(/\/deliveries\//);
    expect(await page.locator("main").textContent()).toContain("HTTP 500");
    expect(await page.locator("pre.json").textContent()).toContain('"version": "1.1.0"');
    await open(page, new URL(page.url()).pathname);
    await page.getByRole("button", { name: "Replay" }).click();
    await page.waitForURL(/notice=Replay/);
    await expect.poll(() => page.locator("tr[data-delivery]").count()).toBe(2);
    expect(await page.locator("tr[data-delivery]").first().textContent()).toContain("replay");

    await page.locator("summary", { hasText: "Edit channel" }).click();
    await page.locator("form.channel-form").getByLabel("Name", { exact: true }).fill("deploys-webhook");
    await page.getByRole("button", { name: "Save channel" }).click();
    await page.waitForURL(/notice=Saved/);
    await page.getByRole("button", { name: "Disable" }).click();
    await page.waitForURL(/notice=/);
    expect(await page.locator(".flash-notice").textContent()).toBe("deploys-webhook disabled");
    const channels = await api(collector, "GET", "/notification-channels");
    expect(channels.body.items[0]).toMatchObject({
      name: "deploys-webhook",
      enabled: false,
      secret_set: true,
      header_names: ["X-Team"],
    });

    await page.locator("summary", { hasText: "Delete channel" }).click();
    await page.getByRole("button", { name: "Delete deploys-webhook" }).click();
    await page.waitForURL(/\/settings\/notifications\?notice=/);
    expect((await api(collector, "GET", "/notification-channels")).body.items).toEqual([]);
  });

  it("manages org and product variables with secret values masked and write-only", async () => {
    await deploy("storefront", "2.4.0", "production");
    await open(page, "/settings/variables");
    await addVariable("ci_base", "https://ci.example.com");
    await addVariable("deploy_token", "s3cr3t-value", true);
    const secretRow = page.locator('tr[data-variable="deploy_token"]');
    expect(await secretRow.textContent()).toContain("********");
    expect(await page.content()).not.toContain("s3cr3t-value");

    // Saving a secret with an empty value keeps the stored one; its description changes.
    await secretRow.locator("summary", { hasText: "Edit" }).click();
    await secretRow.getByLabel("Description").fill("used by the deploy job");
    await secretRow.getByRole("button", { name: "Save deploy_token" }).click();
    await page.waitForURL(/notice=Saved/);
    expect(await page.locator('tr[data-variable="deploy_token"]').textContent()).toContain(
      "used by the deploy job",
    );
    expect(await page.content()).not.toContain("s3cr3t-value");
    const stored = await api(collector, "GET", "/variables/deploy_token");
    expect(stored.body).toMatchObject({
      value: "********",
      secret: true,
      description: "used by the deploy job",
    });

    // Product scope: a product variable overrides the org one.
    await page.getByRole("combobox", { name: /^Scope/ }).selectOption("storefront");
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL(/product=storefront/);
    await addVariable("ci_base", "https://ci.storefront.example.com");
    expect(page.url()).toContain("product=storefront");
    expect((await api(collector, "GET", "/products/storefront/variables/ci_base")).body.value).toBe(
      "https://ci.storefront.example.com",
    );
    await open(page, "/settings/variables?product=storefront");

    await page.goto(`${collector.url}/settings/variables`);
    await page.getByRole("button", { name: "Delete deploy_token" }).click();
    await page.waitForURL(/notice=Deleted/);
    expect((await api(collector, "GET", "/variables/deploy_token")).status).toBe(404);
  });

  it("creates, previews, edits and deletes a deployment button", async () => {
    await open(page, "/settings/buttons");
    await page.locator("summary", { hasText: "New button" }).click();
    const form = page.locator("details", { hasText: "New button" });
    await form.getByRole("combobox", { name: /^Product/ }).selectOption("storefront");
    await form.getByLabel("Button name").fill("Deploy");
    await form.getByLabel("URL template").fill("{ci_base}/deploy?v={vi_version}&env={vi_environment_name}");
    await form.getByLabel("production", { exact: true }).check();
    await page.getByRole("button", { name: "Create button" }).click();
    await page.waitForURL(/notice=Created|error=/);
    expect(await page.locator(".flash-error").count(), page.url()).toBe(0);
    const row = page.locator('tr[data-button="storefront/Deploy"]');
    expect(await row.textContent()).toContain("production");

    const preview = page.locator("section", { hasText: "Preview" });
    await preview.getByRole("combobox", { name: /^Product/ }).selectOption("storefront");
    await preview.getByLabel("Version").fill("2.4.0");
    await preview.getByLabel("Environment").selectOption("production");
    await preview.getByLabel("Template").fill("{ci_base}/deploy?v={vi_version}&env={vi_environment_name}");
    await preview.getByRole("button", { name: "Preview" }).click();
    await page.waitForURL(/preview=1/);
    const rendered = await page.locator(".preview-result a").getAttribute("href");
    // The page renders through the same service as the API's preview endpoint: same answer.
    const viaApi = await api(collector, "POST", "/deployment-buttons/preview", {
      product_name: "storefront",
      version: "2.4.0",
      environment_name: "production",
      url_template: "{ci_base}/deploy?v={vi_version}&env={vi_environment_name}",
    });
    expect(rendered).toBe("https://ci.storefront.example.com/deploy?v=2.4.0&env=production");
    expect(rendered).toBe(viaApi.body.url);
    await expectNoSeriousViolations(page);

    await page.locator("section", { hasText: "Preview" }).getByLabel("Template").fill("{nowhere}/x");
    await page.getByRole("button", { name: "Preview" }).click();
    await page.waitForURL(/nowhere/);
    expect(await page.locator(".preview-result").textContent()).toContain("nowhere");

    await page.goto(`${collector.url}/settings/buttons`);
    const editRow = page.locator('tr[data-button="storefront/Deploy"]');
    await editRow.locator("summary", { hasText: "Edit" }).click();
    await editRow.getByLabel("Enabled").uncheck();
    await editRow.getByRole("button", { name: "Save Deploy" }).click();
    await page.waitForURL(/notice=Saved/);
    expect(await page.locator('tr[data-button="storefront/Deploy"]').textContent()).toContain("disabled");
    await page.getByRole("button", { name: "Delete Deploy of storefront" }).click();
    await page.waitForURL(/notice=Deleted/);
    expect((await api(collector, "GET", "/deployment-buttons")).body.items).toEqual([]);
  });

  it("shows the audit log, filtered by action family and day, with the change of each entry", async () => {
    await open(page, "/settings/audit");
    expect(await page.locator("tr[data-action]").count()).toBeGreaterThan(10);
    await page.getByLabel("Action").fill("user.");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/action=user\./);
    const actions = await page
      .locator("tr[data-action]")
      .evaluateAll((rows) => rows.map((row) => row.getAttribute("data-action")));
    expect(actions.length).toBeGreaterThan(3);
    expect(actions.every((action) => action?.startsWith("user."))).toBe(true);
    const roleChange = page.locator('tr[data-action="user.update"]').first();
    await roleChange.locator("summary").click();
    expect(await roleChange.textContent()).toContain('"role": "sre"');
    expect(await page.content()).not.toContain("password_hash");
    await expectNoSeriousViolations(page);

    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    await page.goto(`${collector.url}/settings/audit?since=${tomorrow}`);
    expect(await page.locator(".empty").textContent()).toBe("No entries match.");
    const bad = await page.goto(`${collector.url}/settings/audit?since=yesterday`);
    expect(bad?.status()).toBe(422);
  });

  it("shows a refused input back on the page with the field at fault", async () => {
    await page.goto(`${collector.url}/settings/users`);
    await page.locator("summary", { hasText: "New user" }).click();
    await page.getByLabel("Email").fill("viewer@example.com");
    await page.getByRole("button", { name: "Create user" }).click();
    await page.waitForURL(/error=/);
    expect(await page.locator(".flash-error").textContent()).toContain("already exists");
  });
});

describe("settings in dark mode", () => {
  it("passes axe-core on every settings page with the dark colour scheme", async () => {
    const { context, page } = await signInAs(
      browser,
      collector.url,
      { email: "admin@example.com", password: PASSWORD },
      { colorScheme: "dark" },
    );
    try {
      await page.goto(`${collector.url}/settings`);
      const links = page.getByRole("navigation", { name: "Settings" }).getByRole("link");
      const paths = await links.evaluateAll((anchors) => anchors.map((a) => a.getAttribute("href") ?? ""));
      expect(paths).toHaveLength(8);
      for (const path of paths) await open(page, path);
    } finally {
      await context.close();
    }
  });
});

describe("settings for a viewer", () => {
  it("lists only what the role may use, shows no write control and refuses forged posts", async () => {
    const { context, page } = await signedIn("viewer@example.com");
    try {
      await page.goto(`${collector.url}/settings`);
      const sections = await page
        .getByRole("navigation", { name: "Settings" })
        .getByRole("link")
        .allTextContents();
      expect(sections).toEqual(["Variables", "Deployment buttons"]);
      for (const path of ["/settings/variables", "/settings/buttons"]) {
        await open(page, path);
        expect(await page.locator("main form[method=post]").count(), path).toBe(0);
      }
      // Reading is allowed: the preview is a read, like the API's preview endpoint.
      expect(await page.getByRole("button", { name: "Preview" }).count()).toBe(1);
      for (const path of [
        "/settings/users",
        "/settings/api-keys",
        "/settings/tokens",
        "/settings/notifications",
        "/settings/audit",
      ]) {
        const res = await page.goto(`${collector.url}${path}`);
        expect(res?.status(), path).toBe(403);
      }
      const csrf = await page.locator('header input[name="_csrf"]').inputValue();
      const forged = await page.evaluate(async (csrf) => {
        const post = (path: string, fields: Record<string, string>) =>
          fetch(path, {
            method: "POST",
            body: new URLSearchParams({ _csrf: csrf, ...fields }),
            redirect: "manual",
          }).then((res) => res.status);
        return [
          await post("/dashboard/settings/api-keys", { name: "forged", scope: "admin" }),
          await post("/dashboard/settings/users", { email: "forged@example.com", role: "admin" }),
          await post("/dashboard/settings/tokens", { name: "forged" }),
          await post("/dashboard/settings/notifications", { name: "forged", kind: "webhook" }),
          await post("/dashboard/settings/variables", { key: "forged", value: "x" }),
          await post("/dashboard/settings/buttons", {
            product: "storefront",
            name: "forged",
            url_template: "https://x",
          }),
        ];
      }, csrf);
      expect(forged).toEqual([403, 403, 403, 403, 403, 403]);
      expect((await api(collector, "GET", "/variables/forged")).status).toBe(404);
      const keys = await api(collector, "GET", "/api-keys");
      expect(keys.body.items.map((k: { name: string }) => k.name)).not.toContain("forged");
      expect((await api(collector, "GET", "/users/forged@example.com")).status).toBe(404);
    } finally {
      await context.close();
    }
  });

  it("refuses a post without the page's CSRF token even from an admin", async () => {
    const { context, page } = await signedIn("admin@example.com");
    try {
      const status = await page.evaluate(async () => {
        const res = await fetch("/dashboard/settings/api-keys", {
          method: "POST",
          body: new URLSearchParams({ _csrf: "not-the-token", name: "csrf-less" }),
          redirect: "manual",
        });
        return res.status;
      });
      expect(status).toBe(403);
      const keys = await api(collector, "GET", "/api-keys");
      expect(keys.body.items.map((k: { name: string }) => k.name)).not.toContain("csrf-less");
    } finally {
      await context.close();
    }
  });

  it("lets a developer see the API keys but not create or revoke them", async () => {
    const { context, page } = await signedIn("dev@example.com");
    try {
      await open(page, "/settings/api-keys");
      expect(await page.locator("main form[method=post]").count()).toBe(0);
      expect(await page.locator('tr[data-key="github-actions"]').count()).toBe(1);
    } finally {
      await context.close();
    }
  });
});
