import { PackageURL } from "packageurl-js";
import { eventTypeFor, SPEC_RELEASES, SPEC_VERSIONS, type SpecVersion } from "../cdevents/cdevents-schema.ts";
import { binaryModeHeaders, type CloudEventAttributes } from "../cdevents/cloudevents-http.ts";
import { ValidationError } from "../errors.ts";
import { failure, type HttpSendOptions, postJson, type SendOutcome } from "./http-sender.ts";
import type { NotificationPayload } from "./payload.ts";

/**
 * The `cdevents` channel kind: each completed deployment is POSTed to a CloudEvents sink as a
 * CDEvent (`service.deployed` or `service.upgraded`) in CloudEvents HTTP binary mode.
 */
export interface CdeventsSettings {
  spec_version: SpecVersion;
  /** The CDEvents `context.source` (and CloudEvents `source`) of every event this channel sends. */
  source: string;
}

export interface CdeventsSettingsInput {
  spec_version?: string;
  source?: string;
}

export const DEFAULT_CDEVENTS_SETTINGS: CdeventsSettings = { spec_version: "0.5", source: "/versioner" };

/** Only completed deployments are service events: CDEvents has no "deployment failed" for a service. */
export const CDEVENTS_EVENT_TYPES = ["deployment.completed"] as const;

export function validateCdeventsSettings(
  input: CdeventsSettingsInput | undefined,
  current: CdeventsSettings | undefined,
): CdeventsSettings {
  const next = { ...DEFAULT_CDEVENTS_SETTINGS, ...current };
  if (input?.spec_version !== undefined) {
    if (!(SPEC_VERSIONS as readonly string[]).includes(input.spec_version)) {
      throw ValidationError.field(
        ["body", "cdevents", "spec_version"],
        `must be one of ${SPEC_VERSIONS.join(", ")}`,
      );
    }
    next.spec_version = input.spec_version as SpecVersion;
  }
  if (input?.source !== undefined) {
    if (!/^\S{1,1024}$/.test(input.source)) {
      throw ValidationError.field(
        ["body", "cdevents", "source"],
        "must be a non-empty URI-reference without spaces",
      );
    }
    next.source = input.source;
  }
  return next;
}

/** A cdevents channel hears completed deployments only; with no subscription given, it hears all of them. */
export function cdeventsSubscriptions<T extends { event_types: string[] }>(
  subscriptions: T[],
  fallback: () => T,
): T[] {
  for (const [index, subscription] of subscriptions.entries()) {
    const other = subscription.event_types.find(
      (type) => !(CDEVENTS_EVENT_TYPES as readonly string[]).includes(type),
    );
    if (other !== undefined) {
      throw ValidationError.field(
        ["body", "subscriptions", index, "event_types"],
        `'${other}': cdevents channels send ${CDEVENTS_EVENT_TYPES.join(", ")} only (as service events)`,
      );
    }
  }
  return subscriptions.length > 0 ? subscriptions : [fallback()];
}

export type ServicePredicate = "deployed" | "upgraded" | "rolledback";

/**
 * `rolledback` when the deployment went back to a version that ran there before (the collector's
 * rollback rule, docs/insight.md); `upgraded` when it replaced another version running there; `deployed` when nothing
 * else ran there (the first deployment of the product to that environment) or the same version was
 * deployed again, which CDEvents describes as a new instance, not an upgrade to a new version.
 */
export function servicePredicate(payload: NotificationPayload): ServicePredicate {
  if (payload.rolled_back_from) return "rolledback";
  return payload.previous_version ? "upgraded" : "deployed";
}

export interface RenderedCdevent {
  attributes: CloudEventAttributes;
  event: Record<string, unknown>;
}

/** The CDEvent of a deployment, with every field the spec requires for service events. */
export function renderServiceEvent(
  payload: NotificationPayload,
  settings: CdeventsSettings,
  predicate: ServicePredicate,
): RenderedCdevent {
  const spec = settings.spec_version;
  const type = eventTypeFor("service", predicate, spec);
  const timestamp = payload.deployed_at ?? payload.occurred_at;
  const product = payload.product_name ?? "unknown";
  const subjectId = product;
  const versionKey = spec === "0.4" ? "version" : "specversion";
  const event = {
    context: {
      [versionKey]: SPEC_RELEASES[spec].spec,
      id: payload.id,
      source: settings.source,
      type,
      timestamp,
    },
    subject: {
      id: subjectId,
      // Required in 0.4; 0.5 leaves it out of the subject.
      ...(spec === "0.4" && { type: "service" }),
      content: {
        environment: { id: payload.environment ?? "unknown" },
        artifactId: artifactPurl(product, payload.version ?? "unknown"),
      },
    },
    customData: { versioner: versionerFacts(payload) },
    customDataContentType: "application/json",
  };
  return {
    attributes: {
      specversion: "1.0",
      id: payload.id,
      source: settings.source,
      type,
      subject: subjectId,
      time: timestamp,
      datacontenttype: "application/json",
    },
    event,
  };
}

/** `pkg:generic/<product>@<version>`, encoded by the purl library. */
export function artifactPurl(product: string, version: string): string {
  return new PackageURL("generic", undefined, product, version, undefined, undefined).toString();
}

function versionerFacts(payload: NotificationPayload): Record<string, unknown> {
  const facts: Record<string, unknown> = {
    deployment_id: payload.deployment_id,
    product_name: payload.product_name,
    version: payload.version,
    environment: payload.environment,
    environment_type: payload.environment_type,
    previous_version: payload.previous_version,
    deployer: payload.deployer,
    commit_sha: payload.commit_sha,
    repository: payload.repo_name,
    branch: payload.branch,
    deploy_url: payload.deploy_url,
    build_url: payload.build_url,
    compare_url: payload.compare_url,
  };
  return Object.fromEntries(
    Object.entries(facts).filter(([, value]) => value !== null && value !== undefined),
  );
}

export interface SendableCdeventsChannel {
  settings: { cdevents?: CdeventsSettings };
  secrets: { url?: string; headers?: Record<string, string> };
}

/** POSTs the deployment's CDEvent in binary mode: CloudEvents attributes as ce-* headers. */
export function sendCdevent(
  channel: SendableCdeventsChannel,
  payload: NotificationPayload,
  options: HttpSendOptions,
): Promise<SendOutcome> {
  if (!(CDEVENTS_EVENT_TYPES as readonly string[]).includes(payload.event_type)) {
    return Promise.resolve(
      failure(false, null, `cdevents channels send deployment.completed only, not ${payload.event_type}`),
    );
  }
  const settings = channel.settings.cdevents ?? DEFAULT_CDEVENTS_SETTINGS;
  const rendered = renderServiceEvent(payload, settings, servicePredicate(payload));
  return postJson(
    channel.secrets.url ?? "",
    JSON.stringify(rendered.event),
    { ...channel.secrets.headers, ...binaryModeHeaders(rendered.attributes) },
    options,
  );
}
