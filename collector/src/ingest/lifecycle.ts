import { createHash } from "node:crypto";
import {
  type BuildEvent,
  BuildEventInput,
  type DeploymentEvent,
  DeploymentEventInput,
  type EventKind,
} from "@versioner/schema";

// The repeat and lifecycle rules of ingest (docs/api.md, "Repeats" and "Deployment lifecycle"),
// as pure functions over the rows ingest already reads, so any ingest engine can reuse them.

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
  return createHash("sha256").update(kind).update("\n").update(canonicalJson(event)).digest("hex");
}

/** The hash of an event row written before hashes were stored, from its raw payload (null if unreadable). */
export function legacyRequestHash(row: { kind: string; payload: unknown }): string | null {
  const schema = row.kind === "build" ? BuildEventInput : DeploymentEventInput;
  const parsed = schema.safeParse(row.payload);
  return parsed.success ? requestHash(row.kind as EventKind, parsed.data) : null;
}

/** The latest event recorded in a stream (one product + environment, or one version's builds). */
export interface LatestEvent {
  id: string;
  body_hash: string | null;
  record_id: string;
  received_at: string;
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
