import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChannel, deliveriesOf, deploy } from "./testing/notification-fixtures.ts";
import { createTestApp, type TestApp, unique } from "./testing/test-app.ts";

const PUBLIC_URL = "https://versioner.example.com/ops";

describe("links built from VERSIONER_PUBLIC_URL", () => {
  let t: TestApp;
  let plain: TestApp;
  beforeAll(async () => {
    [t, plain] = await Promise.all([
      createTestApp({
        VERSIONER_PUBLIC_URL: `${PUBLIC_URL}/`,
        VERSIONER_ALLOW_PRIVATE_WEBHOOKS: "true",
        VERSIONER_LOG_LEVEL: "silent",
      }),
      createTestApp({ VERSIONER_LOG_LEVEL: "silent" }),
    ]);
  });
  afterAll(() => {
    t.close();
    plain.close();
  });

  it("adds deployment_url to deployment-event responses (also replayed and batched ones)", async () => {
    const product = unique("linked");
    const event = {
      product_name: product,
      version: "1.0.0",
      environment_name: "production",
      status: "completed",
    };
    const first = await t.call("POST", "/deployment-events", event, {
      headers: { "idempotency-key": product },
    });
    expect(first.body.deployment_url).toBe(`${PUBLIC_URL}/deployments/${first.body.id}`);
    const replay = await t.call("POST", "/deployment-events", event, {
      headers: { "idempotency-key": product },
    });
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.body.deployment_url).toBe(first.body.deployment_url);

    const batch = await t.call("POST", "/events/batch", {
      events: [
        { kind: "build", event: { product_name: product, version: "1.1.0", status: "completed" } },
        { kind: "deployment", event: { ...event, version: "1.1.0" } },
      ],
    });
    const [build, deployment] = batch.body.results;
    expect(build.body).not.toHaveProperty("deployment_url");
    expect(deployment.body.deployment_url).toBe(`${PUBLIC_URL}/deployments/${deployment.body.id}`);
  });

  it("leaves deployment_url out without VERSIONER_PUBLIC_URL", async () => {
    const res = await plain.call("POST", "/deployment-events", {
      product_name: unique("unlinked"),
      version: "1.0.0",
      environment_name: "production",
      status: "completed",
    });
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty("deployment_url");
  });

  it("puts the deployment's page in webhook payloads as deployment_url and source_url, with id = the deployment", async () => {
    const product = unique("hooked");
    const hook = await createChannel(t, {
      kind: "webhook",
      url: "http://127.0.0.1:9/hook",
      subscriptions: [{ event_types: ["deployment.completed"], products: [product] }],
    });
    const recorded = await deploy(t, product, "production", "completed", {
      deploy_url: "https://ci.example.com/run/5",
    });
    const [delivery] = await deliveriesOf(t, hook.id);
    const { payload } = (await t.call("GET", `/notification-deliveries/${delivery.id}`)).body;
    expect(payload).toMatchObject({
      id: recorded.id,
      event_id: delivery.event_id,
      deployment_id: recorded.id,
      is_successful: true,
      deployed_at: recorded.deployed_at,
      deploy_url: "https://ci.example.com/run/5",
      deployment_url: `${PUBLIC_URL}/deployments/${recorded.id}`,
      source_url: `${PUBLIC_URL}/deployments/${recorded.id}`,
    });
  });
});
