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

/** Maps a status as CI systems spell it (case-insensitive, trimmed) to its canonical form, or null. */
export function normalizeStatus(input: string): Status | null {
  return STATUS_ALIASES[input.trim().toLowerCase()] ?? null;
}

/** Ordering used to keep a lifecycle from going backwards when events arrive out of order; the terminal statuses (completed, failed, aborted) share the top rank. */
export function statusRank(status: Status): number {
  return status === "pending" ? 0 : status === "started" ? 1 : 2;
}

/** A deployment's `deployed_at`: when it completed, or its latest known moment before that. */
export function deployedAt(deployment: {
  completed_at: string | null;
  started_at: string | null;
  created_at: string;
}): string {
  return deployment.completed_at ?? deployment.started_at ?? deployment.created_at;
}
