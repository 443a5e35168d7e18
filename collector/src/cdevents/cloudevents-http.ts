import { ERROR_CODES, type ValidationIssue } from "@versioner/schema";
import { DomainError, ValidationError } from "../errors.ts";

/**
 * The CloudEvents 1.0 HTTP protocol binding, as far as CDEvents use it: binary mode (attributes in
 * `ce-*` headers, the event data as the body), structured mode (`application/cloudevents+json`, one
 * JSON object holding attributes and `data`) and batch mode (`application/cloudevents-batch+json`,
 * a JSON array of structured events).
 */
export type TransportMode = "binary" | "structured" | "batch";

export interface CloudEventAttributes {
  specversion: string;
  id: string;
  source: string;
  type: string;
  subject?: string;
  time?: string;
  datacontenttype?: string;
}

/** One CloudEvent read from a request, or the reason it could not be read. */
export type ReceivedCloudEvent =
  | {
      ok: true;
      attributes: CloudEventAttributes;
      data: unknown;
      /** Where the data sits in the request, to name its fields in a 422. */
      loc: Array<string | number>;
      /** Where an attribute sits: a `ce-*` header in binary mode, a member of the event otherwise. */
      attributeLoc(name: string): Array<string | number>;
    }
  | { ok: false; error: DomainError };

export interface ReceivedRequest {
  mode: TransportMode;
  events: ReceivedCloudEvent[];
}

const STRUCTURED = /^application\/cloudevents\+json\b/i;
const BATCH = /^application\/cloudevents-batch\+json\b/i;
/** `application/json`, `application/cdevents+json` and any other `+json` media type. */
const JSON_MEDIA = /^application\/([\w.-]+\+)?json\b/i;
const REQUIRED_ATTRIBUTES = ["specversion", "id", "source", "type"] as const;

/**
 * Reads the CloudEvents of a request. A body that is not JSON where JSON is required is a 400; a
 * request that is no CloudEvent at all (no mode applies) is a 422 naming `ce-specversion`.
 * In batch mode each event is read on its own, so one bad event does not reject the others.
 */
export function readCloudEvents(headers: Headers, body: string): ReceivedRequest {
  const contentType = headers.get("content-type") ?? "";
  if (BATCH.test(contentType)) {
    const parsed = parseJson(body);
    if (!Array.isArray(parsed)) {
      throw ValidationError.field(["body"], "A batch must be a JSON array of CloudEvents", "type_error");
    }
    return {
      mode: "batch",
      events: parsed.map((item, index) => guard(() => structuredEvent(item, ["body", index]))),
    };
  }
  if (STRUCTURED.test(contentType)) {
    return { mode: "structured", events: [guard(() => structuredEvent(parseJson(body), ["body"]))] };
  }
  if (headers.has("ce-specversion")) {
    return { mode: "binary", events: [guard(() => binaryEvent(headers, contentType, body))] };
  }
  throw ValidationError.field(
    ["header", "ce-specversion"],
    "Not a CloudEvent: send ce-* headers (binary mode), or Content-Type application/cloudevents+json " +
      "(structured mode) or application/cloudevents-batch+json (batch mode)",
    "missing",
  );
}

function guard(read: () => ReceivedCloudEvent): ReceivedCloudEvent {
  try {
    return read();
  } catch (error) {
    if (error instanceof DomainError) return { ok: false, error };
    throw error;
  }
}

function binaryEvent(headers: Headers, contentType: string, body: string): ReceivedCloudEvent {
  const issues: ValidationIssue[] = [];
  const attribute = (name: string) => headerValue(headers.get(`ce-${name}`));
  for (const name of REQUIRED_ATTRIBUTES) {
    if (!attribute(name))
      issues.push({ loc: ["header", `ce-${name}`], msg: "Field required", type: "missing" });
  }
  if (attribute("specversion") && attribute("specversion") !== "1.0") {
    issues.push({ loc: ["header", "ce-specversion"], msg: "must be 1.0", type: "value_error" });
  }
  if (!JSON_MEDIA.test(contentType)) {
    issues.push({
      loc: ["header", "content-type"],
      msg: "CDEvents data must be JSON (application/json or application/cdevents+json)",
      type: "value_error",
    });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return {
    ok: true,
    attributes: {
      specversion: "1.0",
      id: attribute("id") ?? "",
      source: attribute("source") ?? "",
      type: attribute("type") ?? "",
      subject: attribute("subject"),
      time: attribute("time"),
      datacontenttype: contentType,
    },
    data: parseJson(body),
    loc: ["body"],
    attributeLoc: (name) => ["header", `ce-${name}`],
  };
}

function structuredEvent(value: unknown, loc: Array<string | number>): ReceivedCloudEvent {
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw ValidationError.field(loc, "A CloudEvent must be a JSON object", "type_error");
  }
  const event = value as Record<string, unknown>;
  const issues: ValidationIssue[] = [];
  for (const name of REQUIRED_ATTRIBUTES) {
    if (typeof event[name] !== "string" || event[name] === "") {
      issues.push({ loc: [...loc, name], msg: "Field required", type: "missing" });
    }
  }
  if (typeof event.specversion === "string" && event.specversion !== "1.0") {
    issues.push({ loc: [...loc, "specversion"], msg: "must be 1.0", type: "value_error" });
  }
  const contentType = typeof event.datacontenttype === "string" ? event.datacontenttype : undefined;
  if (contentType !== undefined && !JSON_MEDIA.test(contentType)) {
    issues.push({ loc: [...loc, "datacontenttype"], msg: "CDEvents data must be JSON", type: "value_error" });
  }
  let data = event.data;
  if (data === undefined && typeof event.data_base64 === "string") {
    const decoded = Buffer.from(event.data_base64, "base64").toString("utf8");
    try {
      data = JSON.parse(decoded);
    } catch {
      issues.push({ loc: [...loc, "data_base64"], msg: "does not decode to JSON", type: "value_error" });
    }
  }
  if (data === undefined && issues.length === 0) {
    issues.push({ loc: [...loc, "data"], msg: "Field required: the CDEvent", type: "missing" });
  }
  if (issues.length > 0) throw new ValidationError(issues);
  const text = (name: string) => (typeof event[name] === "string" ? (event[name] as string) : undefined);
  return {
    ok: true,
    attributes: {
      specversion: "1.0",
      id: text("id") ?? "",
      source: text("source") ?? "",
      type: text("type") ?? "",
      subject: text("subject"),
      time: text("time"),
      datacontenttype: contentType,
    },
    data,
    loc: [...loc, event.data === undefined ? "data_base64" : "data"],
    attributeLoc: (name) => [...loc, name],
  };
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new DomainError(400, ERROR_CODES.INVALID_JSON, "Invalid JSON in request body");
  }
}

/** Binary-mode header values are percent-encoded UTF-8 (CloudEvents HTTP binding, 3.1.3.2). */
function headerValue(raw: string | null): string | undefined {
  if (raw === null) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function encodeHeaderValue(value: string): string {
  return value.replace(/[^\x21\x23-\x24\x26-\x7e]/gu, (char) => encodeURIComponent(char));
}

/** The headers of a binary-mode CloudEvent (the data goes in the body, typed by Content-Type). */
export function binaryModeHeaders(attributes: CloudEventAttributes): Record<string, string> {
  const headers: Record<string, string> = {
    "ce-specversion": attributes.specversion,
    "ce-id": encodeHeaderValue(attributes.id),
    "ce-source": encodeHeaderValue(attributes.source),
    "ce-type": encodeHeaderValue(attributes.type),
  };
  if (attributes.subject !== undefined) headers["ce-subject"] = encodeHeaderValue(attributes.subject);
  if (attributes.time !== undefined) headers["ce-time"] = attributes.time;
  headers["content-type"] = attributes.datacontenttype ?? "application/json";
  return headers;
}
