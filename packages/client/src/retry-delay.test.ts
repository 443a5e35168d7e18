import { describe, expect, it } from "vitest";
import { backoffDelay, parseRetryAfter } from "./retry-delay.ts";

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  it.each([
    [null, undefined],
    ["", undefined],
    ["5", 5000],
    ["0", 0],
    ["1.5", 1500],
    ["Thu, 01 Jan 2026 00:00:30 GMT", 30_000],
    ["Wed, 31 Dec 2025 23:00:00 GMT", 0],
    ["soon", undefined],
  ])("%s → %s", (header, expected) => {
    expect(parseRetryAfter(header, now)).toBe(expected);
  });
});

describe("backoffDelay", () => {
  it("doubles the ceiling per attempt up to the cap, scaled by the jitter", () => {
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(attempt, 500, 3000, () => 1))).toEqual([
      500, 1000, 2000, 3000,
    ]);
    expect(backoffDelay(3, 500, 3000, () => 0.5)).toBe(1000);
    expect(backoffDelay(3, 500, 3000, () => 0)).toBe(0);
  });
});
