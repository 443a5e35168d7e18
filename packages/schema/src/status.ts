/** Canonical lifecycle statuses shared by builds and deployments. */
export const STATUSES = ["pending", "started", "completed", "failed", "aborted"] as const;
export type Status = (typeof STATUSES)[number];

/** Every accepted spelling, including the canonical one, mapped to its canonical status. */
export const STATUS_ALIASES: Readonly<Record<string, Status>> = {
  pending: "pending",
  queued: "pending",
  scheduled: "pending",
  started: "started",
  in_progress: "started",
  init: "started",
  deploying: "started",
  building: "started",
  completed: "completed",
  success: "completed",
  complete: "completed",
  finished: "completed",
  deployed: "completed",
  built: "completed",
  failed: "failed",
  fail: "failed",
  failure: "failed",
  error: "failed",
  aborted: "aborted",
  abort: "aborted",
  cancelled: "aborted",
  canceled: "aborted",
  cancel: "aborted",
  skipped: "aborted",
};

/**
 * Maps a status as CI systems spell it (case-insensitive, trimmed) to its canonical form, or null.
 * Only the table's own keys count: "constructor" or "__proto__" would otherwise read
 * Object.prototype's members and pass as a status (a 500 further on).
 */
export function normalizeStatus(input: string): Status | null {
  const key = input.trim().toLowerCase();
  return Object.hasOwn(STATUS_ALIASES, key) ? (STATUS_ALIASES[key] as Status) : null;
}

/** Ordering used to keep a lifecycle from going backwards when events arrive out of order; the terminal statuses (completed, failed, aborted) share the top rank. */
export function statusRank(status: Status): number {
  return status === "pending" ? 0 : status === "started" ? 1 : 2;
}

/** Statuses of a build or deployment that has not ended yet: more events are expected. */
export const IN_PROGRESS_STATUSES = ["pending", "started"] as const satisfies readonly Status[];

/** Statuses that end a build or deployment; nothing moves a record out of them. */
export const FINISHED_STATUSES = ["completed", "failed", "aborted"] as const satisfies readonly Status[];

/** Finished statuses that did not deliver: the matrix, releases and messages show them as failed. */
export const FAILED_STATUSES = ["failed", "aborted"] as const satisfies readonly Status[];

/** The one status that delivered: a deployment in it is what runs in its environment. */
export const SUCCEEDED_STATUS = "completed" satisfies Status;

/** True while more events are expected (pending, started). */
export function isInProgress(status: string): status is (typeof IN_PROGRESS_STATUSES)[number] {
  return (IN_PROGRESS_STATUSES as readonly string[]).includes(status);
}

/** True once the record has ended, successfully or not (completed, failed, aborted). */
export function isFinished(status: string): status is (typeof FINISHED_STATUSES)[number] {
  return (FINISHED_STATUSES as readonly string[]).includes(status);
}

/** True when the record ended without delivering (failed, aborted). */
export function isFailed(status: string): status is (typeof FAILED_STATUSES)[number] {
  return (FAILED_STATUSES as readonly string[]).includes(status);
}

/** True when the record delivered (completed): only then does a deployment become current. */
export function isSucceeded(status: string): status is typeof SUCCEEDED_STATUS {
  return status === SUCCEEDED_STATUS;
}

/**
 * Whether an event with status `next` may move a record that is at `current` (null: no status
 * yet). Out-of-order events (a late "started" after "completed") never move a record back.
 */
export function movesForward(current: Status | null, next: Status): boolean {
  return current === null || statusRank(next) >= statusRank(current);
}

/** A deployment's `deployed_at`: when it completed, or its latest known moment before that. */
export function deployedAt(deployment: {
  completed_at: string | null;
  started_at: string | null;
  created_at: string;
}): string {
  return deployment.completed_at ?? deployment.started_at ?? deployment.created_at;
}
