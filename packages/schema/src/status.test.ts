import { describe, expect, it } from "vitest";
import {
  deployedAt,
  FAILED_STATUSES,
  FINISHED_STATUSES,
  IN_PROGRESS_STATUSES,
  isFailed,
  isFinished,
  isInProgress,
  isSucceeded,
  movesForward,
  normalizeStatus,
  STATUS_ALIASES,
  STATUSES,
  type Status,
  statusRank,
} from "./status.ts";

// Written out by hand, not derived from STATUS_ALIASES: this table is the contract CI systems rely on.
const ALIASES: Array<[string, string]> = [
  ["pending", "pending"],
  ["queued", "pending"],
  ["scheduled", "pending"],
  ["started", "started"],
  ["in_progress", "started"],
  ["init", "started"],
  ["deploying", "started"],
  ["building", "started"],
  ["completed", "completed"],
  ["success", "completed"],
  ["complete", "completed"],
  ["finished", "completed"],
  ["deployed", "completed"],
  ["built", "completed"],
  ["failed", "failed"],
  ["fail", "failed"],
  ["failure", "failed"],
  ["error", "failed"],
  ["aborted", "aborted"],
  ["abort", "aborted"],
  ["cancelled", "aborted"],
  ["canceled", "aborted"],
  ["cancel", "aborted"],
  ["skipped", "aborted"],
];

describe("@versioner/schema/status", () => {
  it("lists the five canonical statuses in lifecycle order", () => {
    expect(STATUSES).toEqual(["pending", "started", "completed", "failed", "aborted"]);
  });

  it.each(ALIASES)("normalises %s to %s", (alias, status) => {
    expect(normalizeStatus(alias)).toBe(status);
  });

  it("knows exactly the documented aliases", () => {
    expect(Object.keys(STATUS_ALIASES).sort()).toEqual(ALIASES.map(([alias]) => alias).sort());
  });

  it("ignores case and surrounding white space", () => {
    expect(normalizeStatus("  SUCCESS\t")).toBe("completed");
    expect(normalizeStatus("In_Progress")).toBe("started");
  });

  it("returns null for an unknown status, an empty one, and inherited object keys", () => {
    expect(normalizeStatus("succeeded")).toBeNull();
    expect(normalizeStatus("")).toBeNull();
    expect(normalizeStatus("   ")).toBeNull();
    expect(normalizeStatus("in progress")).toBeNull();
  });

  it("ranks pending below started below every terminal status, which share one rank", () => {
    expect(statusRank("pending")).toBe(0);
    expect(statusRank("started")).toBe(1);
    expect(statusRank("completed")).toBe(2);
    expect(statusRank("failed")).toBe(2);
    expect(statusRank("aborted")).toBe(2);
  });

  it("deployed_at is completed_at, else started_at, else created_at", () => {
    const created_at = "2026-01-01T00:00:00.000Z";
    const started_at = "2026-01-01T00:01:00.000Z";
    const completed_at = "2026-01-01T00:02:00.000Z";
    expect(deployedAt({ created_at, started_at, completed_at })).toBe(completed_at);
    expect(deployedAt({ created_at, started_at, completed_at: null })).toBe(started_at);
    expect(deployedAt({ created_at, started_at: null, completed_at: null })).toBe(created_at);
    expect(deployedAt({ created_at, started_at: null, completed_at })).toBe(completed_at);
  });

  // One row per canonical status, written out by hand: every reader of a status asks these.
  const KINDS: Array<
    [Status, { inProgress: boolean; finished: boolean; failed: boolean; succeeded: boolean }]
  > = [
    ["pending", { inProgress: true, finished: false, failed: false, succeeded: false }],
    ["started", { inProgress: true, finished: false, failed: false, succeeded: false }],
    ["completed", { inProgress: false, finished: true, failed: false, succeeded: true }],
    ["failed", { inProgress: false, finished: true, failed: true, succeeded: false }],
    ["aborted", { inProgress: false, finished: true, failed: true, succeeded: false }],
  ];

  it.each(KINDS)("classifies %s", (status, kind) => {
    expect({
      inProgress: isInProgress(status),
      finished: isFinished(status),
      failed: isFailed(status),
      succeeded: isSucceeded(status),
    }).toEqual(kind);
    expect((IN_PROGRESS_STATUSES as readonly string[]).includes(status)).toBe(kind.inProgress);
    expect((FINISHED_STATUSES as readonly string[]).includes(status)).toBe(kind.finished);
    expect((FAILED_STATUSES as readonly string[]).includes(status)).toBe(kind.failed);
  });

  it("puts every status in exactly one of in progress and finished", () => {
    expect([...IN_PROGRESS_STATUSES, ...FINISHED_STATUSES].sort()).toEqual([...STATUSES].sort());
  });

  it("classifies an unknown or alias spelling as nothing (rows hold canonical statuses only)", () => {
    for (const status of ["success", "in_progress", "", "COMPLETED"]) {
      expect([isInProgress(status), isFinished(status), isFailed(status), isSucceeded(status)]).toEqual([
        false,
        false,
        false,
        false,
      ]);
    }
  });

  it("moves a record forward or sideways among finished statuses, never back", () => {
    expect(movesForward(null, "pending")).toBe(true);
    expect(movesForward("pending", "started")).toBe(true);
    expect(movesForward("started", "started")).toBe(true);
    expect(movesForward("started", "failed")).toBe(true);
    expect(movesForward("completed", "failed")).toBe(true);
    expect(movesForward("failed", "completed")).toBe(true);
    expect(movesForward("started", "pending")).toBe(false);
    expect(movesForward("completed", "started")).toBe(false);
    expect(movesForward("aborted", "pending")).toBe(false);
  });

  it("knows no status by the names of Object.prototype's members", () => {
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"]) {
      expect(normalizeStatus(name)).toBeNull();
      expect(normalizeStatus(name.toUpperCase())).toBeNull();
    }
    expect(normalizeStatus(" Success ")).toBe("completed");
  });
});
