import { hash } from "node:crypto";
import {
  type BuildEvent,
  BuildEventInput,
  type DeploymentEvent,
  DeploymentEventInput,
  type EventKind,
  isInProgress,
  isSucceeded,
  type Status,
} from "@versioner/schema";
import { SHA_ABBREVIATION } from "../db/schema/catalog.ts";
import { merged } from "../merged.ts";
import type { EventStream, LatestEvent } from "./unit-of-work.ts";

// The repeat and lifecycle rules of ingest (docs/api.md, "Repeats" and "Deployment lifecycle"),
// as pure functions over the rows ingest already reads, so any ingest engine can reuse them. What
// a status means (finished, failed, …) is decided once, in @versioner/schema's status rules.

/**
 * The event as the collector understands it, as text: the parsed body (aliases resolved, times in
 * UTC, unknown fields and "not given" values dropped) with object keys sorted at every level.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    // Keys with an undefined value are copied too: JSON.stringify leaves them out.
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}

/** SHA-256 of the kind and the canonical body: equal exactly when two requests mean the same event. */
export function requestHash(kind: EventKind, event: BuildEvent | DeploymentEvent): string {
  // One-shot: a Hash object per event cost more than the hashing itself.
  return hash("sha256", `${kind}\n${canonicalJson(event)}`, "hex");
}

/** The hash of an event row written before hashes were stored, from its raw payload (null if unreadable). */
export function legacyRequestHash(row: { kind: string; payload: unknown }): string | null {
  const schema = row.kind === "build" ? BuildEventInput : DeploymentEventInput;
  const parsed = schema.safeParse(row.payload);
  return parsed.success ? requestHash(row.kind as EventKind, parsed.data) : null;
}

/**
 * An event without an Idempotency-Key repeats the latest event of its stream only when it is the
 * same event (same hash) and, unless it names a run (`invoke_id`), arrives within the window: a
 * client retry, not a redeploy. Anything recorded in between makes it a new event.
 */
export function repeatsLatest(input: {
  hash: string;
  latestHash: string | null;
  latestReceivedAt: string;
  receivedAt: Date;
  hasInvokeId: boolean;
  windowSeconds: number;
}): boolean {
  if (input.latestHash !== input.hash) return false;
  if (input.hasInvokeId) return true;
  return input.receivedAt.getTime() - Date.parse(input.latestReceivedAt) <= input.windowSeconds * 1000;
}

/**
 * What an event does to the build or deployment records of its stream:
 * - with an `invoke_id`, it advances the record of that run, or starts it;
 * - without, it advances the open record of its version only if that record is the latest one
 *   in the stream (the latest event touched it); an open record that something else followed is
 *   superseded: closed as `aborted`, and the event starts a new record.
 */
export type LifecycleStep = "advance" | "start" | "supersede";

export function lifecycleStep(input: {
  hasInvokeId: boolean;
  /** With an invoke_id, the run's record; without, the open record of the version without one. */
  matched: { id: string } | undefined;
  latestRecordId: string | undefined;
}): LifecycleStep {
  if (!input.matched) return "start";
  if (input.hasInvokeId || input.latestRecordId === input.matched.id) return "advance";
  return "supersede";
}

/**
 * The record the latest event of the stream touched. Only the lifecycle of a matched open record
 * needs it, so it is read only then.
 */
export async function latestRecordId(
  matched: object | undefined,
  latestEvent: () => Promise<LatestEvent | undefined>,
): Promise<string | undefined> {
  // Stryker disable next-line ConditionalExpression: only spares a read; lifecycleStep starts a record when none matched, whatever the latest event
  if (!matched) return undefined;
  // Stryker disable next-line OptionalChaining: the event that made the matched record is in the same stream, so the stream has a latest event
  return (await latestEvent())?.record_id;
}

/** Where the latest event of an event's stream is: deployments per product + environment, builds per version. */
export function eventStream(
  kind: EventKind,
  product: { id: string } | undefined,
  version: { id: string } | undefined,
  environment: { id: string } | undefined,
): EventStream | undefined {
  if (kind === "build") return version ? { version_id: version.id } : undefined;
  return product && environment ? { product_id: product.id, environment_id: environment.id } : undefined;
}

/**
 * Only an event that would start a deployment is judged by preflight: pending, started, or a
 * one-shot `completed`; a failure or an abort starts nothing.
 */
export function canStartDeployment(status: Status): boolean {
  return isInProgress(status) || isSucceeded(status);
}

/** SHAs match when equal, or when one is an abbreviation (≥7 characters) of the other. */
export function sameSha(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x === y) return true;
  const [short, long] = x.length < y.length ? [x, y] : [y, x];
  return short.length >= SHA_ABBREVIATION && long.startsWith(short);
}

/** A record's `started_at`: the first one known is kept; a `started` event without one starts it now. */
export function startedAt(
  event: BuildEvent | DeploymentEvent,
  current: string | null,
  now: string,
): string | null {
  if (event.started_at) return current ?? event.started_at;
  if (current) return current;
  return event.status === "started" ? now : null;
}

/** A record's `completed_at`: set by the event that finishes it (its own time, or now). */
export function completedAt(
  event: BuildEvent | DeploymentEvent,
  current: string | null,
  now: string,
): string | null {
  if (isInProgress(event.status)) return current;
  return event.completed_at ?? now;
}

/** An open record that a newer attempt replaced: it will never report its end, so it ends here. */
export function supersededFields(now: string) {
  return { status: "aborted", completed_at: now, updated_at: now } as const;
}

/** The fields a build or deployment record shares, as the lifecycle sets them. */
interface LifecycleFields {
  status: string;
  source_system: string | null;
  started_at: string | null;
  completed_at: string | null;
  extra_metadata: Record<string, unknown>;
}

/** What an event sets on the record it advances; each kind's planner adds its own fields. */
export function advancedFields(event: BuildEvent | DeploymentEvent, matched: LifecycleFields, now: string) {
  return {
    status: event.status,
    source_system: event.source_system ?? matched.source_system,
    started_at: startedAt(event, matched.started_at, now),
    completed_at: completedAt(event, matched.completed_at, now),
    extra_metadata: merged(matched.extra_metadata, event.extra_metadata ?? {}),
    updated_at: now,
  };
}

/** What an event sets on the record it starts; each kind's planner adds its own fields. */
export function startedFields(event: BuildEvent | DeploymentEvent, now: string) {
  return {
    status: event.status,
    invoke_id: event.invoke_id ?? null,
    source_system: event.source_system ?? null,
    started_at: startedAt(event, null, now),
    completed_at: completedAt(event, null, now),
    extra_metadata: event.extra_metadata ?? {},
    created_at: now,
    updated_at: now,
  };
}
