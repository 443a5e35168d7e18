import { describe, expect, it } from "vitest";
import { nextDelayMs, retryDelayMs } from "./retry-policy.ts";

const policy = { baseMs: 1000, maxDelayMs: 3_600_000, maxAttempts: 15 };

describe("retryDelayMs", () => {
  it("backs off exponentially with jitter, about a second first, capped", () => {
    expect(retryDelayMs(policy, 1, () => 0)).toBe(800);
    expect(retryDelayMs(policy, 1, () => 1)).toBe(1200);
    expect(retryDelayMs(policy, 3, () => 0.5)).toBe(4000);
    expect(retryDelayMs(policy, 30, () => 0.5)).toBe(3_600_000);
  });

  it("doubles per failed attempt and treats attempt 0 like attempt 1", () => {
    expect([0, 1, 2, 3, 4].map((n) => retryDelayMs(policy, n, () => 0.5))).toEqual([
      1000, 1000, 2000, 4000, 8000,
    ]);
  });

  it("rounds to whole milliseconds and caps the jittered value, not only the base", () => {
    expect(retryDelayMs({ ...policy, baseMs: 3 }, 1, () => 0.3)).toBe(3);
    expect(retryDelayMs({ ...policy, maxDelayMs: 1100 }, 1, () => 1)).toBe(1100);
  });

  it("uses Math.random when no source is given, within ±20 %", () => {
    const delay = retryDelayMs(policy, 2);
    expect(delay).toBeGreaterThanOrEqual(1600);
    expect(delay).toBeLessThanOrEqual(2400);
  });
});

describe("nextDelayMs", () => {
  it("honours Retry-After exactly, never sooner, within six hours", () => {
    expect(nextDelayMs(policy, 1, 30_000)).toBe(30_000);
    expect(nextDelayMs(policy, 1, 0)).toBe(0);
    expect(nextDelayMs(policy, 1, -5_000)).toBe(0);
    expect(nextDelayMs(policy, 1, 6 * 3_600_000)).toBe(6 * 3_600_000);
    expect(nextDelayMs(policy, 1, 7 * 3_600_000)).toBe(6 * 3_600_000);
  });

  it("falls back to the backoff without Retry-After", () => {
    expect(nextDelayMs(policy, 3, null, () => 0.5)).toBe(4000);
  });
});
