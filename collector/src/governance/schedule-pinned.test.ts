import { describe, expect, it } from "vitest";
import {
  activeWindow,
  localToInstant,
  type ScheduleSettings,
  scheduleProblems,
  windowAt,
} from "./schedule.ts";

// The rules of no-deploy windows that schedule.test.ts leaves open: exact settings messages, the
// edges of each check, and the defaults a caller gets without naming them (docs/governance.md).

const at = (iso: string) => new Date(iso);
const iso = (window: { start: Date; end: Date } | undefined) =>
  window && { start: window.start.toISOString(), end: window.end.toISOString() };
const daily = (start: string, end: string, timezone = "UTC"): ScheduleSettings => ({
  recurrence: "daily",
  timezone,
  start,
  end,
});
const once = (start: string, end: string, timezone = "UTC"): ScheduleSettings => ({
  recurrence: "once",
  timezone,
  start,
  end,
});

describe("localToInstant defaults", () => {
  it("takes the first occurrence of a repeated time unless told otherwise", () => {
    // Berlin 2026-10-25: 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET).
    expect(localToInstant({ year: 2026, month: 10, day: 25 }, 150, "Europe/Berlin").toISOString()).toBe(
      "2026-10-25T00:30:00.000Z",
    );
  });
});

describe("settings problems, message by message", () => {
  it("a time zone that is not IANA", () => {
    expect(scheduleProblems(daily("10:00", "11:00", "Mars/Olympus"))).toEqual([
      ["timezone", "is not an IANA time zone"],
    ]);
  });

  it("a one-time window whose start or end is not a local date-time", () => {
    expect(scheduleProblems(once("soon", "2026-03-01T10:00"))).toEqual([
      ["start", "must be a local date-time YYYY-MM-DDTHH:MM for a one-time window"],
    ]);
    expect(scheduleProblems(once("2026-03-01T10:00", "later"))).toEqual([
      ["end", "must be a local date-time YYYY-MM-DDTHH:MM for a one-time window"],
    ]);
    expect(scheduleProblems(once("2026-03-01T10:00", "2026-02-29T11:00"))).toEqual([
      ["end", "must be a local date-time YYYY-MM-DDTHH:MM for a one-time window"],
    ]);
  });

  it("a one-time window must end after it starts, to the minute", () => {
    expect(scheduleProblems(once("2026-03-01T10:00", "2026-03-01T10:00"))).toEqual([
      ["end", "must be after start"],
    ]);
    expect(scheduleProblems(once("2026-03-01T10:00", "2026-03-01T10:01"))).toEqual([]);
    // Minutes compare as numbers: 09:00 (540) is before 17:00 (1020).
    expect(scheduleProblems(once("2026-03-01T09:00", "2026-03-01T17:00"))).toEqual([]);
    // Dates compare as dates, whatever the number of digits in their year.
    expect(scheduleProblems(once("0999-12-31T10:00", "1000-01-01T10:00"))).toEqual([]);
  });

  it("rejects month 13 and the 30th of February as dates", () => {
    expect(scheduleProblems(once("2026-13-01T10:00", "2027-01-02T10:00"))).toEqual([
      ["start", "must be a local date-time YYYY-MM-DDTHH:MM for a one-time window"],
    ]);
    expect(scheduleProblems({ ...daily("10:00", "11:00"), start_date: "2026-13-01" })).toEqual([
      ["start_date", "must be a date YYYY-MM-DD"],
    ]);
    expect(scheduleProblems({ ...daily("10:00", "11:00"), end_date: "2026-02-30" })).toEqual([
      ["end_date", "must be a date YYYY-MM-DD"],
    ]);
    expect(
      scheduleProblems({ ...daily("10:00", "11:00"), start_date: "June 1st", end_date: "2026-2-1" }),
    ).toEqual([
      ["start_date", "must be a date YYYY-MM-DD"],
      ["end_date", "must be a date YYYY-MM-DD"],
    ]);
    expect(
      scheduleProblems({ ...daily("10:00", "11:00"), start_date: "2028-02-29", end_date: "2028-12-31" }),
    ).toEqual([]);
  });

  it("a recurring window starts at HH:MM before 24:00 and ends at HH:MM up to 24:00", () => {
    expect(scheduleProblems(daily("24:00", "10:00"))).toEqual([["start", "must be a local time HH:MM"]]);
    expect(scheduleProblems(daily("10:00", "24:01"))).toEqual([
      ["end", "must be a local time HH:MM (24:00 for the end of the day)"],
    ]);
    expect(scheduleProblems(daily("9:00", "ten"))).toEqual([
      ["start", "must be a local time HH:MM"],
      ["end", "must be a local time HH:MM (24:00 for the end of the day)"],
    ]);
    expect(scheduleProblems(daily("00:00", "24:00"))).toEqual([]);
    expect(scheduleProblems(daily("23:59", "00:00"))).toEqual([]);
  });

  it("a monthly window needs its day of month; other recurrences do not", () => {
    expect(
      scheduleProblems({ recurrence: "monthly", timezone: "UTC", start: "10:00", end: "11:00" }),
    ).toEqual([["day_of_month", "a monthly window needs day_of_month"]]);
    expect(
      scheduleProblems({
        recurrence: "monthly",
        timezone: "UTC",
        start: "10:00",
        end: "11:00",
        day_of_month: 1,
      }),
    ).toEqual([]);
    expect(scheduleProblems(daily("10:00", "11:00"))).toEqual([]);
  });
});

describe("windows", () => {
  it("a one-time window starts and ends at the minute given, in its zone", () => {
    const window = windowAt(
      once("2026-12-24T18:30", "2026-12-24T19:45", "Europe/Berlin"),
      at("2026-12-24T18:00:00Z"),
    );
    expect(iso(window)).toEqual({ start: "2026-12-24T17:30:00.000Z", end: "2026-12-24T18:45:00.000Z" });
  });

  it("a one-time window starting on a repeated time starts at its first occurrence, ends at the last", () => {
    const settings = once("2026-10-25T02:30", "2026-10-25T02:45", "Europe/Berlin");
    expect(iso(windowAt(settings, at("2026-10-25T00:40:00Z")))).toEqual({
      start: "2026-10-25T00:30:00.000Z",
      end: "2026-10-25T01:45:00.000Z",
    });
  });

  it("a one-time window with settings that do not parse never holds (and never throws)", () => {
    expect(windowAt(once("soon", "later"), at("2026-03-01T10:00:00Z"))).toBeUndefined();
    expect(windowAt(once("2026-03-01T09:00", "later"), at("2026-03-01T10:00:00Z"))).toBeUndefined();
    expect(windowAt(once("soon", "2026-03-01T11:00"), at("2026-03-01T10:00:00Z"))).toBeUndefined();
  });

  it("a one-time window is read the same on every call", () => {
    const settings = once("2026-03-01T09:00", "2026-03-01T11:00");
    expect(iso(windowAt(settings, at("2026-03-01T10:00:00Z")))).toEqual(
      iso(windowAt(settings, at("2026-03-01T10:30:00Z"))),
    );
    expect(windowAt(settings, at("2026-03-01T11:00:00Z"))).toBeUndefined();
  });

  it("a recurring window whose end equals its start lasts a whole day", () => {
    expect(iso(windowAt(daily("10:00", "10:00"), at("2026-03-02T09:00:00Z")))).toEqual({
      start: "2026-03-01T10:00:00.000Z",
      end: "2026-03-02T10:00:00.000Z",
    });
  });

  it("a weekly window without days never holds", () => {
    const settings: ScheduleSettings = {
      recurrence: "weekly",
      timezone: "UTC",
      start: "00:00",
      end: "24:00",
    };
    for (const day of [
      "2026-03-01",
      "2026-03-02",
      "2026-03-03",
      "2026-03-04",
      "2026-03-05",
      "2026-03-06",
      "2026-03-07",
    ])
      expect(windowAt(settings, at(`${day}T12:00:00Z`)), day).toBeUndefined();
  });

  it("a weekly window holds on its days only, a daily one every day", () => {
    const monday: ScheduleSettings = {
      recurrence: "weekly",
      timezone: "UTC",
      start: "10:00",
      end: "11:00",
      days_of_week: [1],
    };
    expect(windowAt(monday, at("2026-03-02T10:30:00Z"))).toBeDefined();
    expect(windowAt(monday, at("2026-03-03T10:30:00Z"))).toBeUndefined();
    expect(windowAt(daily("10:00", "11:00"), at("2026-03-03T10:30:00Z"))).toBeDefined();
  });

  it("a monthly window without day_of_month starts on the 1st", () => {
    const settings: ScheduleSettings = {
      recurrence: "monthly",
      timezone: "UTC",
      start: "10:00",
      end: "11:00",
    };
    expect(windowAt(settings, at("2026-03-01T10:30:00Z"))).toBeDefined();
    expect(windowAt(settings, at("2026-03-02T10:30:00Z"))).toBeUndefined();
  });

  it("a window that never ends is followed for a year of chained days, no further", () => {
    // 2026-03-01's window, then 366 more days joined to it.
    expect(iso(activeWindow(daily("00:00", "24:00"), at("2026-03-01T12:00:00Z")))).toEqual({
      start: "2026-03-01T00:00:00.000Z",
      end: "2027-03-03T00:00:00.000Z",
    });
  });
});
