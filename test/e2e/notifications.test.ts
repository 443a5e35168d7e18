import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type RunningCollector, startCollector } from "../support/collector.ts";
import { type HttpReceiver, startHttpReceiver, startSmtpReceiver } from "../support/receivers.ts";
import { waitFor } from "../support/wait-for.ts";

// Short retry base and poll interval keep retries fast; the rules are the production ones.
const FAST = {
  VERSIONER_ALLOW_PRIVATE_WEBHOOKS: "true",
  VERSIONER_NOTIFY_RETRY_BASE_MS: "50",
  VERSIONER_NOTIFY_POLL_MS: "50",
  VERSIONER_NOTIFY_TIMEOUT_MS: "1000",
  VERSIONER_NOTIFY_MAX_ATTEMPTS: "5",
};

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function receiver(script: number[] = []): Promise<HttpReceiver> {
  const r = await startHttpReceiver(script);
  cleanups.push(() => r.close());
  return r;
}

async function channel(collector: RunningCollector, body: Record<string, unknown>) {
  const res = await api(collector, "POST", "/notification-channels", { name: unique("channel"), ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function deploy(collector: RunningCollector, body: Record<string, unknown>) {
  const res = await api(collector, "POST", "/deployment-events/", {
    version: unique("1.0"),
    status: "completed",
    deployed_by: "octocat",
    ...body,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

async function deliveries(collector: RunningCollector, channelId: string): Promise<any[]> {
  return (await api(collector, "GET", `/notification-deliveries?channel=${channelId}&limit=500`)).body.items;
}

const settled = (items: any[]) => items.length > 0 && items.every((d) => d.status !== "pending");

describe("notifications through the real collector process", () => {
  let collector: RunningCollector;
  let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
    cleanups.push(() => smtp.close());
    collector = await startCollector({
      env: { ...FAST, SMTP_URL: smtp.url, SMTP_FROM: "Versioner <versioner@example.test>" },
    });
    cleanups.push(() => collector.stop());
  });

  it("sends each subscribed channel its message, and no other; filters apply; the signature verifies", async () => {
    const product = unique("checkout");
    const [slack, teams, hook, stagingOnly, failuresOnly, otherProduct] = await Promise.all(
      Array.from({ length: 6 }, () => receiver()),
    );
    const slackChannel = await channel(collector, {
      kind: "slack",
      url: slack!.url,
      subscriptions: [{ event_types: ["deployment.completed"], environment_types: ["production"] }],
    });
    await channel(collector, {
      kind: "teams",
      url: teams!.url,
      subscriptions: [{ event_types: ["deployment.*"], products: [product] }],
    });
    const hookChannel = await channel(collector, {
      kind: "webhook",
      url: hook!.url,
      secret: "whsec-e2e",
      subscriptions: [{ event_types: ["*"], products: [product] }],
    });
    await channel(collector, {
      kind: "email",
      recipients: ["ops@example.test", "releases@example.test"],
      subscriptions: [{ event_types: ["deployment.completed"], products: [product] }],
    });
    const filtered = [
      await channel(collector, {
        kind: "webhook",
        url: stagingOnly!.url,
        subscriptions: [{ event_types: ["deployment.*"], environment_types: ["staging"] }],
      }),
      await channel(collector, {
        kind: "slack",
        url: failuresOnly!.url,
        subscriptions: [{ event_types: ["deployment.*"], statuses: ["failed"] }],
      }),
      await channel(collector, {
        kind: "webhook",
        url: otherProduct!.url,
        subscriptions: [{ event_types: ["*"], products: [unique("someone-else")] }],
      }),
    ];

    const event = await deploy(collector, {
      product_name: product,
      environment_name: "production",
      scm_sha: "c0ffee".padEnd(40, "0"),
      scm_repository: "acme/checkout",
      deploy_url: "https://github.com/acme/checkout/actions/runs/42",
    });

    await waitFor(
      "Slack, Teams, webhook and email",
      () => [slack, teams, hook].every((r) => r!.received.length === 1) && smtp.mails.length === 1,
    );

    // Slack: Block Kit a person reads at a glance.
    const slackMessage = slack!.received[0]!.json;
    expect(slackMessage.text).toBe(`✅ ${product} ${event.version} deployed to production`);
    const facts = slackMessage.blocks[1].fields.map((field: any) => field.text);
    expect(facts).toEqual(
      expect.arrayContaining([
        `*Product*\n${product}`,
        "*Environment*\nproduction",
        "*Status*\n✅ completed",
        "*Deployed by*\noctocat",
      ]),
    );
    expect(slackMessage.blocks[2].elements[0]).toMatchObject({
      type: "button",
      url: "https://github.com/acme/checkout/actions/runs/42",
    });

    // Teams: an Adaptive Card.
    const card = teams!.received[0]!.json.attachments[0];
    expect(card.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(card.content.body[1].facts).toContainEqual({ title: "Version", value: event.version });

    // Webhook: the documented payload, signed.
    const request = hook!.received[0]!;
    expect(request.headers["x-versioner-event"]).toBe("deployment.completed");
    const timestamp = String(request.headers["x-versioner-timestamp"]);
    const expected = createHmac("sha256", "whsec-e2e").update(`${timestamp}.${request.body}`).digest("hex");
    expect(request.headers["x-versioner-signature"]).toBe(`sha256=${expected}`);
    expect(request.json).toMatchObject({
      id: event.id,
      event_type: "deployment.completed",
      product_name: product,
      version: event.version,
      environment: "production",
      deployer: "octocat",
      deployed_at: event.deployed_at,
      is_successful: true,
      repo_name: "acme/checkout",
      commit_sha: "c0ffee".padEnd(40, "0"),
      source_url: "https://github.com/acme/checkout/actions/runs/42",
    });
    const [hookDelivery] = await deliveries(collector, hookChannel.id);
    expect(request.headers["x-versioner-delivery"]).toBe(hookDelivery.id);
    expect(request.json.event_id).toBe(hookDelivery.event_id);

    // Email: text and HTML with the same facts, to every recipient.
    const mail = smtp.mails[0]!;
    expect(mail.to.sort()).toEqual(["ops@example.test", "releases@example.test"]);
    expect(mail.from).toBe("versioner@example.test");
    expect(mail.text).toContain(`Product: ${product}`);
    expect(mail.text).toContain("Environment: production");
    expect(mail.text).toContain("text/html");

    // The filtered-out channels got no delivery at all (the outbox decides at ingest, so this is final).
    for (const skipped of filtered) expect(await deliveries(collector, skipped.id)).toEqual([]);
    expect(stagingOnly!.received.length + failuresOnly!.received.length + otherProduct!.received.length).toBe(
      0,
    );
    expect((await deliveries(collector, slackChannel.id))[0]).toMatchObject({
      status: "delivered",
      attempts: 1,
    });

    // A failure in staging reaches the failures-only and staging-only channels, and not the production Slack.
    await deploy(collector, { product_name: product, environment_name: "staging", status: "failed" });
    await waitFor(
      "the failure notifications",
      () => failuresOnly!.received.length === 1 && stagingOnly!.received.length === 1,
    );
    expect(slack!.received).toHaveLength(1);
  });

  it("retries a receiver that answers 500 twice, then delivers once with three attempts recorded", async () => {
    const flaky = await receiver([500, 500]);
    const product = unique("flaky");
    const created = await channel(collector, {
      kind: "webhook",
      url: flaky.url,
      subscriptions: [{ event_types: ["deployment.completed"], products: [product] }],
    });
    await deploy(collector, { product_name: product, environment_name: "production" });
    const [delivery] = await waitFor("the delivery to settle", async () => {
      const items = await deliveries(collector, created.id);
      return settled(items) && items;
    });
    expect(delivery).toMatchObject({ status: "delivered", attempts: 3, last_response_code: 200 });
    const detail = (await api(collector, "GET", `/notification-deliveries/${delivery.id}`)).body;
    expect(detail.attempt_history.map((a: any) => [a.attempt, a.outcome, a.response_code])).toEqual([
      [1, "retry", 500],
      [2, "retry", 500],
      [3, "delivered", 200],
    ]);
    expect(flaky.received.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(new Set(flaky.received.map((r) => r.json.event_id)).size).toBe(1);
  });

  it("treats a 400 as final", async () => {
    const refusing = await receiver([400]);
    const product = unique("refused");
    const created = await channel(collector, {
      kind: "slack",
      url: refusing.url,
      subscriptions: [{ event_types: ["deployment.completed"], products: [product] }],
    });
    await deploy(collector, { product_name: product, environment_name: "production" });
    const [delivery] = await waitFor("the delivery to settle", async () => {
      const items = await deliveries(collector, created.id);
      return settled(items) && items;
    });
    expect(delivery).toMatchObject({
      status: "failed",
      attempts: 1,
      last_response_code: 400,
      last_error: "HTTP 400",
    });
    expect(refusing.received).toHaveLength(1);
  });

  it("answers the test button synchronously", async () => {
    const ok = await receiver();
    const created = await channel(collector, { kind: "teams", url: ok.url, enabled: false });
    const res = await api(collector, "POST", `/notification-channels/${created.id}/test`);
    expect(res.body).toMatchObject({ ok: true, response_code: 200, error: null });
    expect(ok.received).toHaveLength(1);
  });
});

describe("durability", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "versioner-notify-e2e-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  });

  it("delivers everything pending after the collector is killed (SIGKILL) and started again", async () => {
    const dbPath = join(dir, "killed.db");
    const down = await receiver();
    down.fallback = 503;
    // Many attempts, delays capped at 1 s: the deliveries are still pending when the process dies.
    const env = { ...FAST, VERSIONER_NOTIFY_MAX_ATTEMPTS: "100", VERSIONER_NOTIFY_MAX_DELAY_MS: "1000" };
    const first = await startCollector({ dbPath, env });
    const product = unique("durable");
    const created = await channel(first, {
      kind: "webhook",
      url: down.url,
      subscriptions: [{ event_types: ["deployment.completed"], products: [product] }],
    });
    const events = [];
    for (let i = 0; i < 5; i++)
      events.push(await deploy(first, { product_name: product, environment_name: `env-${i}` }));
    // Every delivery has been tried and is waiting for its next attempt when the process dies.
    await waitFor("a failed attempt on every delivery", async () => {
      const items = await deliveries(first, created.id);
      return items.length === 5 && items.every((d) => d.status === "pending" && d.attempts >= 1);
    });
    await first.kill();

    down.fallback = 200;
    const second = await startCollector({ dbPath, env });
    cleanups.push(() => second.stop());
    await waitFor("every delivery after the restart", async () => {
      const items = await deliveries(second, created.id);
      return items.length === 5 && items.every((d) => d.status === "delivered");
    });
    const delivered = down.received.filter((r) => r.status === 200).map((r) => r.json.deployment_id);
    expect(delivered.sort()).toEqual(events.map((e) => e.deployment_id).sort());
  });

  it("two collector processes on one database file deliver each message once", async () => {
    const dbPath = join(dir, "shared.db");
    const sink = await receiver();
    // A send that times out is retried (at-least-once, by design): on a loaded machine the 1 s of
    // FAST would count those retries as double deliveries. This test is about the two processes.
    const env = { ...FAST, VERSIONER_NOTIFY_TIMEOUT_MS: "15000" };
    const a = await startCollector({ dbPath, env });
    cleanups.push(() => a.stop());
    const product = unique("shared");
    const created = await channel(a, {
      kind: "webhook",
      url: sink.url,
      subscriptions: [{ event_types: ["deployment.completed"], products: [product] }],
    });
    const b = await startCollector({ dbPath, env });
    cleanups.push(() => b.stop());
    const count = 30;
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        deploy(i % 2 === 0 ? a : b, { product_name: product, environment_name: `env-${i}` }),
      ),
    );
    await waitFor("all deliveries", async () => {
      const items = await deliveries(a, created.id);
      return items.length === count && items.every((d) => d.status === "delivered");
    });
    const ids = sink.received.map((r) => String(r.headers["x-versioner-delivery"]));
    expect(ids).toHaveLength(count);
    expect(new Set(ids).size).toBe(count);
    for (const item of await deliveries(b, created.id)) {
      const detail = (await api(b, "GET", `/notification-deliveries/${item.id}`)).body;
      expect(detail.attempt_history).toHaveLength(1);
    }
  });
});

describe("SSRF guard", () => {
  it("refuses loopback, metadata, private and names resolving to loopback unless allowed", async () => {
    const strict = await startCollector({ env: { VERSIONER_NOTIFY_POLL_MS: "50" } });
    cleanups.push(() => strict.stop());
    for (const url of [
      "http://127.0.0.1/hook",
      "http://169.254.169.254/latest/meta-data",
      "http://10.0.0.1/hook",
      "http://localhost:8080/hook",
    ]) {
      const res = await api(strict, "POST", "/notification-channels", {
        name: unique("ssrf"),
        kind: "webhook",
        url,
      });
      expect(res.status, url).toBe(422);
      expect(res.body.detail[0]).toMatchObject({ loc: ["body", "url"], type: "url_refused" });
      expect(res.body.detail[0].msg).toMatch(/loopback, private, link-local or metadata|non-public/);
    }
    const allowed = await startCollector({ env: { VERSIONER_ALLOW_PRIVATE_WEBHOOKS: "true" } });
    cleanups.push(() => allowed.stop());
    const res = await api(allowed, "POST", "/notification-channels", {
      name: unique("ok"),
      kind: "webhook",
      url: "http://127.0.0.1/hook",
    });
    expect(res.status).toBe(201);
  });
});
