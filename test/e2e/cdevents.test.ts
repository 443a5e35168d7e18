import {
  binaryMode,
  cdevent,
  sampleLinks,
  serviceContent,
} from "@versioner/collector/testing/cdevents-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type RunningCollector, startCollector } from "../support/collector.ts";
import { type HttpReceiver, startHttpReceiver } from "../support/receivers.ts";
import { waitFor } from "../support/wait-for.ts";

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

describe("CDEvents through the real collector process", () => {
  let collector: RunningCollector;
  let sink: HttpReceiver;

  beforeAll(async () => {
    sink = await startHttpReceiver();
    collector = await startCollector({
      env: { VERSIONER_ALLOW_PRIVATE_WEBHOOKS: "true", VERSIONER_NOTIFY_POLL_MS: "50" },
    });
  });
  afterAll(async () => {
    await collector?.stop();
    await sink?.close();
  });

  async function postBinary(event: Record<string, any>) {
    const parts = binaryMode(event);
    const res = await fetch(`${collector.url}/cdevents`, {
      method: "POST",
      headers: { ...parts.headers, authorization: `Bearer ${collector.token}` },
      body: parts.body,
    });
    return { status: res.status, body: (await res.json()) as any };
  }

  it("takes service events in binary mode and emits each deployment to a CloudEvents sink", async () => {
    const product = unique("checkout");
    const created = await api(collector, "POST", "/notification-channels", {
      name: unique("sink"),
      kind: "cdevents",
      url: sink.url,
      cdevents: { spec_version: "0.4", source: "/versioner/e2e" },
      subscriptions: [{ event_types: ["deployment.completed"], products: [product] }],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    const first = cdevent(
      "0.5",
      "service.deployed",
      serviceContent("production", `pkg:npm/${product}@1.0.0`),
      {
        links: sampleLinks(),
        customData: { team: "payments" },
      },
    );
    const deployed = await postBinary(first);
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(200);
    expect(deployed.body.result).toMatchObject({
      product_name: product,
      version: "1.0.0",
      environment_name: "production",
    });
    const upgraded = await postBinary(
      cdevent("0.4", "service.upgraded", serviceContent("production", `pkg:npm/${product}@1.1.0`), {
        timestamp: "2026-03-01T11:00:00Z",
      }),
    );
    expect(upgraded.status).toBe(200);
    // The same CloudEvent again (id + source) records nothing new.
    expect((await postBinary(first)).body.result.deployment_id).toBe(deployed.body.result.deployment_id);
    const ignored = await postBinary(cdevent("0.5", "taskrun.started", { taskName: "lint" }));
    expect(ignored).toMatchObject({ status: 202, body: { ignored: true } });

    const history = await api(collector, "GET", `/deployments?product=${product}`);
    expect(history.body.items.map((d: any) => d.version).sort()).toEqual(["1.0.0", "1.1.0"]);

    await waitFor("two CDEvents at the sink", () => sink.received.length >= 2);
    // Deliveries may be sent in parallel: order them by the version they carry.
    const received = [...sink.received].sort((a, b) =>
      a.json.context.timestamp.localeCompare(b.json.context.timestamp),
    );
    const types = received.map((r) => r.headers["ce-type"]);
    expect(types).toEqual(["dev.cdevents.service.deployed.0.2.0", "dev.cdevents.service.upgraded.0.2.0"]);
    for (const [index, request] of received.entries()) {
      const body = request.json;
      expect(request.headers["ce-specversion"]).toBe("1.0");
      expect(request.headers["ce-source"]).toBe("/versioner/e2e");
      expect(request.headers["ce-id"]).toBe(body.context.id);
      expect(body.context).toMatchObject({ version: "0.4.1", source: "/versioner/e2e", type: types[index] });
      expect(body.subject).toMatchObject({
        id: product,
        type: "service",
        content: { environment: { id: "production" }, artifactId: `pkg:generic/${product}@1.${index}.0` },
      });
    }
  });
});
