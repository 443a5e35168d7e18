import type { DeploymentEventInput } from "@versioner/schema";
import { z } from "zod";
import { ValidationError } from "../errors.ts";
import { type Interpretation, mapped, type Platform } from "./integration-kinds.ts";
import { present, readJson } from "./json-body.ts";
import { safeEqual } from "./signatures.ts";

/**
 * What the argocd-notifications template of docs/integrations/argocd.md sends. Argo CD has no
 * payload of its own for webhooks: the template is ours, so this schema is its contract.
 */
const Text = z.string().nullish();
const ArgoDelivery = z.object({
  delivery_id: z.string().min(1),
  trigger: z.string().min(1),
  application: z.string().min(1),
  project: Text,
  destination: z.object({ server: Text, namespace: Text, name: Text }),
  revision: Text,
  synced_revision: Text,
  repo_url: Text,
  images: z.array(z.string()).nullish(),
  phase: Text,
  health: Text,
  operation_started_at: Text,
  finished_at: Text,
  message: Text,
  app_url: Text,
  initiated_by: Text,
});

const STATUS_OF: Record<string, DeploymentEventInput["status"]> = {
  "on-sync-running": "started",
  "on-deployed": "completed",
  "on-sync-failed": "failed",
};

/** `registry/team/app:1.4.2` → `1.4.2`; a digest-only reference has no tag. */
function tagOf(image: string): string | undefined {
  const withoutDigest = image.split("@")[0] ?? "";
  const colon = withoutDigest.lastIndexOf(":");
  return colon > withoutDigest.lastIndexOf("/") ? present(withoutDigest.slice(colon + 1)) : undefined;
}

function imageName(image: string): string {
  const withoutDigest = image.split("@")[0] ?? "";
  const colon = withoutDigest.lastIndexOf(":");
  return colon > withoutDigest.lastIndexOf("/") ? withoutDigest.slice(0, colon) : withoutDigest;
}

/** Argo CD's notification webhooks carry the header the service configuration sets: here a bearer secret. */
export const argocd: Platform = {
  kind: "argocd",
  versionSource: {
    pattern: /^(revision|image_tag(:.+)?)$/,
    help: "revision (default), image_tag (the first image's tag) or image_tag:<image name>",
  },
  authenticate(request, secret) {
    const header = request.headers.get("authorization") ?? "";
    return /^bearer /i.test(header) && safeEqual(header.slice(7).trim(), secret);
  },
  interpret(request, mapping): Interpretation {
    const delivery = readJson(ArgoDelivery, request.body);
    const status = STATUS_OF[delivery.trigger];
    if (!status) {
      return {
        kind: "ignored",
        deliveryId: delivery.delivery_id,
        eventType: delivery.trigger,
        reason: `trigger '${delivery.trigger}' is not mapped (on-sync-running, on-deployed, on-sync-failed are)`,
      };
    }
    const revision = present(delivery.synced_revision) ?? present(delivery.revision);
    const version = versionOf(delivery, revision, mapping.version_from);
    const cluster = present(delivery.destination.name) ?? present(delivery.destination.server);
    const namespace = present(delivery.destination.namespace);
    const environment = mapped(
      mapping.environments,
      [cluster && namespace ? `${cluster}/${namespace}` : undefined, namespace, cluster],
      namespace ?? cluster ?? "",
    );
    if (!environment) {
      throw ValidationError.field(["body", "destination"], "needs a namespace, a name or a server");
    }
    const startedAt = present(delivery.operation_started_at);
    const finishedAt = present(delivery.finished_at);
    const event: DeploymentEventInput = {
      product_name: mapped(mapping.products, [delivery.application], delivery.application),
      version,
      environment_name: environment,
      status,
      scm_sha: revision,
      scm_repository: present(delivery.repo_url),
      deploy_url: present(delivery.app_url),
      deployed_by: present(delivery.initiated_by),
      source_system: "argocd",
      // A sync operation is one deployment: its running, deployed and failed notifications share it.
      invoke_id: `argocd:${delivery.application}:${startedAt ?? revision ?? delivery.delivery_id}`,
      started_at: startedAt,
      completed_at: status === "started" ? undefined : finishedAt,
      extra_metadata: {
        argocd: {
          application: delivery.application,
          project: present(delivery.project) ?? null,
          destination: { cluster: cluster ?? null, namespace: namespace ?? null },
          phase: present(delivery.phase) ?? null,
          health: present(delivery.health) ?? null,
          message: present(delivery.message)?.slice(0, 1000) ?? null,
        },
      },
    };
    return { kind: "deployment", deliveryId: delivery.delivery_id, eventType: delivery.trigger, event };
  },
};

function versionOf(
  delivery: z.output<typeof ArgoDelivery>,
  revision: string | undefined,
  source: string | undefined,
): string {
  if (source === "image_tag" || source?.startsWith("image_tag:")) {
    // `image_tag:<image name>` picks one image of a multi-image application; plain `image_tag` the first.
    const wanted = source.slice("image_tag:".length);
    const images = delivery.images ?? [];
    const image = wanted ? images.find((candidate) => imageName(candidate) === wanted) : images[0];
    const tag = image ? tagOf(image) : undefined;
    if (!tag) {
      throw ValidationError.field(
        ["body", "images"],
        wanted
          ? `no image '${wanted}' with a tag in the application`
          : "no image with a tag in the application",
      );
    }
    return tag;
  }
  if (!revision) throw ValidationError.field(["body", "revision"], "Field required", "missing");
  return revision;
}
