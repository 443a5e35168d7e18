import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
} from "../testing/cdevents-fixtures.ts";
import { ADMIN_TOKEN, createTestApp, type TestApp, unique } from "../testing/test-app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ VERSIONER_CDEVENTS_PRODUCTS: '{"pkg:oci/web-image":"web-portal"}' });
});
afterAll(() => t.close());

async function post(parts: HttpRequestParts, token: string | null = ADMIN_TOKEN) {
  const headers: Record<string, string> = { ...parts.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await t.app.request("/cdevents", { method: "POST", headers, body: parts.body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** The one result of a request in any mode: batch mode wraps it in `results`. */
async function postOne(mode: Mode, event: Record<string, any>) {
  const res = await post(MODES[mode](event));
  if (mode !== "batch" || res.status !== 200) return res;
  expect(res.body.results).toHaveLength(1);
  return res.body.results[0] as { status: number; body: any };
}

async function deploymentsOf(product: string) {
  const res = await t.call("GET", `/deployments?product=${product}`);
  expect(res.status).toBe(200);
  return res.body.items as any[];
}

describe("POST /cdevents: service events become deployments", () => {
  for (const spec of SPECS) {
    for (const mode of Object.keys(MODES) as Mode[]) {
      it(`records service.deployed from CDEvents ${spec} in ${mode} mode, with links and custom data`, async () => {
        const product = unique("svc");
        const environment = unique("staging");
        const links = sampleLinks();
        const event = cdevent(
          spec,
          "service.deployed",
          serviceContent(environment, `pkg:npm/${product}@1.4.0`),
          {
            chainId: "4c8cb7dd-3448-41de-8768-eec704e2829b",
            links,
            customData: { team: "payments", ticket: "OPS-7" },
            customDataContentType: "application/json",
            timestamp: "2026-03-01T09:30:00Z",
          },
        );
        const res = await postOne(mode, event);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(res.body.mapped_to).toBe("deployment");
        expect(res.body.event).toEqual({
          id: event.context.id,
          source: event.context.source,
          type: event.context.type,
        });
        expect(res.body.result).toMatchObject({
          product_name: product,
          version: "1.4.0",
          environment_name: environment,
          status: "completed",
          completed_at: "2026-03-01T09:30:00.000Z",
          source_system: "cdevents",
        });
        const cdevents = res.body.result.extra_metadata.cdevents;
        expect(cdevents).toMatchObject({
          id: event.context.id,
          source: "/tekton/cluster-1",
          type: event.context.type,
          spec,
          predicate: "deployed",
          artifact_id: `pkg:npm/${product}@1.4.0`,
          environment_source: "/argocd",
          chain_id: "4c8cb7dd-3448-41de-8768-eec704e2829b",
          links,
          custom_data: { team: "payments", ticket: "OPS-7" },
          custom_data_content_type: "application/json",
        });
        const state = await t.call("GET", "/state");
        const row = state.body.products.find((p: any) => p.name === product);
        expect(row.cells.find((c: any) => c.environment_name === environment).current.version).toBe("1.4.0");
      });
    }
  }

  it("maps upgraded and rolledback to deployments; /state follows the latest", async () => {
    const product = unique("api");
    const environment = unique("production");
    const send = (predicate: string, version: string, timestamp: string) =>
      post(
        binaryMode(
          cdevent(
            "0.5",
            `service.${predicate}`,
            serviceContent(environment, `pkg:oci/${product}@${version}`),
            { timestamp },
          ),
        ),
      );
    expect((await send("deployed", "1.0.0", "2026-03-01T08:00:00Z")).status).toBe(200);
    expect((await send("upgraded", "1.1.0", "2026-03-01T08:10:00Z")).status).toBe(200);
    const rolledBack = await send("rolledback", "1.0.0", "2026-03-01T08:20:00Z");
    expect(rolledBack.status).toBe(200);
    expect(rolledBack.body.result.extra_metadata.cdevents.predicate).toBe("rolledback");
    const history = await deploymentsOf(product);
    expect(history.map((d) => d.version)).toEqual(["1.0.0", "1.1.0", "1.0.0"]);
    const state = await t.call("GET", "/state");
    const row = state.body.products.find((p: any) => p.name === product);
    const cell = row.cells.find((c: any) => c.environment_name === environment);
    expect(cell.current).toMatchObject({ version: "1.0.0", deployed_at: "2026-03-01T08:20:00.000Z" });
  });

  it("is idempotent by CloudEvent id + source, and a new id is a new deployment", async () => {
    const product = unique("idem");
    const event = cdevent("0.4", "service.deployed", serviceContent("qa", `pkg:generic/${product}@2.0.0`));
    const first = await post(binaryMode(event));
    const again = await post(structuredMode(event));
    expect(again.status).toBe(200);
    expect(again.body.result.deployment_id).toBe(first.body.result.deployment_id);
    const sameIdOtherSource = cdevent(
      "0.4",
      "service.deployed",
      serviceContent("qa", `pkg:generic/${product}@2.0.0`),
      {
        id: event.context.id,
        source: "/jenkins",
      },
    );
    const other = await post(binaryMode(sameIdOtherSource));
    expect(other.body.result.deployment_id).not.toBe(first.body.result.deployment_id);
    expect(await deploymentsOf(product)).toHaveLength(2);
  });

  it("names the product from the configured artifact mapping, else from the purl name", async () => {
    const mapped = await post(
      binaryMode(
        cdevent(
          "0.5",
          "service.deployed",
          serviceContent("dev", "pkg:oci/web-image@sha256%3Aabc123?arch=amd64&repository_url=ghcr.io%2Facme"),
        ),
      ),
    );
    expect(mapped.status, JSON.stringify(mapped.body)).toBe(200);
    expect(mapped.body.result.product_name).toBe("web-portal");
    expect(mapped.body.result.version).toBe("sha256:abc123");
    const golang = await post(
      binaryMode(
        cdevent(
          "0.5",
          "service.deployed",
          serviceContent("dev", "pkg:golang/mygit.com/myorg/myapp@234fd47e07d1004f0aed9c"),
        ),
      ),
    );
    expect(golang.body.result.product_name).toBe("myapp");
  });

  it("moves a release like any deployment does", async () => {
    const product = unique("member");
    const purl = `pkg:npm/${product}@5.0.0`;
    expect(
      (await post(binaryMode(cdevent("0.5", "artifact.published", {}, { subjectId: purl })))).status,
    ).toBe(200);
    const release = await t.call("POST", "/releases", { name: unique("release") });
    const added = await t.call("POST", `/releases/${release.body.id}/versions`, {
      product_name: product,
      version: "5.0.0",
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(
      (await post(binaryMode(cdevent("0.5", "service.deployed", serviceContent("dev", purl))))).status,
    ).toBe(200);
    expect((await t.call("GET", `/releases/${release.body.id}`)).body.status).toBe("in_progress");
  });

  it("acknowledges service.removed without recording anything", async () => {
    const res = await post(
      binaryMode(cdevent("0.4", "service.removed", { environment: { id: "production" } })),
    );
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ ignored: true });
    expect(res.body.reason).toContain("/state is unchanged");
  });
});

describe("POST /cdevents: artifacts, pipeline runs and environments", () => {
  for (const spec of SPECS) {
    it(`maps all four subjects of CDEvents ${spec} in one batch, in order`, async () => {
      const product = unique("shop");
      const envId = unique("eu-west/prod");
      const purl = `pkg:npm/${product}@3.2.1`;
      const events = [
        cdevent(
          spec,
          "environment.created",
          { name: "production", url: "https://k8s.example" },
          { subjectId: envId, timestamp: "2026-03-01T07:00:00Z" },
        ),
        cdevent(
          spec,
          "artifact.packaged",
          { change: { id: "change-42", source: "github.com/acme/shop" } },
          { subjectId: purl },
        ),
        cdevent(
          spec,
          "artifact.published",
          { sbom: { uri: "https://sbom.example/shop.json" } },
          { subjectId: purl },
        ),
        cdevent(spec, "service.deployed", serviceContent(envId, purl)),
        cdevent(
          spec,
          "pipelinerun.finished",
          {
            pipelineName: "release",
            outcome: "failure",
            errors: "smoke tests failed",
            [spec === "0.4" ? "url" : "uri"]: "https://ci.example/runs/9",
          },
          {
            subjectId: "runs/9",
            customData: { versioner: { product_name: product, version: "3.2.2" } },
          },
        ),
        cdevent(
          spec,
          "environment.modified",
          { name: "production", url: "https://k8s2.example" },
          { subjectId: envId, timestamp: "2026-03-01T11:00:00Z" },
        ),
        cdevent(
          spec,
          "environment.deleted",
          { name: "production" },
          { subjectId: envId, timestamp: "2026-03-01T12:00:00Z" },
        ),
        cdevent(spec, "taskrun.started", { taskName: "lint" }),
      ];
      const res = await post(batchMode(events));
      expect(res.status).toBe(200);
      expect(
        res.body.results.map((r: any) => r.status),
        JSON.stringify(res.body),
      ).toEqual([200, 200, 200, 200, 200, 200, 200, 202]);
      expect(res.body).toMatchObject({ accepted: 7, ignored: 1, rejected: 0 });
      const [created, packaged, published, deployed, run] = res.body.results.map((r: any) => r.body);
      expect(created.mapped_to).toBe("environment");
      expect(created.result).toMatchObject({ name: envId, type: "production" });
      expect(packaged.mapped_to).toBe("build");
      expect(packaged.result).toMatchObject({ product_name: product, version: "3.2.1", status: "completed" });
      expect(published.result.build_id).toBe(packaged.result.build_id);
      expect(deployed.result).toMatchObject({ environment_id: created.result.id, version: "3.2.1" });
      expect(run.result).toMatchObject({
        product_name: product,
        version: "3.2.2",
        status: "failed",
        build_url: "https://ci.example/runs/9",
      });
      const environment = await t.call("GET", `/environments/${encodeURIComponent(envId)}`);
      expect(environment.body.metadata.cdevents).toMatchObject({
        name: "production",
        url: "https://k8s2.example",
        last_predicate: "deleted",
        deleted_at: "2026-03-01T12:00:00Z",
      });
      expect(res.body.results[7].body.reason).toContain("taskrun.started");
    });
  }

  for (const spec of SPECS) {
    for (const mode of Object.keys(MODES) as Mode[]) {
      it(`accepts and maps each subject from CDEvents ${spec} in ${mode} mode, with links and custom data`, async () => {
        const product = unique("matrix");
        const extras = () => ({
          links: sampleLinks(),
          customData: { versioner: { product_name: product, version: "1.0.2" }, team: "core" },
          customDataContentType: "application/json",
          chainId: randomUUID(),
        });
        const cases: Array<[Record<string, any>, string]> = [
          [
            cdevent(spec, "service.deployed", serviceContent("uat", `pkg:npm/${product}@1.0.0`), extras()),
            "deployment",
          ],
          [
            cdevent(
              spec,
              "artifact.packaged",
              { change: { id: "c1" } },
              { subjectId: `pkg:npm/${product}@1.0.1`, ...extras() },
            ),
            "build",
          ],
          [
            cdevent(
              spec,
              "environment.created",
              { name: "uat" },
              { subjectId: unique("uat"), subjectSource: "/k8s", ...extras() },
            ),
            "environment",
          ],
          [cdevent(spec, "pipelinerun.finished", { outcome: "success" }, extras()), "build"],
        ];
        for (const [event, mappedTo] of cases) {
          const res = await postOne(mode, event);
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          expect(res.body.mapped_to).toBe(mappedTo);
          // What the record keeps of the event, read back from the API rather than the response.
          const stored =
            mappedTo === "environment"
              ? (await t.call("GET", `/environments/${res.body.result.id}`)).body.metadata.cdevents
              : mappedTo === "deployment"
                ? (await t.call("GET", `/deployments/${res.body.result.deployment_id}`)).body.extra_metadata
                    .cdevents
                : // A build's extra_metadata lands on its version.
                  (await t.call("GET", `/versions/${res.body.result.version_id}`)).body.extra_metadata
                    .cdevents;
          expect(stored).toMatchObject({
            id: event.context.id,
            source: event.context.source,
            type: event.context.type,
            spec,
            chain_id: event.context.chainId,
            links: event.context.links,
            custom_data: event.customData,
            custom_data_content_type: "application/json",
          });
        }
      });
    }
  }

  it("reads structured-mode data_base64, and refuses a batch over 1000 events", async () => {
    const event = cdevent("0.4", "service.deployed", serviceContent("dev", `pkg:npm/${unique("b64")}@1.0.0`));
    const structured = JSON.parse(structuredMode(event).body);
    delete structured.data;
    structured.data_base64 = Buffer.from(JSON.stringify(event)).toString("base64");
    const res = await post({ headers: structuredMode(event).headers, body: JSON.stringify(structured) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.result.version).toBe("1.0.0");
    const tooMany = await post(batchMode(Array.from({ length: 1001 }, () => event)));
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.detail[0]).toMatchObject({ loc: ["body"], type: "too_big" });
  });

  it("percent-decodes binary-mode header values", async () => {
    const event = cdevent(
      "0.5",
      "service.deployed",
      serviceContent("dev", `pkg:npm/${unique("enc")}@1.0.0`),
      {
        source: "/équipe/tekton",
      },
    );
    const parts = binaryMode(event);
    parts.headers["ce-source"] = "/%C3%A9quipe/tekton";
    const res = await post(parts);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.event.source).toBe("/équipe/tekton");
  });

  it("keeps an environment's newer facts when an older event arrives late", async () => {
    const envId = unique("env");
    await post(
      binaryMode(
        cdevent(
          "0.5",
          "environment.modified",
          { url: "https://new.example" },
          { subjectId: envId, timestamp: "2026-03-02T00:00:00Z" },
        ),
      ),
    );
    await post(
      binaryMode(
        cdevent(
          "0.5",
          "environment.modified",
          { url: "https://old.example" },
          { subjectId: envId, timestamp: "2026-03-01T00:00:00Z" },
        ),
      ),
    );
    const environment = await t.call("GET", `/environments/${encodeURIComponent(envId)}`);
    expect(environment.body.metadata.cdevents.url).toBe("https://new.example");
    const unknown = await post(
      binaryMode(cdevent("0.5", "environment.deleted", {}, { subjectId: unique("gone") })),
    );
    expect(unknown.status).toBe(202);
    expect(unknown.body.reason).toContain("No environment");
  });

  it("ignores a pipelinerun.finished that names no artifact, with the reason", async () => {
    const res = await post(structuredMode(cdevent("0.4", "pipelinerun.finished", { outcome: "success" })));
    expect(res.status).toBe(202);
    expect(res.body.reason).toContain("customData.versioner.product_name");
  });

  it("ignores unknown event types with a clear response", async () => {
    for (const name of ["taskrun.started", "service.published", "incident.detected"]) {
      const res = await post(binaryMode(cdevent("0.5", name, {})));
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ ignored: true });
      expect(res.body.reason).toContain(name);
    }
  });
});

describe("POST /cdevents: invalid events get a 422 naming the field", () => {
  const deployed = (spec: "0.4" | "0.5", content: Record<string, unknown>, options = {}) =>
    cdevent(spec, "service.deployed", content, options);

  it("names a missing required subject field in each mode's location", async () => {
    const event = deployed("0.4", { environment: { id: "prod" } });
    const binary = await post(binaryMode(event));
    expect(binary.status).toBe(422);
    expect(binary.body.code).toBe("VALIDATION_ERROR");
    expect(binary.body.detail).toContainEqual(
      expect.objectContaining({ loc: ["body", "subject", "content", "artifactId"] }),
    );
    const structured = await post(structuredMode(event));
    expect(structured.body.detail[0].loc).toEqual(["body", "data", "subject", "content", "artifactId"]);
    const batch = await post(
      batchMode([deployed("0.5", serviceContent("dev", `pkg:npm/${unique("ok")}@1.0.0`)), event]),
    );
    expect(batch.status).toBe(200);
    expect(batch.body).toMatchObject({ accepted: 1, rejected: 1 });
    expect(batch.body.results[1].status).toBe(422);
    expect(batch.body.results[1].body.detail[0].loc).toEqual([
      "body",
      1,
      "data",
      "subject",
      "content",
      "artifactId",
    ]);
  });

  it("requires subject.type in 0.4 but not in 0.5", async () => {
    const content = serviceContent("dev", `pkg:npm/${unique("t")}@1.0.0`);
    const v04 = await post(binaryMode(deployed("0.4", content, { omitSubjectType: true })));
    expect(v04.status).toBe(422);
    expect(v04.body.detail[0].loc).toEqual(["body", "subject", "type"]);
    const v05 = await post(binaryMode(deployed("0.5", content, { omitSubjectType: true })));
    expect(v05.status).toBe(200);
  });

  it("rejects what the spec rules out, each at its field", async () => {
    const content = serviceContent("dev", `pkg:npm/${unique("x")}@1.0.0`);
    const cases: Array<[Record<string, any>, Array<string | number>]> = [];
    const notPurl = deployed("0.5", serviceContent("dev", "myapp-1.0.0.tar.gz"));
    cases.push([notPurl, ["body", "subject", "content", "artifactId"]]);
    const noVersion = deployed("0.5", serviceContent("dev", "pkg:npm/left-pad"));
    cases.push([noVersion, ["body", "subject", "content", "artifactId"]]);
    const badLink = deployed("0.5", content, { links: [{ linkType: "PATH" }] });
    cases.push([badLink, ["body", "context", "links", 0, "from"]]);
    const badTime = deployed("0.5", content);
    badTime.context.timestamp = "yesterday";
    cases.push([badTime, ["body", "context", "timestamp"]]);
    const wrongKey = deployed("0.5", content);
    wrongKey.context.version = wrongKey.context.specversion;
    delete wrongKey.context.specversion;
    cases.push([wrongKey, ["body", "context", "specversion"]]);
    const wrongEventVersion = deployed("0.5", content);
    wrongEventVersion.context.type = "dev.cdevents.service.deployed.0.2.0";
    cases.push([wrongEventVersion, ["body", "context", "type"]]);
    const oldSpec = deployed("0.4", content);
    oldSpec.context.version = "0.3.0";
    cases.push([oldSpec, ["body", "context", "version"]]);
    const envControl = deployed("0.5", serviceContent("", `pkg:npm/${unique("y")}@1.0.0`));
    cases.push([envControl, ["body", "subject", "content", "environment", "id"]]);
    for (const [event, loc] of cases) {
      const parts = binaryMode(event);
      const res = await post(parts);
      expect(res.status, JSON.stringify(event)).toBe(422);
      expect(
        res.body.detail.map((issue: any) => issue.loc),
        JSON.stringify(res.body),
      ).toContainEqual(loc);
    }
  });

  it("requires the CloudEvent attributes to match the CDEvent context", async () => {
    const event = deployed("0.5", serviceContent("dev", `pkg:npm/${unique("m")}@1.0.0`));
    const parts = binaryMode(event);
    parts.headers["ce-id"] = "another-id";
    const res = await post(parts);
    expect(res.status).toBe(422);
    expect(res.body.detail[0].loc).toEqual(["header", "ce-id"]);
  });

  it("rejects requests that are not CloudEvents or not JSON", async () => {
    const event = deployed("0.5", serviceContent("dev", `pkg:npm/${unique("n")}@1.0.0`));
    const plain = await post({
      headers: { "content-type": "application/json" },
      body: JSON.stringify(event),
    });
    expect(plain.status).toBe(422);
    expect(plain.body.detail[0].loc).toEqual(["header", "ce-specversion"]);
    const parts = binaryMode(event);
    delete parts.headers["ce-source"];
    const missing = await post(parts);
    expect(missing.body.detail[0].loc).toEqual(["header", "ce-source"]);
    const broken = await post({ headers: { "content-type": "application/cloudevents+json" }, body: "{oops" });
    expect(broken.status).toBe(400);
    expect(broken.body.code).toBe("INVALID_JSON");
  });
});

describe("POST /cdevents: access", () => {
  it("needs a credential that may record deployments", async () => {
    const event = cdevent("0.5", "service.deployed", serviceContent("dev", `pkg:npm/${unique("a")}@1.0.0`));
    expect((await post(binaryMode(event), null)).status).toBe(401);
    const readKey = (await t.call("POST", "/api-keys", { name: unique("reader"), scope: "read" })).body.token;
    expect((await post(binaryMode(event), readKey)).status).toBe(403);
    const ingestKey = (await t.call("POST", "/api-keys", { name: unique("ci"), scope: "ingest" })).body.token;
    expect((await post(binaryMode(event), ingestKey)).status).toBe(200);
  });
});
