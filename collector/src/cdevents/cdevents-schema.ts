import { z } from "zod";

/**
 * CDEvents v0.4 and v0.5, as zod schemas written from the spec's field tables and JSON schemas.
 * Only the subjects Versioner maps are described field by field; every object keeps fields it
 * does not know (the raw event is stored whole), but a field the spec marks required must be there.
 *
 * What differs between the two spec versions, for the events used here:
 * - the spec version sits in `context.version` (v0.4, "0.4.x") or `context.specversion` (v0.5, "0.5.x");
 * - event type versions: 0.2.x in v0.4, 0.3.x in v0.5 (service, environment, artifact, pipelinerun);
 * - `subject.type` is required in v0.4 and optional in v0.5;
 * - v0.5 names some URL fields `uri` where v0.4 has `url` (environment, pipelinerun): both are read.
 */
export const SPEC_VERSIONS = ["0.4", "0.5"] as const;
export type SpecVersion = (typeof SPEC_VERSIONS)[number];

/** The exact version strings Versioner writes when it emits, per spec version. */
export const SPEC_RELEASES: Readonly<Record<SpecVersion, { spec: string; eventVersion: string }>> = {
  "0.4": { spec: "0.4.1", eventVersion: "0.2.0" },
  "0.5": { spec: "0.5.0", eventVersion: "0.3.0" },
};

const EVENT_VERSION_OF_SPEC: Readonly<Record<SpecVersion, RegExp>> = {
  "0.4": /^0\.2\.\d+$/,
  "0.5": /^0\.3\.\d+$/,
};

/** `dev.cdevents.<subject>.<predicate>.<version>`, as the spec's type regex. */
const EVENT_TYPE = /^dev\.cdevents\.([a-z]+)\.([a-z]+)\.(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/;

export interface EventType {
  subject: string;
  predicate: string;
  version: string;
}

export function parseEventType(type: string): EventType | null {
  const match = EVENT_TYPE.exec(type);
  if (!match) return null;
  const [, subject = "", predicate = "", version = ""] = match;
  return { subject, predicate, version };
}

export function eventTypeFor(subject: string, predicate: string, spec: SpecVersion): string {
  return `dev.cdevents.${subject}.${predicate}.${SPEC_RELEASES[spec].eventVersion}`;
}

/** The spec version a context declares ("0.4.1" → "0.4"), or null for any other version. */
export function specVersionOf(declared: string): SpecVersion | null {
  const match = /^0\.([45])\.\d+(?:-[0-9A-Za-z.-]+)?$/.exec(declared);
  return match ? (`0.${match[1]}` as SpecVersion) : null;
}

export function eventVersionMatches(spec: SpecVersion, version: string): boolean {
  return EVENT_VERSION_OF_SPEC[spec].test(version);
}

const NonEmpty = z.string().min(1);
/** URI-reference: any non-empty string without whitespace (relative references are allowed). */
const UriReference = z.string().regex(/^\S+$/, "must be a non-empty URI-reference without spaces");
const ContextId = z.object({ contextId: NonEmpty }).loose();
const Tags = z.record(z.string(), z.unknown());

/** Embedded links (`context.links`): END, PATH and RELATION, each with the fields its schema requires. */
export const Link = z.discriminatedUnion("linkType", [
  z.object({ linkType: z.literal("END"), from: ContextId.optional(), tags: Tags.optional() }).loose(),
  z.object({ linkType: z.literal("PATH"), from: ContextId, tags: Tags.optional() }).loose(),
  z
    .object({
      linkType: z.literal("RELATION"),
      linkKind: NonEmpty,
      target: z.object({ contextId: NonEmpty.optional() }).loose(),
      tags: Tags.optional(),
    })
    .loose(),
]);
export type Link = z.infer<typeof Link>;

const contextFields = {
  id: NonEmpty,
  source: UriReference,
  type: z.string().regex(EVENT_TYPE, "must be dev.cdevents.<subject>.<predicate>.<version>"),
  timestamp: z.iso.datetime({ offset: true, message: "must be an RFC 3339 timestamp" }),
  schemaUri: z.url().optional(),
  chainId: NonEmpty.optional(),
  links: z.array(Link).optional(),
};

export const ContextV04 = z.object({ version: NonEmpty, ...contextFields }).loose();
export const ContextV05 = z.object({ specversion: NonEmpty, ...contextFields }).loose();

/** A reference to another subject: `{id, source?}` (environment, change, pipelineRun). */
const Reference = z.object({ id: NonEmpty, source: UriReference.optional() }).loose();

const ServiceWithArtifact = z.object({ environment: Reference, artifactId: NonEmpty }).loose();

/** Subject content per `<subject>.<predicate>`, with the spec's required fields. */
export const CONTENT = {
  "service.deployed": ServiceWithArtifact,
  "service.upgraded": ServiceWithArtifact,
  "service.rolledback": ServiceWithArtifact,
  "service.removed": z.object({ environment: Reference }).loose(),
  "environment.created": z
    .object({ name: z.string().optional(), url: z.string().optional(), uri: z.string().optional() })
    .loose(),
  "environment.modified": z
    .object({ name: z.string().optional(), url: z.string().optional(), uri: z.string().optional() })
    .loose(),
  "environment.deleted": z.object({ name: z.string().optional() }).loose(),
  "artifact.packaged": z
    .object({ change: Reference, sbom: z.object({ uri: UriReference }).loose().optional() })
    .loose(),
  "artifact.published": z
    .object({ sbom: z.object({ uri: UriReference }).loose().optional(), user: NonEmpty.optional() })
    .loose(),
  "pipelinerun.finished": z
    .object({
      pipelineName: z.string().optional(),
      url: z.string().optional(),
      uri: z.string().optional(),
      outcome: z.string().optional(),
      errors: z.string().optional(),
    })
    .loose(),
} as const;
export type MappedType = keyof typeof CONTENT;

export function isMappedType(type: string): type is MappedType {
  return Object.hasOwn(CONTENT, type);
}

/** The `subject.type` value each subject carries (camelCase in the spec). */
const SUBJECT_TYPE: Readonly<Record<string, string>> = {
  service: "service",
  environment: "environment",
  artifact: "artifact",
  pipelinerun: "pipelineRun",
};

const CustomData = {
  customData: z.union([z.record(z.string(), z.unknown()), z.string()]).optional(),
  customDataContentType: z.string().optional(),
};

/** The whole CDEvent schema for one mapped event type in one spec version. */
export function cdeventSchema<T extends MappedType>(type: T, spec: SpecVersion) {
  const subjectName = type.split(".")[0] ?? "";
  const subjectType = z.literal(SUBJECT_TYPE[subjectName] ?? subjectName);
  return z
    .object({
      context: spec === "0.4" ? ContextV04 : ContextV05,
      subject: z
        .object({
          id: NonEmpty,
          source: UriReference.optional(),
          type: spec === "0.4" ? subjectType : subjectType.optional(),
          content: CONTENT[type] as (typeof CONTENT)[T],
        })
        .loose(),
      ...CustomData,
    })
    .loose();
}

export type CDEvent<T extends MappedType> = z.infer<ReturnType<typeof cdeventSchema<T>>>;

/** The parts every CDEvent has, read before the type is known (to route it or ignore it). */
export const CDEventEnvelope = z
  .object({
    context: z
      .object({ type: z.string(), version: z.string().optional(), specversion: z.string().optional() })
      .loose(),
  })
  .loose();
