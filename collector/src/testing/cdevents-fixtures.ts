import { randomUUID } from "node:crypto";

/**
 * CDEvents built by hand from the spec's field tables (v0.4.1 and v0.5.0), for the collector's
 * tests and the end-to-end tests. Deliberately independent of the collector's own schemas.
 */
export type Spec = "0.4" | "0.5";
export const SPECS: Spec[] = ["0.4", "0.5"];

const CONTEXT_VERSION: Record<Spec, { key: "version" | "specversion"; value: string; event: string }> = {
  "0.4": { key: "version", value: "0.4.1", event: "0.2.0" },
  "0.5": { key: "specversion", value: "0.5.0", event: "0.3.0" },
};

const SUBJECT_TYPE: Record<string, string> = {
  service: "service",
  environment: "environment",
  artifact: "artifact",
  pipelinerun: "pipelineRun",
  taskrun: "taskRun",
};

export interface CDEventOptions {
  id?: string;
  source?: string;
  timestamp?: string;
  subjectId?: string;
  subjectSource?: string;
  chainId?: string;
  links?: unknown[];
  customData?: unknown;
  customDataContentType?: string;
  /** Leave `subject.type` out (optional in v0.5, required in v0.4). */
  omitSubjectType?: boolean;
}

/** One CDEvent of `<subject>.<predicate>` in the given spec version. */
export function cdevent(
  spec: Spec,
  name: string,
  content: Record<string, unknown>,
  options: CDEventOptions = {},
): Record<string, any> {
  const [subject = ""] = name.split(".");
  const version = CONTEXT_VERSION[spec];
  const context: Record<string, unknown> = {
    [version.key]: version.value,
    id: options.id ?? randomUUID(),
    source: options.source ?? "/tekton/cluster-1",
    type: `dev.cdevents.${name}.${version.event}`,
    timestamp: options.timestamp ?? "2026-03-01T10:00:00Z",
  };
  if (options.chainId) context.chainId = options.chainId;
  if (options.links) context.links = options.links;
  const event: Record<string, any> = {
    context,
    subject: {
      id: options.subjectId ?? `${subject}/${randomUUID().slice(0, 8)}`,
      ...(options.subjectSource && { source: options.subjectSource }),
      ...(!options.omitSubjectType && { type: SUBJECT_TYPE[subject] ?? subject }),
      content,
    },
  };
  if (options.customData !== undefined) event.customData = options.customData;
  if (options.customDataContentType) event.customDataContentType = options.customDataContentType;
  return event;
}

/** service.deployed / upgraded / rolledback content: environment reference and artifact purl. */
export function serviceContent(environment: string, artifactId: string): Record<string, unknown> {
  return { environment: { id: environment, source: "/argocd" }, artifactId };
}

/** The three link kinds of the spec's embedded links table. */
export function sampleLinks(): unknown[] {
  const contextId = randomUUID();
  return [
    { linkType: "RELATION", linkKind: "TRIGGER", target: { contextId }, tags: { team: "payments" } },
    { linkType: "PATH", from: { contextId } },
    { linkType: "END", from: { contextId } },
  ];
}

export interface HttpRequestParts {
  headers: Record<string, string>;
  body: string;
}

/** CloudEvents HTTP binary mode: attributes in ce-* headers, the CDEvent as the body. */
export function binaryMode(event: Record<string, any>): HttpRequestParts {
  return {
    headers: {
      "ce-specversion": "1.0",
      "ce-id": event.context.id,
      "ce-source": event.context.source,
      "ce-type": event.context.type,
      "ce-subject": event.subject.id,
      "ce-time": event.context.timestamp,
      "content-type": "application/json",
    },
    body: JSON.stringify(event),
  };
}

function structuredEvent(event: Record<string, any>): Record<string, unknown> {
  return {
    specversion: "1.0",
    id: event.context.id,
    source: event.context.source,
    type: event.context.type,
    subject: event.subject.id,
    time: event.context.timestamp,
    datacontenttype: "application/json",
    data: event,
  };
}

/** CloudEvents HTTP structured mode: one JSON object with the attributes and `data`. */
export function structuredMode(event: Record<string, any>): HttpRequestParts {
  return {
    headers: { "content-type": "application/cloudevents+json; charset=utf-8" },
    body: JSON.stringify(structuredEvent(event)),
  };
}

/** CloudEvents HTTP batch mode: a JSON array of structured events. */
export function batchMode(events: Array<Record<string, any>>): HttpRequestParts {
  return {
    headers: { "content-type": "application/cloudevents-batch+json" },
    body: JSON.stringify(events.map(structuredEvent)),
  };
}

export const MODES = {
  binary: (event: Record<string, any>) => binaryMode(event),
  structured: (event: Record<string, any>) => structuredMode(event),
  batch: (event: Record<string, any>) => batchMode([event]),
} as const;
export type Mode = keyof typeof MODES;
