import { createHash } from "node:crypto";
import type { BuildEventInput, DeploymentEventInput } from "@versioner/schema";
import { PackageURL } from "packageurl-js";
import { ValidationError } from "../errors.ts";
import type { CDEvent, MappedType, SpecVersion } from "./cdevents-schema.ts";

/** Where a field of the Versioner event came from in the CDEvent, to name it in a 422. */
export type FieldOrigins = Record<string, Array<string | number>>;

/** What one accepted CDEvent becomes. */
export type Mapping =
  | {
      kind: "deployment";
      event: DeploymentEventInput;
      idempotencyKey: string;
      origins: FieldOrigins;
    }
  | { kind: "build"; event: BuildEventInput; idempotencyKey: string; origins: FieldOrigins }
  | {
      kind: "environment";
      predicate: "created" | "modified" | "deleted";
      name: string;
      facts: EnvironmentFacts;
    }
  | { kind: "ignored"; reason: string };

/** What Versioner keeps of an environment event, under `metadata.cdevents` of the environment. */
export interface EnvironmentFacts {
  name?: string;
  url?: string;
  at: string;
  /** The event's provenance (id, source, links, custom data…), as on every record made from a CDEvent. */
  event: Record<string, unknown>;
}

export interface MappingOptions {
  /** Product name per artifact package URL without version (`pkg:oci/acme/web`), overriding the purl name. */
  artifactProducts: Readonly<Record<string, string>>;
}

/** The CloudEvent identity: the same `source` + `id` is the same event, however often it is delivered. */
export function idempotencyKeyOf(source: string, id: string): string {
  return `cdevents:${createHash("sha256").update(`${source}\n${id}`).digest("hex")}`;
}

/**
 * Product and version from an artifact's package URL: the version is the purl version; the product
 * is the configured name for the purl without version, else the purl name.
 */
export function productOfArtifact(
  purl: string,
  loc: Array<string | number>,
  options: MappingOptions,
): { product: string; version: string } {
  let parsed: PackageURL;
  try {
    parsed = PackageURL.fromString(purl);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw ValidationError.field(loc, `must be a package URL (pkg:<type>/<name>@<version>): ${reason}`);
  }
  if (!parsed.version) {
    throw ValidationError.field(
      loc,
      "has no version (pkg:<type>/<name>@<version>): Versioner records versions",
    );
  }
  const key = artifactKey(parsed);
  const configured = Object.entries(options.artifactProducts).find(([pattern]) => sameArtifact(pattern, key));
  return { product: configured?.[1] ?? parsed.name, version: parsed.version };
}

function artifactKey(purl: PackageURL): string {
  return new PackageURL(purl.type, purl.namespace, purl.name, undefined, undefined, undefined).toString();
}

function sameArtifact(pattern: string, key: string): boolean {
  try {
    return artifactKey(PackageURL.fromString(pattern)) === key;
  } catch {
    return pattern === key;
  }
}

/** The `cdevents` block kept in `extra_metadata`: enough to trace a record back to its event. */
function provenance(
  event: CDEvent<MappedType>,
  spec: SpecVersion,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const { context, subject } = event;
  return {
    cdevents: {
      id: context.id,
      source: context.source,
      type: context.type,
      spec_version: "specversion" in context ? context.specversion : context.version,
      spec,
      timestamp: context.timestamp,
      subject_id: subject.id,
      ...(subject.source !== undefined && { subject_source: subject.source }),
      ...(context.chainId !== undefined && { chain_id: context.chainId }),
      ...(context.schemaUri !== undefined && { schema_uri: context.schemaUri }),
      ...(context.links !== undefined && { links: context.links }),
      ...extra,
      ...(event.customData !== undefined && { custom_data: event.customData }),
      ...(event.customDataContentType !== undefined && {
        custom_data_content_type: event.customDataContentType,
      }),
    },
  };
}

const OUTCOME_STATUS: Readonly<Record<string, "completed" | "failed" | "aborted">> = {
  success: "completed",
  failure: "failed",
  error: "failed",
  cancel: "aborted",
  canceled: "aborted",
  cancelled: "aborted",
};

/** Maps a validated CDEvent of a mapped type; throws a ValidationError naming the CDEvent field. */
export function mapCDEvent(
  type: MappedType,
  event: CDEvent<MappedType>,
  spec: SpecVersion,
  options: MappingOptions,
): Mapping {
  const { context, subject } = event;
  const idempotencyKey = idempotencyKeyOf(context.source, context.id);
  const predicate = type.split(".")[1] ?? "";
  switch (type) {
    case "service.deployed":
    case "service.upgraded":
    case "service.rolledback": {
      const content = subject.content as CDEvent<"service.deployed">["subject"]["content"];
      const artifactLoc = ["subject", "content", "artifactId"];
      const { product, version } = productOfArtifact(content.artifactId, artifactLoc, options);
      return {
        kind: "deployment",
        idempotencyKey,
        event: {
          product_name: product,
          version,
          environment_name: content.environment.id,
          status: "completed",
          completed_at: context.timestamp,
          source_system: "cdevents",
          extra_metadata: provenance(event, spec, {
            predicate,
            artifact_id: content.artifactId,
            ...(content.environment.source !== undefined && {
              environment_source: content.environment.source,
            }),
          }),
        },
        origins: {
          product_name: artifactLoc,
          version: artifactLoc,
          environment_name: ["subject", "content", "environment", "id"],
          completed_at: ["context", "timestamp"],
          extra_metadata: ["customData"],
        },
      };
    }
    case "service.removed":
      return {
        kind: "ignored",
        reason:
          "service.removed carries no artifact, and Versioner's current version is the latest completed " +
          "deployment: a removal is not recorded and /state is unchanged (see docs/cdevents.md)",
      };
    case "artifact.packaged":
    case "artifact.published": {
      const { product, version } = productOfArtifact(subject.id, ["subject", "id"], options);
      const content = subject.content as Record<string, unknown>;
      return {
        kind: "build",
        idempotencyKey,
        event: {
          product_name: product,
          version,
          status: "completed",
          completed_at: context.timestamp,
          // packaged and published of one artifact advance one build record.
          invoke_id: subject.id,
          source_system: "cdevents",
          extra_metadata: provenance(event, spec, {
            predicate,
            ...pick(content, ["change", "sbom", "user"]),
          }),
        },
        origins: {
          product_name: ["subject", "id"],
          version: ["subject", "id"],
          invoke_id: ["subject", "id"],
          completed_at: ["context", "timestamp"],
          extra_metadata: ["customData"],
        },
      };
    }
    case "pipelinerun.finished": {
      const content = subject.content as CDEvent<"pipelinerun.finished">["subject"]["content"];
      const target = versionerTarget(event.customData);
      if (!target) {
        return {
          kind: "ignored",
          reason:
            "pipelinerun.finished names no artifact: add customData.versioner.product_name and " +
            "customData.versioner.version to record the run as a build status",
        };
      }
      if (content.outcome === undefined) {
        return { kind: "ignored", reason: "pipelinerun.finished has no subject.content.outcome" };
      }
      const status = OUTCOME_STATUS[content.outcome.toLowerCase()];
      if (!status) {
        throw ValidationError.field(
          ["subject", "content", "outcome"],
          `Unknown outcome '${content.outcome}' (one of ${Object.keys(OUTCOME_STATUS).join(", ")})`,
        );
      }
      const url = content.url ?? content.uri;
      return {
        kind: "build",
        idempotencyKey,
        event: {
          product_name: target.product_name,
          version: target.version,
          status,
          completed_at: context.timestamp,
          invoke_id: subject.id,
          ...(url !== undefined && { build_url: url }),
          source_system: "cdevents",
          extra_metadata: provenance(event, spec, {
            predicate,
            ...pick(content as Record<string, unknown>, ["pipelineName", "outcome", "errors"]),
          }),
        },
        origins: {
          product_name: ["customData", "versioner", "product_name"],
          version: ["customData", "versioner", "version"],
          invoke_id: ["subject", "id"],
          build_url: ["subject", "content", content.url !== undefined ? "url" : "uri"],
          completed_at: ["context", "timestamp"],
          extra_metadata: ["customData"],
        },
      };
    }
    case "environment.created":
    case "environment.modified":
    case "environment.deleted": {
      const content = subject.content as { name?: string; url?: string; uri?: string };
      const url = content.url ?? content.uri;
      return {
        kind: "environment",
        predicate: predicate as "created" | "modified" | "deleted",
        name: subject.id,
        facts: {
          ...(content.name !== undefined && { name: content.name }),
          ...(url !== undefined && { url }),
          at: context.timestamp,
          event: provenance(event, spec, { predicate }).cdevents as Record<string, unknown>,
        },
      };
    }
  }
}

function pick(source: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((key) => source[key] !== undefined).map((key) => [key, source[key]]));
}

/** `customData.versioner.{product_name, version}`: how a run that names no artifact says what it built. */
// Values are passed on unchecked: the build event's own validation names a wrong one (a 422 at
// customData.versioner.version, say) instead of ignoring the run.
function versionerTarget(customData: unknown): { product_name: string; version: string } | null {
  if (!customData || typeof customData !== "object") return null;
  const versioner = (customData as Record<string, unknown>).versioner;
  if (!versioner || typeof versioner !== "object") return null;
  return versioner as { product_name: string; version: string };
}
