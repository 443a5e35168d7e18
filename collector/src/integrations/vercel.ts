import type { DeploymentEventInput } from "@versioner/schema";
import { z } from "zod";
import { type Interpretation, mapped, type Platform } from "./integration-kinds.ts";
import { present, readJson } from "./json-body.ts";
import { verifyHmac } from "./signatures.ts";

// The fields Versioner reads of Vercel's webhook payload (vercel.com/docs/webhooks/webhooks-api);
// everything else is kept out, and unknown fields are allowed as Vercel adds them.
const Meta = z.record(z.string(), z.unknown()).optional();
const VercelDelivery = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  createdAt: z.number().optional(),
  payload: z.object({
    deployment: z.object({
      id: z.string().min(1),
      name: z.string().min(1),
      url: z.string().optional(),
      meta: Meta,
    }),
    project: z.object({ id: z.string() }).optional(),
    target: z.string().nullish(),
    links: z.object({ deployment: z.string().optional() }).optional(),
    user: z.object({ id: z.string() }).optional(),
  }),
});

const STATUS_OF: Record<string, DeploymentEventInput["status"]> = {
  "deployment.created": "started",
  "deployment.succeeded": "completed",
  "deployment.error": "failed",
  "deployment.canceled": "aborted",
};

/** The commit of a Git-connected deployment, whichever of the three providers it came from. */
function gitFacts(meta: Record<string, unknown>) {
  const text = (key: string) => (typeof meta[key] === "string" ? present(meta[key] as string) : undefined);
  const join = (owner: string | undefined, name: string | undefined) =>
    owner && name ? `${owner}/${name}` : undefined;
  return {
    sha: text("githubCommitSha") ?? text("gitlabCommitSha") ?? text("bitbucketCommitSha"),
    ref: text("githubCommitRef") ?? text("gitlabCommitRef") ?? text("bitbucketCommitRef"),
    repository:
      join(text("githubCommitOrg") ?? text("githubOrg"), text("githubCommitRepo") ?? text("githubRepo")) ??
      text("gitlabProjectPath") ??
      join(text("bitbucketRepoOwner"), text("bitbucketRepoName") ?? text("bitbucketRepoSlug")),
    author:
      text("githubCommitAuthorLogin") ?? text("githubCommitAuthorName") ?? text("gitlabCommitAuthorName"),
  };
}

/**
 * Vercel signs the raw body with HMAC-SHA1 under the webhook's secret (or an integration's client
 * secret) and sends the hex digest in `x-vercel-signature`.
 */
export const vercel: Platform = {
  kind: "vercel",
  versionSource: { pattern: /^sha$/, help: "sha (the Git commit; the deployment id without Git)" },
  authenticate: (request, secret) =>
    verifyHmac("sha1", secret, request.body, request.headers.get("x-vercel-signature")),
  interpret(request, mapping): Interpretation {
    const delivery = readJson(VercelDelivery, request.body);
    const status = STATUS_OF[delivery.type];
    if (!status) {
      return {
        kind: "ignored",
        deliveryId: delivery.id,
        eventType: delivery.type,
        reason: `${delivery.type} is not a deployment lifecycle event Versioner records`,
      };
    }
    const { deployment, project } = delivery.payload;
    // Vercel sends no target for preview deployments; a custom environment arrives under its name.
    const target = present(delivery.payload.target ?? undefined) ?? "preview";
    const git = gitFacts(deployment.meta ?? {});
    const at = delivery.createdAt === undefined ? undefined : new Date(delivery.createdAt).toISOString();
    const event: DeploymentEventInput = {
      product_name: mapped(mapping.products, [deployment.name, project?.id], deployment.name),
      // Without Git (a CLI deployment) the deployment id is the only identity of what was deployed.
      version: git.sha ?? deployment.id,
      environment_name: mapped(mapping.environments, [target], target),
      status,
      scm_sha: git.sha,
      scm_branch: git.ref,
      scm_repository: git.repository,
      deploy_url: deployment.url ? `https://${deployment.url.replace(/^https?:\/\//, "")}` : undefined,
      build_url: delivery.payload.links?.deployment,
      deployed_by: git.author,
      source_system: "vercel",
      invoke_id: `vercel:${deployment.id}`,
      ...(status === "started" ? { started_at: at } : { completed_at: at }),
      extra_metadata: {
        vercel: {
          deployment_id: deployment.id,
          project_id: project?.id ?? null,
          target,
          webhook_id: delivery.id,
        },
      },
    };
    return { kind: "deployment", deliveryId: delivery.id, eventType: delivery.type, event };
  },
};
