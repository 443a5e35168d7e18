import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog } from "../db/schema/index.ts";
import {
  createChannel,
  deliveriesOf as deliveriesFor,
  deploy as deployTo,
} from "../testing/notification-fixtures.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ VERSIONER_ALLOW_PRIVATE_WEBHOOKS: "true", VERSIONER_LOG_LEVEL: "silent" });
});
afterAll(() => t.close());

const channel = (body: Record<string, unknown>) => createChannel(t, body);
const deploy = (product: string, environment: string, status?: string, extra?: Record<string, unknown>) =>
  deployTo(t, product, environment, status, extra);
const deliveriesOf = (channelId: string) => deliveriesFor(t, channelId);

describe("channels", () => {
  it("never shows URLs, secrets or header values, nor writes them to the audit log", async () => {
    const created = await channel({
      kind: "webhook",
      url: "http://127.0.0.1:9/hook/abc-secret-path",
      secret: "s3cret-value",
      headers: { "X-Api-Key": "header-secret" },
      subscriptions: [{ event_types: ["deployment.completed"] }],
    });
    expect(created).toMatchObject({
      kind: "webhook",
      enabled: true,
      url_hint: "http://127.0.0.1:9/…",
      secret_set: true,
      header_names: ["X-Api-Key"],
    });
    const all = JSON.stringify([created, (await t.call("GET", `/notification-channels/${created.id}`)).body]);
    const audit = JSON.stringify(
      await t.database.db.select().from(auditLog).where(eq(auditLog.target_id, created.id)),
    );
    for (const text of [all, audit]) {
      expect(text).not.toContain("abc-secret-path");
      expect(text).not.toContain("s3cret-value");
      expect(text).not.toContain("header-secret");
    }
    expect(audit).toContain("notification_channel.create");
  });

  it("validates kinds, event types, reserved headers and email without SMTP", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ kind: "slack", subscriptions: [] }, "url"],
      [{ kind: "slack", url: "ftp://example.com/x" }, "url"],
      [
        { kind: "webhook", url: "http://127.0.0.1:9", subscriptions: [{ event_types: ["deploy.done"] }] },
        "subscriptions",
      ],
      [{ kind: "webhook", url: "http://127.0.0.1:9", headers: { "X-Versioner-Signature": "x" } }, "headers"],
      [{ kind: "email", recipients: ["ops@example.com"] }, "kind"],
      [{ kind: "slack", url: "http://127.0.0.1:9", secret: "x" }, "secret"],
      [{ kind: "webhook", url: "http://127.0.0.1:9", headers: { "X-Key": "b\r\nX-Injected: 1" } }, "X-Key"],
      [{ kind: "webhook", url: "http://127.0.0.1:9", headers: { "X-Key": "nul\u0000byte" } }, "X-Key"],
      [
        {
          kind: "webhook",
          url: "http://127.0.0.1:9",
          headers: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`X-H${i}`, "v"])),
        },
        "headers",
      ],
      [{ kind: "webhook", url: "http://user:pass@127.0.0.1:9/hook" }, "url"],
    ];
    for (const [body, field] of cases) {
      const res = await t.call("POST", "/notification-channels", { name: unique("bad"), ...body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.detail[0].loc).toContain(field);
    }
  });

  it("edits, disables and deletes; the channel name is unique", async () => {
    const created = await channel({ kind: "slack", url: "http://127.0.0.1:9/a" });
    const renamed = await t.call("PATCH", `/notification-channels/${created.id}`, {
      enabled: false,
      subscriptions: [{ event_types: ["build.*"], statuses: ["success"] }],
    });
    expect(renamed.body).toMatchObject({
      enabled: false,
      url_hint: "http://127.0.0.1:9/…",
      subscriptions: [{ event_types: ["build.*"], statuses: ["completed"], products: [] }],
    });
    const clash = await t.call("POST", "/notification-channels", {
      name: created.name,
      kind: "slack",
      url: "http://127.0.0.1:9",
    });
    expect(clash.status).toBe(409);
    expect((await t.call("DELETE", `/notification-channels/${created.id}`)).status).toBe(204);
    expect((await t.call("GET", `/notification-channels/${created.id}`)).status).toBe(404);
  });

  it("requires notifications.manage", async () => {
    const key = await t.call("POST", "/api-keys", { name: unique("key"), scope: "read" });
    const res = await t.call("GET", "/notification-channels", undefined, { token: key.body.token });
    expect(res.status).toBe(403);
    const deliveries = await t.call("GET", "/notification-deliveries", undefined, { token: key.body.token });
    expect(deliveries.status).toBe(403);
  });
});

describe("outbox", () => {
  it("writes one row per matching channel in the event's transaction, none for others", async () => {
    const product = unique("shop");
    const prodOnly = await channel({
      kind: "webhook",
      url: "http://127.0.0.1:9/p",
      subscriptions: [
        { event_types: ["deployment.completed"], products: [product], environment_types: ["production"] },
      ],
    });
    const failures = await channel({
      kind: "slack",
      url: "http://127.0.0.1:9/f",
      subscriptions: [{ event_types: ["deployment.*"], statuses: ["failed"] }],
    });
    const disabled = await channel({
      kind: "teams",
      url: "http://127.0.0.1:9/d",
      enabled: false,
      subscriptions: [{ event_types: ["*"] }],
    });
    await deploy(product, "prod-eu");
    await deploy(product, "staging");
    await deploy(unique("other"), "production");
    await deploy(product, "production", "failure");
    const prod = await deliveriesOf(prodOnly.id);
    expect(prod.map((d) => d.event_type)).toEqual(["deployment.completed"]);
    expect((await deliveriesOf(failures.id)).map((d) => d.event_type)).toEqual(["deployment.failed"]);
    expect(await deliveriesOf(disabled.id)).toEqual([]);
  });

  it("writes nothing when the event is rejected, and nothing for an event that changed nothing", async () => {
    const product = unique("api");
    const hook = await channel({
      kind: "webhook",
      url: "http://127.0.0.1:9/x",
      subscriptions: [{ event_types: ["*"], products: [product] }],
    });
    await t.call("POST", "/deployment-events/", {
      product_name: product,
      version: "1.0.0",
      environment_name: "dev",
      status: "completed",
      scm_sha: "a".repeat(40),
      invoke_id: "run-1",
    });
    t.clock.advance(1000);
    const conflict = await t.call("POST", "/deployment-events/", {
      product_name: product,
      version: "1.0.0",
      environment_name: "qa",
      status: "completed",
      scm_sha: "b".repeat(40),
    });
    expect(conflict.status).toBe(409);
    t.clock.advance(1000);
    // A late "started" for the same run leaves the completed deployment as it was.
    const late = await t.call("POST", "/deployment-events/", {
      product_name: product,
      version: "1.0.0",
      environment_name: "dev",
      status: "started",
      invoke_id: "run-1",
    });
    expect(late.status).toBe(200);
    expect((await deliveriesOf(hook.id)).map((d) => d.event_type)).toEqual(["deployment.completed"]);
  });

  it("carries the previous version and a compare link", async () => {
    const product = unique("web");
    const hook = await channel({
      kind: "webhook",
      url: "http://127.0.0.1:9/c",
      subscriptions: [{ event_types: ["deployment.completed"], products: [product] }],
    });
    const base = {
      product_name: product,
      environment_name: "production",
      status: "completed",
      scm_repository: "acme/web",
      source_system: "github",
    };
    t.clock.advance(1000);
    await t.call("POST", "/deployment-events/", { ...base, version: "1.0.0", scm_sha: "1".repeat(40) });
    t.clock.advance(1000);
    await t.call("POST", "/deployment-events/", {
      ...base,
      version: "1.1.0",
      scm_sha: "2".repeat(40),
      deploy_url: "https://ci.example.com/run/2",
    });
    const [latest] = await deliveriesOf(hook.id);
    const detail = (await t.call("GET", `/notification-deliveries/${latest.id}`)).body;
    expect(detail.payload).toMatchObject({
      schema: "versioner.notification/v1",
      event_type: "deployment.completed",
      product_name: product,
      version: "1.1.0",
      environment: "production",
      environment_type: "production",
      deployer: null,
      is_successful: true,
      repo_name: "acme/web",
      commit_sha: "2".repeat(40),
      source_url: "https://ci.example.com/run/2",
      previous_version: "1.0.0",
      compare_url: `https://github.com/acme/web/compare/${"1".repeat(40)}...${"2".repeat(40)}`,
    });
  });
});

describe("previous version within one batch", () => {
  it("names the deployment just before it in the same batch as the previous version", async () => {
    const product = unique("batched");
    const hook = await channel({
      kind: "webhook",
      url: "http://127.0.0.1:9/c",
      subscriptions: [{ event_types: ["deployment.completed"], products: [product] }],
    });
    const event = (version: string) => ({
      kind: "deployment",
      event: { product_name: product, version, environment_name: "production", status: "completed" },
    });
    await t.call("POST", "/events/batch", { events: [event("1.0.0")] });
    t.clock.advance(1000);
    const res = await t.call("POST", "/events/batch", { events: [event("1.1.0"), event("1.2.0")] });
    expect(res.body.accepted).toBe(2);
    const payloads = await Promise.all(
      (await deliveriesOf(hook.id)).map(
        async (d: { id: string }) => (await t.call("GET", `/notification-deliveries/${d.id}`)).body.payload,
      ),
    );
    const previousOf = Object.fromEntries(payloads.map((p) => [p.version, p.previous_version]));
    expect(previousOf).toEqual({ "1.0.0": null, "1.1.0": "1.0.0", "1.2.0": "1.1.0" });
  });
});

describe("release and build events", () => {
  it("queues release.* events the releases feature publishes, with the release in the payload", async () => {
    const product = unique("rel-svc");
    const hook = await channel({
      kind: "webhook",
      url: "http://127.0.0.1:9/r",
      subscriptions: [{ event_types: ["release.*"] }],
    });
    t.clock.advance(1000);
    await t.call("POST", "/build-events/", { product_name: product, version: "3.0.0", status: "completed" });
    const name = unique("spring");
    expect((await t.call("POST", "/releases", { name, target_environments: ["production"] })).status).toBe(
      201,
    );
    expect(
      (await t.call("POST", `/releases/${name}/versions`, { product_name: product, version: "3.0.0" }))
        .status,
    ).toBe(201);
    await deploy(product, "production", "failed", { version: "3.0.0" });
    const types = (await deliveriesOf(hook.id)).map((d) => d.event_type).sort();
    expect(types).toEqual(["release.created", "release.in_progress", "release.member_failed"]);
    const failed = (await deliveriesOf(hook.id)).find((d) => d.event_type === "release.member_failed");
    const detail = (await t.call("GET", `/notification-deliveries/${failed.id}`)).body;
    expect(detail.payload).toMatchObject({
      subject: "release",
      release: { name },
      product_name: product,
      version: "3.0.0",
      environment: "production",
      is_successful: null,
    });
  });

  it("carries the deployment buttons on build.completed", async () => {
    const product = unique("buttons");
    const hook = await channel({
      kind: "webhook",
      url: "http://127.0.0.1:9/b",
      subscriptions: [{ event_types: ["build.completed"], products: [product] }],
    });
    t.clock.advance(1000);
    await t.call("POST", "/build-events/", { product_name: product, version: "0.9.0", status: "completed" });
    const button = await t.call("POST", "/deployment-buttons", {
      product_name: product,
      name: "Deploy",
      url_template: "https://deploy.example.com/?v={vi_version}&env={vi_environment_name}",
    });
    expect(button.status, JSON.stringify(button.body)).toBe(201);
    t.clock.advance(1000);
    await t.call("POST", "/build-events/", { product_name: product, version: "1.0.0", status: "completed" });
    const [latest] = await deliveriesOf(hook.id);
    const detail = (await t.call("GET", `/notification-deliveries/${latest.id}`)).body;
    expect(detail.payload.version).toBe("1.0.0");
    expect(detail.payload.buttons.length).toBeGreaterThan(0);
    expect(detail.payload.buttons[0].url).toContain("v=1.0.0");
  });
});
