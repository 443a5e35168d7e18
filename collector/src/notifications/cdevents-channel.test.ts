import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cdeventSchema, type SpecVersion } from "../cdevents/cdevents-schema.ts";
import { binaryMode, cdevent, serviceContent } from "../testing/cdevents-fixtures.ts";
import { type HttpReceiver, startReceiver } from "../testing/http-receiver.ts";
import { createChannel, deliverInOrder } from "../testing/notification-fixtures.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";
import { renderServiceEvent } from "./cdevents-channel.ts";
import { buildPayload } from "./payload.ts";

let t: TestApp;
const receivers: HttpReceiver[] = [];

beforeAll(async () => {
  t = await createTestApp({ VERSIONER_ALLOW_PRIVATE_WEBHOOKS: "true", VERSIONER_LOG_LEVEL: "silent" });
});
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  t.close();
});

async function receiver() {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

/** A cdevents channel for one product only, so the tests of this file do not hear each other. */
async function cdeventsChannel(url: string, product: string, extra: Record<string, unknown> = {}) {
  return createChannel(t, {
    kind: "cdevents",
    url,
    subscriptions: [{ event_types: ["deployment.completed"], products: [product] }],
    ...extra,
  });
}

async function deploy(product: string, environment: string, version: string, status = "completed") {
  t.clock.advance(1000);
  const res = await t.call("POST", "/deployment-events/", {
    product_name: product,
    version,
    environment_name: environment,
    status,
    deployed_by: "octocat",
    invoke_id: unique("run"),
    scm_sha: "0123456789abcdef0123456789abcdef01234567",
    scm_repository: "acme/shop",
    source_system: "github",
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** Checks one received request field by field against the spec schema of its type. */
function expectServiceEvent(
  request: HttpReceiver["received"][number],
  spec: SpecVersion,
  predicate: "deployed" | "upgraded" | "rolledback",
  expected: { product: string; version: string; environment: string },
) {
  const eventVersion = spec === "0.4" ? "0.2.0" : "0.3.0";
  const type = `dev.cdevents.service.${predicate}.${eventVersion}`;
  const body = request.json;
  const parsed = cdeventSchema(`service.${predicate}`, spec).safeParse(body);
  expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  // CloudEvents binary mode: the attributes are headers and equal the CDEvent context.
  expect(request.headers["ce-specversion"]).toBe("1.0");
  expect(request.headers["ce-id"]).toBe(body.context.id);
  expect(request.headers["ce-source"]).toBe(body.context.source);
  expect(request.headers["ce-type"]).toBe(type);
  expect(request.headers["ce-subject"]).toBe(body.subject.id);
  expect(request.headers["ce-time"]).toBe(body.context.timestamp);
  expect(request.headers["content-type"]).toBe("application/json");
  expect(body.context.type).toBe(type);
  expect(body.context.id).toMatch(/^[0-9a-f-]{36}$/);
  expect(Date.parse(body.context.timestamp)).not.toBeNaN();
  if (spec === "0.4") {
    expect(body.context.version).toBe("0.4.1");
    expect(body.context.specversion).toBeUndefined();
    expect(body.subject.type).toBe("service");
  } else {
    expect(body.context.specversion).toBe("0.5.0");
    expect(body.context.version).toBeUndefined();
  }
  expect(body.subject.id).toBe(expected.product);
  expect(body.subject.content).toEqual({
    environment: { id: expected.environment },
    artifactId: `pkg:generic/${expected.product}@${expected.version}`,
  });
  expect(body.customDataContentType).toBe("application/json");
  expect(body.customData.versioner).toMatchObject({
    product_name: expected.product,
    version: expected.version,
    environment: expected.environment,
  });
}

describe("cdevents channel", () => {
  it("emits service.deployed first, then service.upgraded, as CDEvents 0.5 in binary mode", async () => {
    const sink = await receiver();
    const product = unique("shop");
    const channel = await cdeventsChannel(sink.url, product, {
      headers: { Authorization: "Bearer sink-token" },
    });
    expect(channel).toMatchObject({
      kind: "cdevents",
      cdevents: { spec_version: "0.5", source: "/versioner" },
    });
    await deploy(product, "production", "1.0.0");
    await deploy(product, "production", "1.1.0");
    await deploy(product, "production", "1.1.0");
    await deploy(product, "production", "1.2.0", "failed");
    await deliverInOrder(t, "cdevents-worker");
    expect(sink.received).toHaveLength(3);
    const [first, second, third] = sink.received;
    if (!first || !second || !third) throw new Error("three requests expected");
    expect(first.headers.authorization).toBe("Bearer sink-token");
    expectServiceEvent(first, "0.5", "deployed", { product, version: "1.0.0", environment: "production" });
    expectServiceEvent(second, "0.5", "upgraded", { product, version: "1.1.0", environment: "production" });
    expect(second.json.customData.versioner.previous_version).toBe("1.0.0");
    expect(second.json.customData.versioner.commit_sha).toBe("0123456789abcdef0123456789abcdef01234567");
    // The same version again is a new instance of it, not an upgrade (docs/cdevents.md).
    expectServiceEvent(third, "0.5", "deployed", { product, version: "1.1.0", environment: "production" });
  });

  it("emits service.rolledback for a rollback (back to a version that ran there), upgraded otherwise", async () => {
    const sink = await receiver();
    const product = unique("shop");
    await cdeventsChannel(sink.url, product);
    await deploy(product, "production", "1.0.0");
    await deploy(product, "production", "2.0.0");
    await deploy(product, "production", "1.0.0");
    await deploy(product, "production", "2.0.0");
    await deliverInOrder(t, "cdevents-worker");
    expect(sink.received).toHaveLength(4);
    const [, , back, forward] = sink.received;
    if (!back || !forward) throw new Error("four requests expected");
    expectServiceEvent(back, "0.5", "rolledback", { product, version: "1.0.0", environment: "production" });
    expect(back.json.customData.versioner.previous_version).toBe("2.0.0");
    // Forward again to 2.0.0, which ran there before too: Datadog's rule calls that a rollback as well.
    expectServiceEvent(forward, "0.5", "rolledback", {
      product,
      version: "2.0.0",
      environment: "production",
    });
  });

  it("emits CDEvents 0.4 when configured, with a chosen source", async () => {
    const sink = await receiver();
    const product = unique("api");
    await cdeventsChannel(sink.url, product, {
      cdevents: { spec_version: "0.4", source: "https://versioner.acme.test" },
    });
    await deploy(product, "staging", "2.0.0");
    await deploy(product, "staging", "2.1.0");
    await deliverInOrder(t, "cdevents-worker");
    const [first, second] = sink.received;
    if (!first || !second) throw new Error("two requests expected");
    expectServiceEvent(first, "0.4", "deployed", { product, version: "2.0.0", environment: "staging" });
    expectServiceEvent(second, "0.4", "upgraded", { product, version: "2.1.0", environment: "staging" });
    expect(first.headers["ce-source"]).toBe("https://versioner.acme.test");
  });

  it("renders service.rolledback with every field the spec requires, in both versions", () => {
    const payload = buildPayload(
      {
        type: "deployment.completed",
        occurred_at: "2026-03-01T10:00:00.000Z",
        product_name: "web",
        environment_name: "production",
        status: "completed",
        data: { version: { version: "1.0.0" }, deployment: { completed_at: "2026-03-01T10:00:00.000Z" } },
      },
      { eventId: "5328c37f-bb7e-4bb7-84ea-9f5f85e4a7ce", previous: { version: "1.1.0", scm_sha: null } },
    );
    for (const spec of ["0.4", "0.5"] as const) {
      const rendered = renderServiceEvent(
        payload,
        { spec_version: spec, source: "/versioner" },
        "rolledback",
      );
      const parsed = cdeventSchema("service.rolledback", spec).safeParse(rendered.event);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      expect(rendered.attributes.type).toBe(
        `dev.cdevents.service.rolledback.${spec === "0.4" ? "0.2.0" : "0.3.0"}`,
      );
    }
  });

  it("turns a deployment received as a CDEvent back into one another collector accepts", async () => {
    const sink = await receiver();
    const product = unique("roundtrip");
    await cdeventsChannel(sink.url, product);
    const inbound = cdevent("0.4", "service.deployed", serviceContent("qa", `pkg:npm/${product}@4.0.0`));
    const ingested = await t.app.request("/cdevents", {
      method: "POST",
      headers: { ...binaryMode(inbound).headers, authorization: "Bearer test-admin-token" },
      body: binaryMode(inbound).body,
    });
    expect(ingested.status).toBe(200);
    await deliverInOrder(t, "cdevents-worker");
    const [emitted] = sink.received;
    if (!emitted) throw new Error("one request expected");
    expectServiceEvent(emitted, "0.5", "deployed", { product, version: "4.0.0", environment: "qa" });
    const other = await createTestApp({ VERSIONER_LOG_LEVEL: "silent" });
    try {
      const headers = Object.fromEntries(
        Object.entries(emitted.headers).filter(([name]) => name.startsWith("ce-") || name === "content-type"),
      ) as Record<string, string>;
      const res = await other.app.request("/cdevents", {
        method: "POST",
        headers: { ...headers, authorization: "Bearer test-admin-token" },
        body: emitted.body,
      });
      const body = (await res.json()) as { result: unknown };
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body.result).toMatchObject({ product_name: product, version: "4.0.0", environment_name: "qa" });
    } finally {
      other.close();
    }
  });

  it("sends a sample service.deployed from the test endpoint", async () => {
    const sink = await receiver();
    const channel = await cdeventsChannel(sink.url, unique("sample"));
    const res = await t.call("POST", `/notification-channels/${channel.id}/test`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, response_code: 200 });
    const [sample] = sink.received;
    if (!sample) throw new Error("one request expected");
    expectServiceEvent(sample, "0.5", "deployed", {
      product: "versioner-test",
      version: "1.0.0",
      environment: "production",
    });
  });

  it("validates its settings and subscriptions", async () => {
    const url = "http://127.0.0.1:9/sink";
    const cases: Array<[Record<string, unknown>, Array<string | number>]> = [
      [{ cdevents: { spec_version: "0.6" } }, ["body", "cdevents", "spec_version"]],
      [{ cdevents: { source: "has spaces" } }, ["body", "cdevents", "source"]],
      [{ secret: "s" }, ["body", "secret"]],
      [
        { subscriptions: [{ event_types: ["deployment.failed"] }] },
        ["body", "subscriptions", 0, "event_types"],
      ],
      [{ subscriptions: [{ event_types: ["deployment.*"] }] }, ["body", "subscriptions", 0, "event_types"]],
    ];
    for (const [extra, loc] of cases) {
      const res = await t.call("POST", "/notification-channels", {
        name: unique("c"),
        kind: "cdevents",
        url,
        ...extra,
      });
      expect(res.status, JSON.stringify(extra)).toBe(422);
      expect(res.body.detail[0].loc).toEqual(loc);
    }
    const webhook = await t.call("POST", "/notification-channels", {
      name: unique("w"),
      kind: "webhook",
      url,
      cdevents: { spec_version: "0.4" },
    });
    expect(webhook.body.detail[0].loc).toEqual(["body", "cdevents"]);
    const defaults = await createChannel(t, { kind: "cdevents", url });
    expect(defaults.subscriptions).toEqual([
      {
        event_types: ["deployment.completed"],
        products: [],
        environments: [],
        environment_types: [],
        statuses: [],
      },
    ]);
    const updated = await t.call("PATCH", `/notification-channels/${defaults.id}`, {
      cdevents: { spec_version: "0.4" },
    });
    expect(updated.body.cdevents).toEqual({ spec_version: "0.4", source: "/versioner" });
    await t.call("PATCH", `/notification-channels/${defaults.id}`, { enabled: false });
  });

  it("is held to the outbound guard like every channel", async () => {
    const guarded = await createTestApp({ VERSIONER_LOG_LEVEL: "silent" });
    try {
      const res = await guarded.call("POST", "/notification-channels", {
        name: unique("c"),
        kind: "cdevents",
        url: "http://127.0.0.1:9/sink",
      });
      expect(res.status).toBe(422);
      expect(res.body.detail[0]).toMatchObject({ loc: ["body", "url"], type: "url_refused" });
    } finally {
      guarded.close();
    }
  });
});
