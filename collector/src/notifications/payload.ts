import { z } from "@hono/zod-openapi";
import type { DomainEvent } from "../events/domain-events.ts";
import { compareLink } from "../insights/compare-link.ts";
import { deploymentPageUrl } from "../public-links.ts";

/** The event types a channel may subscribe to (SPEC.md, Notifications). */
export const NOTIFICATION_EVENT_TYPES = [
  "build.pending",
  "build.started",
  "build.completed",
  "build.failed",
  "build.aborted",
  "deployment.pending",
  "deployment.started",
  "deployment.completed",
  "deployment.failed",
  "deployment.aborted",
  "deployment.preflight_failed",
  "deployment.rolled_back",
  "release.created",
  "release.in_progress",
  "release.completed",
  "release.cancelled",
  "release.member_failed",
  "release.member_rolled_back",
  "version.approved",
  "version.rejected",
  "deployment_request.created",
  "deployment_request.submitted",
  "deployment_request.slot_decided",
  "deployment_request.approved",
  "deployment_request.rejected",
  "deployment_request.completed",
  "deployment_request.cancelled",
] as const;
export type NotificationEventType = (typeof NOTIFICATION_EVENT_TYPES)[number];

const NOTIFIABLE = new Set<string>(NOTIFICATION_EVENT_TYPES);
export function isNotifiable(type: string): type is NotificationEventType {
  return NOTIFIABLE.has(type);
}

const Text = z.string().nullable();
const ButtonOut = z.object({ name: z.string(), url: z.string(), environment_name: Text });

/**
 * The webhook body, and the facts every other message kind is rendered from. One flat object:
 * fields that do not apply to an event type are null, so receivers can use one parser. Adding a
 * field is compatible; renaming or removing one is not (the schema is versioned by `schema`).
 */
export const NotificationPayload = z
  .object({
    schema: z.literal("versioner.notification/v1"),
    id: z
      .string()
      .describe(
        "Id of what the event is about, as in the hosted product: the deployment (deployment.*), build (build.*), release (release.*), version (version.*) or deployment request (deployment_request.*)",
      ),
    event_id: z
      .string()
      .describe("Id of this event: the same on every channel and on replays, so receivers can dedupe"),
    event_type: z.string().describe("e.g. deployment.completed"),
    subject: z.enum(["build", "deployment", "release", "version", "deployment_request"]),
    occurred_at: z.string().describe("RFC 3339 UTC"),
    status: Text.describe("Canonical status of the build, deployment or release"),
    is_successful: z
      .boolean()
      .nullable()
      .describe(
        "As in the hosted product: true for deployment.completed, false for deployment.failed and deployment.preflight_failed, null for every other event (deployment.aborted, unfinished deployments, builds, releases, approvals)",
      ),
    product_name: Text,
    product_id: Text,
    version: Text,
    version_id: Text,
    environment: Text.describe("Environment name"),
    environment_id: Text,
    environment_type: Text.describe("dev | test | staging | production"),
    deployment_id: Text,
    build_id: Text,
    deployer: Text.describe("deployed_by (deployments) or built_by (builds)"),
    deployer_name: Text,
    deployer_email: Text,
    deployed_at: Text.describe("When the deployment completed, or its latest known moment"),
    repo_name: Text.describe("scm_repository"),
    commit_sha: Text,
    branch: Text,
    build_number: Text,
    build_url: Text,
    deploy_url: Text,
    deployment_url: Text.describe(
      "The deployment's page on this collector (VERSIONER_PUBLIC_URL + /deployments/<id>); null without VERSIONER_PUBLIC_URL or a deployment",
    ),
    source_url: Text.describe("deployment_url, else deploy_url, else build_url"),
    source_system: Text,
    previous_version: Text.describe("The version running in the environment before this deployment"),
    rolled_back_from: Text.describe(
      "For a deployment that is a rollback (docs/insight.md): the version it replaced; else null",
    ),
    compare_url: Text.describe("Commit compare link from the previous version, when the host is known"),
    release: z
      .object({ id: z.string(), name: z.string(), status: Text })
      .nullable()
      .describe("For release.* events"),
    buttons: z.array(ButtonOut).describe('Deployment buttons ("ready to deploy") for build.completed'),
    approval: z
      .object({
        type: z.string(),
        decision: z.string(),
        environment: Text,
        comment: Text,
        approved_by: z.string(),
        approver_role: Text,
      })
      .nullable()
      .describe("For version.approved and version.rejected: the decision"),
    deployment_request: z
      .object({
        id: z.string(),
        name: z.string(),
        status: z.string(),
        slot: z
          .object({ type: z.string(), status: z.string(), decided_by: Text, comment: Text })
          .nullable()
          .describe("The slot just decided (deployment_request.slot_decided, .approved, .rejected)"),
      })
      .nullable()
      .describe("For deployment_request.* events"),
    preflight: z
      .object({
        code: z.string(),
        message: z.string(),
        rule_name: Text,
        rule_id: Text,
        retry_after: Text,
      })
      .nullable()
      .describe(
        "For deployment.preflight_failed: the rule or lock that refused the deployment (docs/governance.md)",
      ),
  })
  .loose();
export type NotificationPayload = z.infer<typeof NotificationPayload>;

/** The JSON Schema published in docs/notifications.md (a test keeps the two equal). */
export function payloadJsonSchema(): Record<string, unknown> {
  return {
    $id: "https://versioner.dev/schemas/notification-v1.json",
    title: "Versioner notification",
    ...z.toJSONSchema(NotificationPayload, { target: "draft-2020-12" }),
  };
}

type Row = Record<string, unknown>;

function row(data: Row, key: string): Row | undefined {
  const value = data[key];
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Row) : undefined;
}

function text(source: Row | undefined, key: string): string | null {
  const value = source?.[key];
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return null;
}

function buttonsOf(data: Row): NotificationPayload["buttons"] {
  const raw = data.buttons ?? row(data, "response")?.buttons;
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((item) => {
    const button = item as Row;
    const name = text(button, "name");
    const url = text(button, "url");
    return name && url ? [{ name, url, environment_name: text(button, "environment_name") }] : [];
  });
}

export interface PayloadContext {
  eventId: string;
  /** VERSIONER_PUBLIC_URL: links to the collector's own pages are built only when it is set. */
  publicUrl?: string;
  /** The version and SHA running in the environment before this deployment, if any. */
  previous?: { version: string; scm_sha: string | null } | null;
}

/** Turns a domain event into the stable payload, reading only what publishers put in `data`. */
export function buildPayload(event: DomainEvent, context: PayloadContext): NotificationPayload {
  const data = event.data;
  const product = row(data, "product");
  const version = row(data, "version");
  const environment = row(data, "environment");
  const deployment = row(data, "deployment");
  const build = row(data, "build");
  const release = row(data, "release");
  const request = row(data, "deployment_request");
  const slot = row(data, "slot");
  const approval = row(data, "approval");
  const refusal = row(data, "preflight_failure");
  const subject = event.type.split(".")[0] as NotificationPayload["subject"];
  const status = event.status ?? text(deployment ?? build ?? release, "status");
  const deployUrl = text(deployment, "deploy_url");
  const buildUrl = text(build, "build_url") ?? text(version, "build_url");
  const repo = text(version, "scm_repository");
  const sha = text(version, "scm_sha");
  const sourceSystem = text(deployment ?? build, "source_system") ?? text(version, "source_system");
  const previous = context.previous ?? null;
  const releaseId = text(release, "id");
  const releaseName = text(release, "name");
  const productId = event.product_id ?? text(product, "id");
  const deploymentId = text(deployment, "id");
  const deploymentUrl = deploymentId ? (deploymentPageUrl(context.publicUrl, deploymentId) ?? null) : null;
  const subjectId = {
    deployment: deploymentId,
    build: text(build, "id"),
    release: releaseId,
    version: text(version, "id"),
    deployment_request: text(request, "id"),
  };
  return {
    schema: "versioner.notification/v1",
    id: subjectId[subject as keyof typeof subjectId] ?? context.eventId,
    event_id: context.eventId,
    event_type: event.type,
    subject: subject in subjectId ? subject : "deployment",
    occurred_at: event.occurred_at,
    status,
    is_successful: successOf(event.type),
    product_name: event.product_name ?? text(product, "name"),
    product_id: productId,
    version: text(version, "version"),
    version_id: text(version, "id"),
    environment: event.environment_name ?? text(environment, "name"),
    environment_id: event.environment_id ?? text(environment, "id"),
    environment_type: event.environment_type ?? text(environment, "type"),
    deployment_id: deploymentId,
    build_id: text(build, "id"),
    deployer: deployment
      ? text(deployment, "deployed_by")
      : (text(build, "built_by") ?? text(version, "built_by")),
    deployer_name: deployment ? text(deployment, "deployed_by_name") : text(version, "built_by_name"),
    deployer_email: deployment ? text(deployment, "deployed_by_email") : text(version, "built_by_email"),
    deployed_at: deployment
      ? (text(deployment, "completed_at") ?? text(deployment, "started_at") ?? text(deployment, "created_at"))
      : null,
    repo_name: repo,
    commit_sha: sha,
    branch: text(version, "scm_branch"),
    build_number: text(build, "build_number") ?? text(version, "build_number"),
    build_url: buildUrl,
    deploy_url: deployUrl,
    deployment_url: deploymentUrl,
    source_url: deploymentUrl ?? deployUrl ?? buildUrl,
    source_system: sourceSystem,
    previous_version: previous?.version ?? null,
    rolled_back_from: text(row(data, "rollback"), "rolled_back_from_version"),
    compare_url:
      previous?.scm_sha && sha && repo && previous.scm_sha !== sha
        ? compareLink(repo, previous.scm_sha, sha, sourceSystem)
        : null,
    release:
      releaseId && releaseName ? { id: releaseId, name: releaseName, status: text(release, "status") } : null,
    buttons: buttonsOf(data),
    approval: approval
      ? {
          type: text(approval, "type") ?? "",
          decision: text(approval, "decision") ?? "",
          environment: text(approval, "environment"),
          comment: text(approval, "comment"),
          approved_by: text(approval, "approved_by") ?? "",
          approver_role: text(approval, "approver_role"),
        }
      : null,
    deployment_request: request
      ? {
          id: text(request, "id") ?? "",
          name: text(request, "name") ?? "",
          status: text(request, "status") ?? "",
          slot: slot
            ? {
                type: text(slot, "type") ?? "",
                status: text(slot, "status") ?? "",
                decided_by: text(slot, "decided_by"),
                comment: text(slot, "comment"),
              }
            : null,
        }
      : null,
    preflight: refusal
      ? {
          code: text(refusal, "code") ?? "",
          message: text(refusal, "message") ?? "",
          rule_name: text(refusal, "rule_name"),
          rule_id: text(refusal, "rule_id"),
          retry_after: text(refusal, "retry_after"),
        }
      : null,
  };
}

// The hosted product's rule: an aborted deployment is not a failed change, and builds, releases
// and approvals say nothing about a deployment's outcome.
function successOf(eventType: string): boolean | null {
  if (eventType === "deployment.completed") return true;
  if (eventType === "deployment.failed" || eventType === "deployment.preflight_failed") return false;
  return null;
}
