import { describe, expect, it } from "vitest";
import { exactTime, relativeTime } from "./relative-time.ts";

const now = new Date("2026-03-10T12:00:00.000Z");

describe("relativeTime", () => {
  it.each([
    ["2026-03-10T11:59:30.000Z", "just now"],
    ["2026-03-10T11:55:00.000Z", "5 minutes ago"],
    ["2026-03-10T09:00:00.000Z", "3 hours ago"],
    ["2026-03-09T12:00:00.000Z", "yesterday"],
    ["2026-03-07T11:00:00.000Z", "3 days ago"],
    ["2026-02-20T12:00:00.000Z", "2 weeks ago"],
    ["2025-03-01T12:00:00.000Z", "last year"],
    ["2026-03-10T14:00:00.000Z", "in 2 hours"],
  ])("%s is %s", (iso, expected) => {
    expect(relativeTime(iso, now)).toBe(expected);
  });

  it("shows the exact time in UTC to the second", () => {
    expect(exactTime("2026-03-07T11:00:05.123Z")).toBe("2026-03-07 11:00:05 UTC");
  });
});
