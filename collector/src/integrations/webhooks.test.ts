import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stateCell } from "../testing/ingest-fixtures.ts";
import {
  argocdNotification,
  githubDeployment,
  githubDeploymentStatus,
  type SignedDelivery,
  signArgocd,
  signGithub,
  signVercel,
  vercelDelivery,
} from "../testing/integration-fixtures.ts";
import { createTestApp, type TestApp, unique } from "../testing/test-app.ts";

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

async function integration(kind: string, extra: Record<string, unknown> = {}) {
  const res = await t.call("POST", "/integrations", { name: unique(kind), kind, ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; webhook_path: string; secret: string };
}

async function deliver(path: string, signed: SignedDelivery) {
  const res = await t.app.request(path, { method: "POST", headers: signed.headers, body: signed.body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function deploymentsOf(product: string) {
  const res = await t.call("GET", `/deployments?product=${encodeURIComponent(product)}`);
  return res.status === 404 ? [] : (res.body.items as Array<Record<string, unknown>>);
}

async function deliveries(id: string) {
  return (await t.call("GET", `/integrations/${id}/deliveries`)).body.items as Array<Record<string, unknown>>;
}

describe("Vercel", () => {
  it("records a deployment's lifecycle, shown in /state, version from the Git SHA", async () => {
    const vercel = await integration("vercel");
    const project = unique("web");
    const deploymentId = `dpl_${unique("a")}`;
    const created = await deliver(
      vercel.webhook_path,
      signVercel(vercelDelivery({ type: "deployment.created", project, deploymentId }), vercel.secret),
    );
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body.outcome).toBe("recorded");
    expect((await stateCell(t, project, "production"))?.in_progress?.status).toBe("started");

    const done = await deliver(
      vercel.webhook_path,
      signVercel(vercelDelivery({ type: "deployment.succeeded", project, deploymentId }), vercel.secret),
    );
    expect(done.status).toBe(200);
    expect(done.body.deployment).toMatchObject({ status: "completed", source_system: "vercel" });
    // created and succeeded are one deployment (invoke_id vercel:<deployment id>).
    expect(done.body.deployment.deployment_id).toBe(created.body.deployment.deployment_id);
    const cell = await stateCell(t, project, "production");
    expect(cell?.current?.version).toBe("7f3c9a1e5b2d4c6f8a0b1c2d3e4f5a6b7c8d9e0f");
    expect(await deploymentsOf(project)).toHaveLength(1);
  });

  it("maps targets: no target is preview, error is failed, canceled is aborted; a mapping renames", async () => {
    const project = unique("site");
    const vercel = await integration("vercel", {
      mapping: { products: { [project]: `${project}-renamed` }, environments: { preview: "staging" } },
    });
    const failed = await deliver(
      vercel.webhook_path,
      signVercel(vercelDelivery({ type: "deployment.error", project, target: null }), vercel.secret),
    );
    expect(failed.body.deployment).toMatchObject({
      product_name: `${project}-renamed`,
      environment_name: "staging",
      status: "failed",
    });
    const canceled = await deliver(
      vercel.webhook_path,
      signVercel(vercelDelivery({ type: "deployment.canceled", project, target: "qa" }), vercel.secret),
    );
    expect(canceled.body.deployment).toMatchObject({ environment_name: "qa", status: "aborted" });
    const ignored = await deliver(
      vercel.webhook_path,
      signVercel(vercelDelivery({ type: "project.created", project }), vercel.secret),
    );
    expect(ignored.status).toBe(202);
    expect(ignored.body.outcome).toBe("ignored");
  });

  it("refuses a bad signature with 401, records nothing, and logs the attempt", async () => {
    const vercel = await integration("vercel");
    const project = unique("web");
    const body = vercelDelivery({ project });
    const forged = await deliver(vercel.webhook_path, signVercel(body, "not-the-secret-at-all"));
    expect(forged.status).toBe(401);
    expect(forged.body.code).toBe("UNAUTHORIZED");
    const unsigned = await deliver(vercel.webhook_path, {
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    expect(unsigned.status).toBe(401);
    // The body changed after signing: the signature covers the exact bytes.
    const signed = signVercel(body, vercel.secret);
    const tampered = await deliver(vercel.webhook_path, {
      ...signed,
      body: signed.body.replace(project, `${project}x`),
    });
    expect(tampered.status).toBe(401);
    expect(await deploymentsOf(project)).toEqual([]);
    expect((await deliveries(vercel.id)).map((d) => d.outcome)).toEqual([
      "unauthorized",
      "unauthorized",
      "unauthorized",
    ]);
    expect((await deliver("/integrations/vercel/no-such-token", signed)).status).toBe(404);
  });

  it("records nothing new on a redelivery of the same webhook id", async () => {
    const vercel = await integration("vercel");
    const project = unique("web");
    const signed = signVercel(vercelDelivery({ project }), vercel.secret);
    const first = await deliver(vercel.webhook_path, signed);
    const again = await deliver(vercel.webhook_path, signed);
    expect(again.status).toBe(200);
    expect(again.body.outcome).toBe("duplicate");
    expect(again.body.deployment.id).toBe(first.body.deployment.id);
    expect(await deploymentsOf(project)).toHaveLength(1);
    expect((await deliveries(vercel.id)).map((d) => d.outcome)).toEqual(["duplicate", "recorded"]);
  });

  it("uses the deployment id as version when the deployment has no Git commit", async () => {
    const vercel = await integration("vercel");
    const project = unique("cli");
    const res = await deliver(
      vercel.webhook_path,
      signVercel(vercelDelivery({ project, sha: null, deploymentId: "dpl_cli123" }), vercel.secret),
    );
    expect(res.body.deployment.version).toBe("dpl_cli123");
  });

  it("refuses deliveries to a disabled integration (403) and a body over the limit (413)", async () => {
    const vercel = await integration("vercel", { enabled: false });
    const project = unique("web");
    const res = await deliver(vercel.webhook_path, signVercel(vercelDelivery({ project }), vercel.secret));
    expect(res.status).toBe(403);
    expect(await deploymentsOf(project)).toEqual([]);
    const huge = JSON.stringify({ ...vercelDelivery({ project }), padding: "x".repeat(300 * 1024) });
    expect((await deliver(vercel.webhook_path, signVercel(huge, vercel.secret))).status).toBe(413);
  });
});

describe("GitHub", () => {
  it("answers ping, and records deployment then deployment_status as one deployment", async () => {
    const gh = await integration("github");
    const repository = unique("api");
    const ping = await deliver(
      "/integrations/github",
      signGithub("ping", { zen: "Keep it simple.", hook_id: 1 }, gh.secret),
    );
    expect(ping.status).toBe(202);
    expect(ping.body).toMatchObject({ outcome: "ignored", integration: expect.any(String) });

    const created = await deliver(
      "/integrations/github",
      signGithub("deployment", githubDeployment({ repository }), gh.secret),
    );
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body.deployment).toMatchObject({
      product_name: repository,
      environment_name: "production",
      status: "pending",
    });
    const running = await deliver(
      "/integrations/github",
      signGithub(
        "deployment_status",
        githubDeploymentStatus({ repository, state: "in_progress" }),
        gh.secret,
      ),
    );
    expect(running.body.deployment.status).toBe("started");
    const success = await deliver(
      "/integrations/github",
      signGithub("deployment_status", githubDeploymentStatus({ repository, state: "success" }), gh.secret),
    );
    expect(success.body.deployment).toMatchObject({
      status: "completed",
      deploy_url: "https://production.example.com",
      source_system: "github",
    });
    expect(success.body.deployment.deployment_id).toBe(created.body.deployment.deployment_id);
    expect((await stateCell(t, repository, "production"))?.current?.version).toBe(
      "7f3c9a1e5b2d4c6f8a0b1c2d3e4f5a6b7c8d9e0f",
    );
    expect(await deploymentsOf(repository)).toHaveLength(1);
  });

  it("maps failure and error to failed, ignores inactive, and takes the version from ref when asked", async () => {
    const repository = unique("svc");
    const gh = await integration("github", {
      mapping: {
        products: { [`acme/${repository}`]: "service" },
        environments: { prod: "production" },
        version_from: "ref",
      },
    });
    const failed = await deliver(
      "/integrations/github",
      signGithub(
        "deployment_status",
        githubDeploymentStatus({
          repository,
          state: "failure",
          environment: "prod",
          ref: "v2.0.0",
          deploymentId: 7,
        }),
        gh.secret,
      ),
    );
    expect(failed.body.deployment).toMatchObject({
      product_name: "service",
      environment_name: "production",
      version: "v2.0.0",
      status: "failed",
    });
    const inactive = await deliver(
      "/integrations/github",
      signGithub("deployment_status", githubDeploymentStatus({ repository, state: "inactive" }), gh.secret),
    );
    expect(inactive.status).toBe(202);
  });

  it("refuses a bad or missing X-Hub-Signature-256 with 401 and records nothing", async () => {
    const gh = await integration("github");
    const repository = unique("api");
    const body = githubDeploymentStatus({ repository });
    const forged = await deliver(
      "/integrations/github",
      signGithub("deployment_status", body, "wrong-secret-value"),
    );
    expect(forged.status).toBe(401);
    const signed = signGithub("deployment_status", body, gh.secret);
    const { "x-hub-signature-256": _dropped, ...onlySha1 } = signed.headers;
    expect((await deliver("/integrations/github", { ...signed, headers: onlySha1 })).status).toBe(401);
    expect(await deploymentsOf(repository)).toEqual([]);
  });

  it("records nothing new on a redelivery (same X-GitHub-Delivery)", async () => {
    const gh = await integration("github");
    const repository = unique("api");
    const signed = signGithub("deployment_status", githubDeploymentStatus({ repository }), gh.secret);
    expect((await deliver("/integrations/github", signed)).body.outcome).toBe("recorded");
    const again = await deliver("/integrations/github", signed);
    expect(again.status).toBe(200);
    expect(again.body.outcome).toBe("duplicate");
    expect(await deploymentsOf(repository)).toHaveLength(1);
  });
});

describe("Argo CD", () => {
  it("records sync running then deployed as one deployment, and a failed sync", async () => {
    const argo = await integration("argocd");
    const application = unique("checkout");
    const running = await deliver(
      "/integrations/argocd",
      signArgocd(argocdNotification({ application, trigger: "on-sync-running" }), argo.secret),
    );
    expect(running.status, JSON.stringify(running.body)).toBe(200);
    expect(running.body.deployment).toMatchObject({
      product_name: application,
      environment_name: "production",
      status: "started",
    });
    const deployed = await deliver(
      "/integrations/argocd",
      signArgocd(argocdNotification({ application, trigger: "on-deployed" }), argo.secret),
    );
    expect(deployed.body.deployment).toMatchObject({ status: "completed", source_system: "argocd" });
    expect(deployed.body.deployment.deployment_id).toBe(running.body.deployment.deployment_id);
    expect((await stateCell(t, application, "production"))?.current?.version).toBe(
      "7f3c9a1e5b2d4c6f8a0b1c2d3e4f5a6b7c8d9e0f",
    );

    const failed = await deliver(
      "/integrations/argocd",
      signArgocd(
        argocdNotification({
          application,
          trigger: "on-sync-failed",
          revision: "abc1234",
          startedAt: "2026-03-02T10:00:00Z",
        }),
        argo.secret,
      ),
    );
    expect(failed.body.deployment).toMatchObject({ version: "abc1234", status: "failed" });
    expect((await stateCell(t, application, "production"))?.failed?.version).toBe("abc1234");
  });

  it("takes the version from an image tag and the environment from the destination mapping", async () => {
    const application = unique("cart");
    const argo = await integration("argocd", {
      mapping: {
        version_from: "image_tag:ghcr.io/acme/sidecar",
        environments: { "eu-prod/shop": "production-eu" },
      },
    });
    const res = await deliver(
      "/integrations/argocd",
      signArgocd(argocdNotification({ application, cluster: "eu-prod", namespace: "shop" }), argo.secret),
    );
    expect(res.body.deployment).toMatchObject({ version: "0.9.0", environment_name: "production-eu" });
  });

  it("refuses a wrong bearer secret (401) and records nothing new on a redelivery", async () => {
    const argo = await integration("argocd");
    const application = unique("checkout");
    const body = argocdNotification({ application });
    expect((await deliver("/integrations/argocd", signArgocd(body, "vsec_wrong"))).status).toBe(401);
    expect(await deploymentsOf(application)).toEqual([]);
    expect((await deliver("/integrations/argocd", signArgocd(body, argo.secret))).body.outcome).toBe(
      "recorded",
    );
    expect((await deliver("/integrations/argocd", signArgocd(body, argo.secret))).body.outcome).toBe(
      "duplicate",
    );
    expect(await deploymentsOf(application)).toHaveLength(1);
  });

  it("names the field at fault when the template sends something else", async () => {
    const argo = await integration("argocd");
    const res = await deliver(
      "/integrations/argocd",
      signArgocd({ ...argocdNotification(), application: "" }, argo.secret),
    );
    expect(res.status).toBe(422);
    expect(res.body.detail[0].loc).toEqual(["body", "application"]);
    const deliveryLog = await deliveries(argo.id);
    expect(deliveryLog[0]).toMatchObject({ outcome: "rejected", status_code: 422 });
  });
});
