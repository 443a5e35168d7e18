import { describe, expect, it } from "vitest";
import {
  activeWindow,
  localToInstant,
  type ScheduleSettings,
  scheduleProblems,
  windowAt,
} from "./schedule.ts";

const at = (iso: string) => new Date(iso);
const day = (iso: string) => {
  const [year, month, dayOfMonth] = iso.split("-").map(Number);
  return { year: year ?? 0, month: month ?? 0, day: dayOfMonth ?? 0 };
};
const hm = (time: string) => {
  const [h, m] = time.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};
const instant = (date: string, time: string, zone: string, occurrence?: "first" | "last") =>
  localToInstant(day(date), hm(time), zone, occurrence).toISOString();

const daily = (timezone: string, start: string, end: string): ScheduleSettings => ({
  recurrence: "daily",
  timezone,
  start,
  end,
});

describe("local time → instant", () => {
  it("uses the zone's offset on ordinary days, winter and summer", () => {
    expect(instant("2026-01-15", "12:00", "Europe/Berlin")).toBe("2026-01-15T11:00:00.000Z");
    expect(instant("2026-07-15", "12:00", "Europe/Berlin")).toBe("2026-07-15T10:00:00.000Z");
    expect(instant("2026-07-15", "12:00", "America/New_York")).toBe("2026-07-15T16:00:00.000Z");
    expect(instant("2026-07-15", "12:00", "UTC")).toBe("2026-07-15T12:00:00.000Z");
  });

  it("maps a time skipped by spring-forward to the moment the clocks jump", () => {
    // Berlin 2026-03-29: 02:00 CET → 03:00 CEST at 01:00Z; New York 2026-03-08: 02:00 EST → 03:00 EDT at 07:00Z.
    expect(instant("2026-03-29", "02:30", "Europe/Berlin")).toBe("2026-03-29T01:00:00.000Z");
    expect(instant("2026-03-29", "02:30", "Europe/Berlin", "last")).toBe("2026-03-29T01:00:00.000Z");
    expect(instant("2026-03-29", "03:00", "Europe/Berlin")).toBe("2026-03-29T01:00:00.000Z");
    expect(instant("2026-03-08", "02:59", "America/New_York")).toBe("2026-03-08T07:00:00.000Z");
    expect(instant("2026-03-08", "01:59", "America/New_York")).toBe("2026-03-08T06:59:00.000Z");
  });

  it("picks the first or last occurrence of a time repeated by fall-back", () => {
    // Berlin 2026-10-25: 03:00 CEST → 02:00 CET at 01:00Z; New York 2026-11-01: 02:00 EDT → 01:00 EST at 06:00Z.
    expect(instant("2026-10-25", "02:30", "Europe/Berlin", "first")).toBe("2026-10-25T00:30:00.000Z");
    expect(instant("2026-10-25", "02:30", "Europe/Berlin", "last")).toBe("2026-10-25T01:30:00.000Z");
    expect(instant("2026-11-01", "01:30", "America/New_York", "first")).toBe("2026-11-01T05:30:00.000Z");
    expect(instant("2026-11-01", "01:30", "America/New_York", "last")).toBe("2026-11-01T06:30:00.000Z");
  });
});

describe("recurring windows across daylight-saving changes", () => {
  it("a daily 01:00–04:00 Berlin window lasts two real hours on the spring-forward night", () => {
    const settings = daily("Europe/Berlin", "01:00", "04:00");
    const window = windowAt(settings, at("2026-03-29T00:30:00Z"));
    expect(window?.start.toISOString()).toBe("2026-03-29T00:00:00.000Z");
    expect(window?.end.toISOString()).toBe("2026-03-29T02:00:00.000Z");
    expect(windowAt(settings, at("2026-03-29T01:59:59Z"))).toBeDefined();
    expect(windowAt(settings, at("2026-03-29T02:00:00Z"))).toBeUndefined();
  });

  it("a daily 01:00–04:00 Berlin window lasts four real hours on the fall-back night", () => {
    const settings = daily("Europe/Berlin", "01:00", "04:00");
    const window = windowAt(settings, at("2026-10-25T02:30:00Z"));
    expect(window?.start.toISOString()).toBe("2026-10-24T23:00:00.000Z");
    expect(window?.end.toISOString()).toBe("2026-10-25T03:00:00.000Z");
    expect(windowAt(settings, at("2026-10-25T03:00:00Z"))).toBeUndefined();
  });

  it("a window inside the skipped hour covers only the times that exist", () => {
    const settings = daily("Europe/Berlin", "02:30", "03:30");
    const window = windowAt(settings, at("2026-03-29T01:10:00Z"));
    expect(window?.start.toISOString()).toBe("2026-03-29T01:00:00.000Z");
    expect(window?.end.toISOString()).toBe("2026-03-29T01:30:00.000Z");
    expect(windowAt(settings, at("2026-03-29T00:59:00Z"))).toBeUndefined();
  });

  it("a window on the repeated hour covers both occurrences", () => {
    const settings = daily("America/New_York", "01:00", "01:30");
    expect(windowAt(settings, at("2026-11-01T05:10:00Z"))?.end.toISOString()).toBe(
      "2026-11-01T06:30:00.000Z",
    );
    // 01:10 EST, the second 01:10 of the night: still inside.
    expect(windowAt(settings, at("2026-11-01T06:10:00Z"))).toBeDefined();
    expect(windowAt(settings, at("2026-11-01T06:30:00Z"))).toBeUndefined();
  });

  it("a New York overnight window keeps local times across spring-forward", () => {
    const settings = daily("America/New_York", "22:00", "06:00");
    // 22:00 EST on the 7th is 03:00Z on the 8th; 06:00 EDT on the 8th is 10:00Z.
    const window = windowAt(settings, at("2026-03-08T08:00:00Z"));
    expect(window?.start.toISOString()).toBe("2026-03-08T03:00:00.000Z");
    expect(window?.end.toISOString()).toBe("2026-03-08T10:00:00.000Z");
  });
});

describe("recurrences", () => {
  it("weekly: a Friday freeze in Berlin, retry_after the Saturday midnight", () => {
    const friday: ScheduleSettings = {
      recurrence: "weekly",
      timezone: "Europe/Berlin",
      start: "00:00",
      end: "24:00",
      days_of_week: [5],
    };
    expect(activeWindow(friday, at("2026-03-27T15:00:00Z"))?.end.toISOString()).toBe(
      "2026-03-27T23:00:00.000Z",
    );
    // Thursday 23:30 UTC is already Friday 00:30 in Berlin.
    expect(activeWindow(friday, at("2026-03-26T23:30:00Z"))).toBeDefined();
    expect(activeWindow(friday, at("2026-03-26T22:59:00Z"))).toBeUndefined();
    expect(activeWindow(friday, at("2026-03-28T10:00:00Z"))).toBeUndefined();
  });

  it("weekly: windows that follow each other end together (Friday and Saturday)", () => {
    const weekend: ScheduleSettings = {
      recurrence: "weekly",
      timezone: "Europe/Berlin",
      start: "00:00",
      end: "24:00",
      days_of_week: [5, 6],
    };
    // Sunday 00:00 CET, before that night's 02:00 jump.
    expect(activeWindow(weekend, at("2026-03-27T15:00:00Z"))?.end.toISOString()).toBe(
      "2026-03-28T23:00:00.000Z",
    );
  });

  it("monthly: the day of month, clamped to the last day of shorter months", () => {
    const endOfMonth: ScheduleSettings = {
      recurrence: "monthly",
      timezone: "UTC",
      start: "18:00",
      end: "23:00",
      day_of_month: 31,
    };
    expect(windowAt(endOfMonth, at("2026-02-28T19:00:00Z"))).toBeDefined();
    expect(windowAt(endOfMonth, at("2026-03-30T19:00:00Z"))).toBeUndefined();
    expect(windowAt(endOfMonth, at("2026-03-31T19:00:00Z"))?.end.toISOString()).toBe(
      "2026-03-31T23:00:00.000Z",
    );
  });

  it("once: local date-times in the zone, end exclusive", () => {
    const once: ScheduleSettings = {
      recurrence: "once",
      timezone: "America/New_York",
      start: "2026-12-24T18:00",
      end: "2026-12-27T08:00",
    };
    expect(windowAt(once, at("2026-12-24T22:59:00Z"))).toBeUndefined();
    expect(windowAt(once, at("2026-12-24T23:00:00Z"))?.end.toISOString()).toBe("2026-12-27T13:00:00.000Z");
    expect(windowAt(once, at("2026-12-27T13:00:00Z"))).toBeUndefined();
  });

  it("start_date and end_date bound the days a recurring window starts on", () => {
    const bounded: ScheduleSettings = {
      ...daily("UTC", "09:00", "10:00"),
      start_date: "2026-06-01",
      end_date: "2026-06-02",
    };
    expect(windowAt(bounded, at("2026-05-31T09:30:00Z"))).toBeUndefined();
    expect(windowAt(bounded, at("2026-06-01T09:30:00Z"))).toBeDefined();
    expect(windowAt(bounded, at("2026-06-02T09:30:00Z"))).toBeDefined();
    expect(windowAt(bounded, at("2026-06-03T09:30:00Z"))).toBeUndefined();
  });

  it("an overnight window started yesterday still holds after midnight", () => {
    const night = { ...daily("UTC", "22:00", "02:00"), start_date: "2026-06-01", end_date: "2026-06-01" };
    expect(windowAt(night, at("2026-06-02T01:00:00Z"))?.end.toISOString()).toBe("2026-06-02T02:00:00.000Z");
  });
});

describe("settings problems", () => {
  it("names each bad field", () => {
    expect(scheduleProblems({ ...daily("Mars/Olympus", "25:00", "10:00") }).map(([f]) => f)).toEqual([
      "timezone",
      "start",
    ]);
    expect(scheduleProblems({ recurrence: "weekly", timezone: "UTC", start: "10:00", end: "10:00" })).toEqual(
      [
        ["end", "must differ from start"],
        ["days_of_week", "a weekly window needs at least one day"],
      ],
    );
    expect(
      scheduleProblems({
        recurrence: "once",
        timezone: "UTC",
        start: "2026-02-30T10:00",
        end: "2026-01-01T10:00",
      }),
    ).toEqual([["start", "must be a local date-time YYYY-MM-DDTHH:MM for a one-time window"]]);
    expect(
      scheduleProblems({
        recurrence: "once",
        timezone: "UTC",
        start: "2026-03-01T10:00",
        end: "2026-03-01T09:00",
      }),
    ).toEqual([["end", "must be after start"]]);
    expect(scheduleProblems(daily("Europe/Berlin", "18:00", "24:00"))).toEqual([]);
  });
});
