import {
  batchMode,
  binaryMode,
  cdevent,
  type HttpRequestParts,
  MODES,
  type Mode,
  SPECS,
  sampleLinks,
  serviceContent,
  structuredMode,
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

  async function post(parts: HttpRequestParts) {
    const res = await fetch(`${collector.url}/cdevents`, {
      method: "POST",
      headers: { ...parts.headers, authorization: `Bearer ${collector.token}` },
      body: parts.body,
    });
    return { status: res.status, body: (await res.json()) as any };
  }
  const postBinary = (event: Record<string, any>) => post(binaryMode(event));

  // Each subject Versioner maps, in both spec versions and the three CloudEvents HTTP modes, with
  // links and custom data; what was recorded is read back over the API.
  for (const spec of SPECS) {
    for (const mode of Object.keys(MODES) as Mode[]) {
      it(`maps service, artifact, environment and pipelinerun events of CDEvents ${spec} in ${mode} mode`, async () => {
        const product = unique(`e2e-${mode}`);
        const envId = unique("e2e-env");
        const extras = () => ({
          links: sampleLinks(),
          customData: { versioner: { product_name: product, version: "2.0.1" }, ticket: "OPS-9" },
          customDataContentType: "application/json",
        });
        const events = [
          cdevent(spec, "environment.created", { name: "staging" }, { subjectId: envId, ...extras() }),
          cdevent(
            spec,
            "artifact.published",
            { sbom: { uri: "https://sbom.example/x.json" } },
            {
              subjectId: `pkg:npm/${product}@2.0.0`,
              ...extras(),
            },
          ),
          cdevent(spec, "service.deployed", serviceContent(envId, `pkg:npm/${product}@2.0.0`), extras()),
          cdevent(spec, "pipelinerun.finished", { outcome: "failure" }, extras()),
        ];
        // Batch mode sends the four in one request (applied in order); the others one by one.
        let results: Array<{ status: number; body: any }> = [];
        if (mode === "batch") {
          const res = await post(batchMode(events));
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          results = res.body.results;
        } else {
          for (const event of events) results.push(await post(MODES[mode](event)));
        }
        expect(
          results.map((r: any) => [r.status, r.body.mapped_to]),
          JSON.stringify(results),
        ).toEqual([
          [200, "environment"],
          [200, "build"],
          [200, "deployment"],
          [200, "build"],
        ]);
        const [environment, artifact, deployment, run] = results.map((r: any) => r.body.result);
        expect(environment).toMatchObject({ name: envId, type: "staging" });
        expect(artifact).toMatchObject({ product_name: product, version: "2.0.0", status: "completed" });
        expect(deployment).toMatchObject({
          product_name: product,
          version: "2.0.0",
          environment_id: environment.id,
          status: "completed",
        });
        expect(run).toMatchObject({ product_name: product, version: "2.0.1", status: "failed" });
        const stored = [
          (await api(collector, "GET", `/environments/${environment.id}`)).body.metadata.cdevents,
          (await api(collector, "GET", `/versions/${artifact.version_id}`)).body.extra_metadata.cdevents,
          (await api(collector, "GET", `/deployments/${deployment.deployment_id}`)).body.extra_metadata
            .cdevents,
          (await api(collector, "GET", `/versions/${run.version_id}`)).body.extra_metadata.cdevents,
        ];
        for (const [index, event] of events.entries()) {
          expect(stored[index]).toMatchObject({
            id: event.context.id,
            type: event.context.type,
            spec,
            links: event.context.links,
            custom_data: event.customData,
            custom_data_content_type: "application/json",
          });
        }
      });
    }
  }

  it("takes service events and emits deployed, upgraded and rolledback to a CloudEvents sink", async () => {
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
    // Back to 1.0.0, which ran there before: Versioner detects a rollback and emits rolledback.
    const rolledBack = await post(
      structuredMode(
        cdevent("0.5", "service.rolledback", serviceContent("production", `pkg:npm/${product}@1.0.0`), {
          timestamp: "2026-03-01T12:00:00Z",
        }),
      ),
    );
    expect(rolledBack.status, JSON.stringify(rolledBack.body)).toBe(200);
    // The same CloudEvent again (id + source) records nothing new.
    expect((await postBinary(first)).body.result.deployment_id).toBe(deployed.body.result.deployment_id);
    const ignored = await postBinary(cdevent("0.5", "taskrun.started", { taskName: "lint" }));
    expect(ignored).toMatchObject({ status: 202, body: { ignored: true } });

    const history = await api(collector, "GET", `/deployments?product=${product}`);
    expect(history.body.items.map((d: any) => d.version).sort()).toEqual(["1.0.0", "1.0.0", "1.1.0"]);

    await waitFor("three CDEvents at the sink", () => sink.received.length >= 3);
    // Deliveries may be sent in parallel: order them by the version they carry.
    const received = [...sink.received].sort((a, b) =>
      a.json.context.timestamp.localeCompare(b.json.context.timestamp),
    );
    const types = received.map((r) => r.headers["ce-type"]);
    expect(types).toEqual([
      "dev.cdevents.service.deployed.0.2.0",
      "dev.cdevents.service.upgraded.0.2.0",
      "dev.cdevents.service.rolledback.0.2.0",
    ]);
    for (const [index, request] of received.entries()) {
      const body = request.json;
      expect(request.headers["ce-specversion"]).toBe("1.0");
      expect(request.headers["ce-source"]).toBe("/versioner/e2e");
      expect(request.headers["ce-id"]).toBe(body.context.id);
      expect(body.context).toMatchObject({ version: "0.4.1", source: "/versioner/e2e", type: types[index] });
      expect(body.subject).toMatchObject({
        id: product,
        type: "service",
        content: {
          environment: { id: "production" },
          artifactId: `pkg:generic/${product}@${["1.0.0", "1.1.0", "1.0.0"][index]}`,
        },
      });
    }
  });
});
