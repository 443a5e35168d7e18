import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describe as messageFacts } from "../notifications/message-facts.ts";
import { NotificationPayload } from "../notifications/payload.ts";
import { startReceiver } from "../testing/http-receiver.ts";
import { createChannel, testWorker } from "../testing/notification-fixtures.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

// A release is completed while every member version runs in every target environment; a rollback
// of a member there reopens it (issue 9, part 2).
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ VERSIONER_ALLOW_PRIVATE_WEBHOOKS: "true", VERSIONER_LOG_LEVEL: "silent" });
});
afterAll(() => t.close());

// Each deployment carries its CI run id, as the CI integrations send: a rollback to 1 must not look
// like a repeat of the first "1 completed" event (issue 9 part 1 fixes that case without run ids).
async function deploy(product: string, version: string, environment: string, status = "completed") {
  t.clock.advance(1000);
  const res = await t.call("POST", "/deployment-events", {
    product_name: product,
    version,
    environment_name: environment,
    status,
    invoke_id: unique("run"),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

async function release(id: string) {
  return (await t.call("GET", `/releases/${id}`)).body;
}

/**
 * Products a and b ran version 1 in their own production environment `live`; a release targets
 * `live` with version 2 of both as members.
 */
async function setup() {
  const [a, b, live] = [unique("a"), unique("b"), unique("live")];
  await t.call("POST", "/environments", { name: live, type: "production" });
  for (const product of [a, b]) {
    await t.call("POST", "/build-events", { product_name: product, version: "2", status: "completed" });
    await deploy(product, "1", live);
  }
  const created = await t.call("POST", "/releases", { name: unique("rel"), target_environments: [live] });
  expect(created.status).toBe(201);
  for (const product of [a, b]) {
    const added = await t.call("POST", `/releases/${created.body.id}/versions`, {
      product_name: product,
      version: "2",
    });
    expect(added.status).toBe(201);
  }
  return { a, b, live, id: created.body.id as string, name: created.body.name as string };
}

describe("release completion", () => {
  it("does not complete while a member version was rolled back in a target environment", async () => {
    const { a, b, live, id } = await setup();
    await deploy(a, "2", live);
    expect((await release(id)).status).toBe("in_progress");
    await deploy(a, "1", live); // rollback: a@2's latest deployment there is still "completed"
    await deploy(b, "2", live);
    expect((await release(id)).status).toBe("in_progress");
    await deploy(a, "2", live);
    expect((await release(id)).status).toBe("completed");
  });

  it("moves a completed release back to in_progress on a rollback, and completes it again", async () => {
    const { a, b, live, id } = await setup();
    await deploy(a, "2", live);
    await deploy(b, "2", live);
    const completed = await release(id);
    expect(completed).toMatchObject({ status: "completed", completed_at: expect.any(String) });

    await deploy(b, "1", live);
    expect(await release(id)).toMatchObject({ status: "in_progress", completed_at: null });
    // The grid says why: b@2's last deployment there completed, but it no longer runs there.
    const progress = (await t.call("GET", `/releases/${id}/progress`)).body;
    const liveCell = (product: string) =>
      progress.products
        .find((p: { product_name: string }) => p.product_name === product)
        .cells.find((c: { environment_name: string }) => c.environment_name === live);
    expect(liveCell(a)).toMatchObject({ status: "deployed", running: true });
    expect(liveCell(b)).toMatchObject({ status: "deployed", running: false });
    // Open again: members may change while the fix is prepared.
    expect((await t.call("PATCH", `/releases/${id}`, { description: "b rolled back" })).status).toBe(200);

    await deploy(b, "2", live);
    expect(await release(id)).toMatchObject({ status: "completed", completed_at: expect.any(String) });
  });

  it("stays completed when a member moves forward to a new version or is rolled back outside the targets", async () => {
    const { a, b, live, id } = await setup();
    const staging = unique("staging");
    await t.call("POST", "/environments", { name: staging, type: "staging" });
    for (const product of [a, b]) {
      await deploy(product, "1", staging);
      await deploy(product, "2", staging);
      await deploy(product, "2", live);
    }
    expect((await release(id)).status).toBe("completed");
    await deploy(a, "1", staging);
    await deploy(b, "3", live); // never ran there: a roll-forward, not a rollback
    expect((await release(id)).status).toBe("completed");
  });

  it("reopens within one /events/batch that completes and then rolls back", async () => {
    const { a, b, live, id } = await setup();
    const event = (product: string, version: string) => ({
      kind: "deployment",
      event: {
        product_name: product,
        version,
        environment_name: live,
        status: "completed",
        invoke_id: unique("run"),
      },
    });
    const res = await t.call("POST", "/events/batch", {
      events: [event(a, "2"), event(b, "2"), event(a, "1")],
    });
    expect(res.body.accepted).toBe(3);
    expect((await release(id)).status).toBe("in_progress");
  });
});

describe("release.member_rolled_back", () => {
  it("is delivered over HTTP to a channel subscribed to it, naming both versions", async () => {
    const receiver = await startReceiver();
    try {
      const { a, b, live, id, name } = await setup();
      await createChannel(t, {
        kind: "webhook",
        url: receiver.url,
        subscriptions: [{ event_types: ["release.member_rolled_back"], products: [a] }],
      });
      await deploy(a, "2", live);
      await deploy(b, "2", live);
      await deploy(a, "1", live);
      const worker = testWorker(t, unique("worker"));
      expect(await worker.runOnce()).toBe(1);
      expect(receiver.received).toHaveLength(1);
      const [request] = receiver.received;
      expect(request?.headers["x-versioner-event"]).toBe("release.member_rolled_back");
      expect(request?.json).toMatchObject({
        event_type: "release.member_rolled_back",
        subject: "release",
        status: "in_progress",
        release: { id, name, status: "in_progress" },
        product_name: a,
        version: "1",
        previous_version: "2",
        environment: live,
        environment_type: "production",
      });
      // What Slack, Teams and e-mail show.
      expect(messageFacts(NotificationPayload.parse(request?.json)).title).toBe(
        `↩️ Release ${name}: ${a} rolled back from 2 to 1 in ${live}`,
      );
    } finally {
      await receiver.close();
    }
  });

  it("can be subscribed to: it is part of the notification event vocabulary", async () => {
    const res = await t.call("POST", "/notification-channels", {
      name: unique("chan"),
      kind: "webhook",
      url: "http://127.0.0.1:9/x",
      subscriptions: [{ event_types: ["release.member_rolled_back"] }],
    });
    expect(res.status).toBe(201);
  });
});
