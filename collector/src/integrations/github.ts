import { type DeploymentEventInput, isFinished } from "@versioner/schema";
import { z } from "zod";
import { ValidationError } from "../errors.ts";
import { type Interpretation, mapped, type Platform } from "./integration-kinds.ts";
import { present, readJson } from "./json-body.ts";
import { verifyHmac } from "./signatures.ts";

// The fields Versioner reads of GitHub's `deployment` and `deployment_status` payloads
// (docs.github.com, "Webhook events and payloads"); unknown fields are allowed.
const User = z.object({ login: z.string() }).nullish();
const Deployment = z.object({
  id: z.number(),
  sha: z.string().min(1),
  ref: z.string().min(1),
  environment: z.string().min(1),
  description: z.string().nullish(),
  creator: User,
  created_at: z.string().optional(),
});
const Repository = z.object({ id: z.number(), name: z.string().min(1), full_name: z.string().min(1) });
const DeploymentDelivery = z.object({ action: z.string(), deployment: Deployment, repository: Repository });
const DeploymentStatusDelivery = DeploymentDelivery.extend({
  deployment_status: z.object({
    state: z.string().min(1),
    environment: z.string().nullish(),
    environment_url: z.string().nullish(),
    log_url: z.string().nullish(),
    target_url: z.string().nullish(),
    creator: User,
    created_at: z.string().optional(),
  }),
});

/** GitHub's deployment status states; `inactive` means a newer deployment replaced this one. */
const STATUS_OF: Record<string, DeploymentEventInput["status"] | undefined> = {
  queued: "pending",
  pending: "pending",
  in_progress: "started",
  success: "completed",
  failure: "failed",
  error: "failed",
  inactive: undefined,
};

/**
 * GitHub signs the raw body with HMAC-SHA256 under the webhook's secret and sends
 * `X-Hub-Signature-256: sha256=<hex>`; the event name is in `X-GitHub-Event`, the delivery's
 * GUID (the same on a redelivery) in `X-GitHub-Delivery`.
 */
export const github: Platform = {
  kind: "github",
  versionSource: { pattern: /^(sha|ref)$/, help: "sha (default) or ref (the branch or tag deployed)" },
  authenticate(request, secret) {
    const header = request.headers.get("x-hub-signature-256") ?? "";
    return header.startsWith("sha256=") && verifyHmac("sha256", secret, request.body, header.slice(7));
  },
  interpret(request, mapping): Interpretation {
    const eventType = present(request.headers.get("x-github-event")) ?? "";
    const deliveryId = present(request.headers.get("x-github-delivery"));
    if (eventType === "ping") {
      return { kind: "ignored", deliveryId, eventType, reason: "ping: the webhook reaches Versioner" };
    }
    if (eventType !== "deployment" && eventType !== "deployment_status") {
      return {
        kind: "ignored",
        deliveryId,
        eventType,
        reason: `'${eventType}' events are not recorded; subscribe the webhook to Deployments and Deployment statuses only`,
      };
    }
    if (!deliveryId) {
      throw ValidationError.field(["header", "x-github-delivery"], "Field required", "missing");
    }
    const delivery =
      eventType === "deployment"
        ? { ...readJson(DeploymentDelivery, request.body), deployment_status: undefined }
        : readJson(DeploymentStatusDelivery, request.body);
    const { deployment, repository, deployment_status: status } = delivery;
    const state = status ? status.state : "pending";
    if (!Object.hasOwn(STATUS_OF, state)) {
      throw ValidationError.field(
        ["body", "deployment_status", "state"],
        `Unknown deployment state '${state}'`,
      );
    }
    const mappedStatus = STATUS_OF[state];
    if (!mappedStatus) {
      return {
        kind: "ignored",
        deliveryId,
        eventType,
        reason: `state '${state}': a later deployment replaced this one, which changes nothing that runs`,
      };
    }
    const environment = present(status?.environment) ?? deployment.environment;
    const at = status?.created_at ?? deployment.created_at;
    const finished = isFinished(mappedStatus);
    const event: DeploymentEventInput = {
      product_name: mapped(mapping.products, [repository.full_name, repository.name], repository.name),
      version: mapping.version_from === "ref" ? deployment.ref : deployment.sha,
      environment_name: mapped(mapping.environments, [environment], environment),
      status: mappedStatus,
      scm_sha: deployment.sha,
      scm_repository: repository.full_name,
      scm_branch: deployment.ref === deployment.sha ? undefined : deployment.ref,
      deploy_url: present(status?.environment_url),
      build_url: present(status?.log_url) ?? present(status?.target_url),
      deployed_by: status?.creator?.login ?? deployment.creator?.login,
      source_system: "github",
      // One lifecycle per GitHub deployment: its statuses move one Versioner deployment along.
      invoke_id: `github:${repository.id}:${deployment.id}`,
      ...(finished ? { completed_at: at } : mappedStatus === "started" ? { started_at: at } : {}),
      extra_metadata: {
        github: {
          deployment_id: deployment.id,
          repository: repository.full_name,
          state,
          delivery: deliveryId,
        },
      },
    };
    return { kind: "deployment", deliveryId, eventType: `${eventType}.${state}`, event };
  },
};
