import {
  argocdNotification,
  githubDeployment,
  githubDeploymentStatus,
  type SignedDelivery,
  signArgocd,
  signGithub,
  signVercel,
  vercelDelivery,
} from "@versioner/collector/testing/integration-fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type RunningCollector, startCollector } from "../support/collector.ts";
import { listDeployments } from "../support/collector-queries.ts";

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

describe("platform integrations through the real collector process", () => {
  let collector: RunningCollector;

  beforeAll(async () => {
    collector = await startCollector();
  });
  afterAll(async () => {
    await collector?.stop();
  });

  async function create(kind: string) {
    const res = await api(collector, "POST", "/integrations", { name: unique(kind), kind });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; webhook_path: string; secret: string };
  }

  /** A delivery as the platform sends it: no Versioner credential, only its own signature or secret. */
  async function deliver(path: string, signed: SignedDelivery) {
    const res = await fetch(`${collector.url}${path}`, {
      method: "POST",
      headers: signed.headers,
      body: signed.body,
    });
    return { status: res.status, body: (await res.json()) as any };
  }

  async function cell(product: string, environment: string) {
    const state = await api(collector, "GET", `/state?product=${encodeURIComponent(product)}`);
    const row = state.body.products.find((p: { name: string }) => p.name === product);
    return row?.cells.find((c: { environment_name: string }) => c.environment_name === environment);
  }

  it("records a Vercel deployment, refuses a forged one, and ignores a redelivery", async () => {
    const vercel = await create("vercel");
    const project = unique("web");
    const created = vercelDelivery({ type: "deployment.created", project, deploymentId: "dpl_e2e1" });
    const succeeded = vercelDelivery({ type: "deployment.succeeded", project, deploymentId: "dpl_e2e1" });

    const forged = await deliver(vercel.webhook_path, signVercel(succeeded, "an-attacker-guessed-this"));
    expect(forged.status).toBe(401);
    expect(await listDeployments(collector, project, "production")).toEqual([]);

    expect((await deliver(vercel.webhook_path, signVercel(created, vercel.secret))).status).toBe(200);
    const done = await deliver(vercel.webhook_path, signVercel(succeeded, vercel.secret));
    expect(done.body.outcome).toBe("recorded");
    const again = await deliver(vercel.webhook_path, signVercel(succeeded, vercel.secret));
    expect(again.body.outcome).toBe("duplicate");

    const deployments = await listDeployments(collector, project, "production");
    expect(deployments).toHaveLength(1);
    expect(deployments[0]).toMatchObject({
      status: "completed",
      source_system: "vercel",
      invoke_id: "vercel:dpl_e2e1",
    });
    expect((await cell(project, "production"))?.current?.version).toBe(
      "7f3c9a1e5b2d4c6f8a0b1c2d3e4f5a6b7c8d9e0f",
    );

    const log = await api(collector, "GET", `/integrations/${vercel.id}/deliveries`);
    expect(log.body.items.map((d: { outcome: string }) => d.outcome)).toEqual([
      "duplicate",
      "recorded",
      "recorded",
      "unauthorized",
    ]);
  });

  it("answers GitHub's ping and records a deployment and its statuses once", async () => {
    const gh = await create("github");
    const repository = unique("api");
    expect(
      (await deliver("/integrations/github", signGithub("ping", { zen: "Speak like a human." }, gh.secret)))
        .status,
    ).toBe(202);
    const forged = await deliver(
      "/integrations/github",
      signGithub("deployment_status", githubDeploymentStatus({ repository }), "not-the-secret-either"),
    );
    expect(forged.status).toBe(401);
    expect(await listDeployments(collector, repository, "production")).toEqual([]);

    await deliver(
      "/integrations/github",
      signGithub("deployment", githubDeployment({ repository }), gh.secret),
    );
    const success = signGithub(
      "deployment_status",
      githubDeploymentStatus({ repository, state: "success" }),
      gh.secret,
    );
    expect((await deliver("/integrations/github", success)).body.outcome).toBe("recorded");
    expect((await deliver("/integrations/github", success)).body.outcome).toBe("duplicate");

    const deployments = await listDeployments(collector, repository, "production");
    expect(deployments).toHaveLength(1);
    expect(deployments[0]).toMatchObject({ status: "completed", source_system: "github" });
    expect((await cell(repository, "production"))?.current?.version).toBe(
      "7f3c9a1e5b2d4c6f8a0b1c2d3e4f5a6b7c8d9e0f",
    );
  });

  it("records an Argo CD sync from running to deployed, and refuses a wrong bearer secret", async () => {
    const argo = await create("argocd");
    const application = unique("checkout");
    const wrong = await deliver(
      "/integrations/argocd",
      signArgocd(argocdNotification({ application }), "vsec_wrong"),
    );
    expect(wrong.status).toBe(401);

    const running = argocdNotification({ application, trigger: "on-sync-running" });
    const deployed = argocdNotification({ application, trigger: "on-deployed" });
    expect((await deliver("/integrations/argocd", signArgocd(running, argo.secret))).status).toBe(200);
    expect((await cell(application, "production"))?.in_progress?.status).toBe("started");
    expect((await deliver("/integrations/argocd", signArgocd(deployed, argo.secret))).body.outcome).toBe(
      "recorded",
    );
    expect((await deliver("/integrations/argocd", signArgocd(deployed, argo.secret))).body.outcome).toBe(
      "duplicate",
    );

    const deployments = await listDeployments(collector, application, "production");
    expect(deployments).toHaveLength(1);
    expect(deployments[0]).toMatchObject({ status: "completed", source_system: "argocd" });
    expect((await cell(application, "production"))?.current?.version).toBe(
      "7f3c9a1e5b2d4c6f8a0b1c2d3e4f5a6b7c8d9e0f",
    );
  });
});
