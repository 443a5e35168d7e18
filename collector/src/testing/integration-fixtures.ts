import { createHmac, randomUUID } from "node:crypto";

/**
 * Deliveries shaped as each platform's documentation shows them, signed as the platform signs
 * them: Vercel (vercel.com/docs/webhooks/webhooks-api, HMAC-SHA1 in x-vercel-signature), GitHub
 * ("Webhook events and payloads": deployment, deployment_status; HMAC-SHA256 in
 * X-Hub-Signature-256) and the Argo CD notifications template of docs/integrations/argocd.md.
 */
export interface SignedDelivery {
  headers: Record<string, string>;
  body: string;
}

const SHA = "7f3c9a1e5b2d4c6f8a0b1c2d3e4f5a6b7c8d9e0f";

export interface VercelFacts {
  type?: string;
  id?: string;
  project?: string;
  projectId?: string;
  deploymentId?: string;
  target?: string | null;
  sha?: string | null;
  createdAt?: number;
}

/** A Vercel deployment webhook body, as the Webhooks API reference lists its keys. */
export function vercelDelivery(facts: VercelFacts = {}): Record<string, unknown> {
  const project = facts.project ?? "web";
  const deploymentId = facts.deploymentId ?? `dpl_${randomUUID().replaceAll("-", "").slice(0, 24)}`;
  const meta =
    facts.sha === null
      ? {}
      : {
          githubCommitSha: facts.sha ?? SHA,
          githubCommitRef: "main",
          githubCommitOrg: "acme",
          githubCommitRepo: project,
          githubCommitMessage: "Ship it",
          githubCommitAuthorLogin: "octocat",
        };
  return {
    id: facts.id ?? `wh_${randomUUID()}`,
    type: facts.type ?? "deployment.succeeded",
    createdAt: facts.createdAt ?? Date.parse("2026-03-01T10:00:00Z"),
    region: "sfo1",
    payload: {
      team: { id: "team_acme" },
      user: { id: "user_octocat" },
      deployment: {
        id: deploymentId,
        meta,
        url: `${project}-${deploymentId.slice(4, 13)}-acme.vercel.app`,
        name: project,
      },
      links: {
        deployment: `https://vercel.com/acme/${project}/${deploymentId}`,
        project: `https://vercel.com/acme/${project}`,
      },
      target: facts.target === undefined ? "production" : facts.target,
      project: { id: facts.projectId ?? `prj_${project}` },
      plan: "pro",
      regions: ["sfo1"],
    },
  };
}

export function signVercel(body: Record<string, unknown> | string, secret: string): SignedDelivery {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return {
    headers: {
      "content-type": "application/json",
      "x-vercel-signature": createHmac("sha1", secret).update(text).digest("hex"),
    },
    body: text,
  };
}

export interface GithubFacts {
  repository?: string;
  owner?: string;
  repositoryId?: number;
  deploymentId?: number;
  environment?: string;
  sha?: string;
  ref?: string;
  state?: string;
}

function githubParts(facts: GithubFacts) {
  const owner = facts.owner ?? "acme";
  const name = facts.repository ?? "api";
  const repositoryId = facts.repositoryId ?? 1296269;
  const deploymentId = facts.deploymentId ?? 145988746;
  const api = `https://api.github.com/repos/${owner}/${name}`;
  const user = { login: "octocat", id: 1, type: "User" };
  const deployment = {
    url: `${api}/deployments/${deploymentId}`,
    id: deploymentId,
    node_id: "MDEwOkRlcGxveW1lbnQx",
    sha: facts.sha ?? SHA,
    ref: facts.ref ?? "main",
    task: "deploy",
    payload: {},
    original_environment: facts.environment ?? "production",
    environment: facts.environment ?? "production",
    description: "Deploy request from hubot",
    creator: user,
    created_at: "2026-03-01T10:00:00Z",
    updated_at: "2026-03-01T10:00:00Z",
    statuses_url: `${api}/deployments/${deploymentId}/statuses`,
    repository_url: api,
    transient_environment: false,
    production_environment: (facts.environment ?? "production") === "production",
  };
  const repository = {
    id: repositoryId,
    node_id: "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
    name,
    full_name: `${owner}/${name}`,
    private: false,
    owner: user,
    html_url: `https://github.com/${owner}/${name}`,
  };
  return { deployment, repository, sender: user, api };
}

/** The body of a `deployment` event (action `created`). */
export function githubDeployment(facts: GithubFacts = {}): Record<string, unknown> {
  const { deployment, repository, sender } = githubParts(facts);
  return { action: "created", deployment, repository, sender };
}

/** The body of a `deployment_status` event (action `created`). */
export function githubDeploymentStatus(facts: GithubFacts = {}): Record<string, unknown> {
  const { deployment, repository, sender, api } = githubParts(facts);
  const environment = facts.environment ?? "production";
  return {
    action: "created",
    deployment_status: {
      url: `${deployment.url}/statuses/1`,
      id: 1,
      node_id: "MDE2OkRlcGxveW1lbnRTdGF0dXMx",
      state: facts.state ?? "success",
      creator: sender,
      description: "Deployment finished",
      environment,
      target_url: `https://ci.example.com/${deployment.id}`,
      log_url: `https://ci.example.com/${deployment.id}/log`,
      environment_url: `https://${environment}.example.com`,
      created_at: "2026-03-01T10:05:00Z",
      updated_at: "2026-03-01T10:05:00Z",
      deployment_url: deployment.url,
      repository_url: api,
    },
    deployment,
    repository,
    sender,
  };
}

/** Headers GitHub sends with a delivery: event name, delivery GUID, both signatures. */
export function signGithub(
  event: string,
  body: Record<string, unknown> | string,
  secret: string,
  deliveryId: string = randomUUID(),
): SignedDelivery {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return {
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/4f7b2c1",
      "x-github-event": event,
      "x-github-delivery": deliveryId,
      "x-github-hook-id": "292430182",
      "x-hub-signature": `sha1=${createHmac("sha1", secret).update(text).digest("hex")}`,
      "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(text).digest("hex")}`,
    },
    body: text,
  };
}

export interface ArgoFacts {
  trigger?: string;
  application?: string;
  cluster?: string;
  server?: string;
  namespace?: string;
  revision?: string;
  images?: string[];
  startedAt?: string;
  deliveryId?: string;
}

/** What the argocd-notifications template of docs/integrations/argocd.md renders for an application. */
export function argocdNotification(facts: ArgoFacts = {}): Record<string, unknown> {
  const trigger = facts.trigger ?? "on-deployed";
  const application = facts.application ?? "checkout";
  const startedAt = facts.startedAt ?? "2026-03-01T10:00:00Z";
  const running = trigger === "on-sync-running";
  const revision = facts.revision ?? SHA;
  return {
    delivery_id: facts.deliveryId ?? `9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d:${startedAt}:${trigger}`,
    trigger,
    application,
    project: "default",
    destination: {
      server: facts.server ?? "https://kubernetes.default.svc",
      namespace: facts.namespace ?? "production",
      name: facts.cluster ?? "in-cluster",
    },
    revision,
    // Go templates print `<no value>` for a field a running sync does not have yet.
    synced_revision: running ? "<no value>" : revision,
    repo_url: "https://github.com/acme/deploy.git",
    images: facts.images ?? ["ghcr.io/acme/checkout:1.4.2", "ghcr.io/acme/sidecar:0.9.0"],
    phase: running ? "Running" : trigger === "on-sync-failed" ? "Failed" : "Succeeded",
    health: running ? "Progressing" : "Healthy",
    operation_started_at: startedAt,
    finished_at: running ? "<no value>" : "2026-03-01T10:02:00Z",
    message: running ? "" : "successfully synced (all tasks run)",
    app_url: `https://argocd.example.com/applications/${application}`,
    initiated_by: "admin",
  };
}

export function signArgocd(body: Record<string, unknown> | string, secret: string): SignedDelivery {
  return {
    headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
    body: typeof body === "string" ? body : JSON.stringify(body),
  };
}
