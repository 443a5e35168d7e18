import { describe, expect, it } from "vitest";
import { canonicalTimeZone, isTimeZone, offsetAt, WALL_CLOCK_FORMAT, wallClock } from "../time-zone.ts";
import { LocalDays, localDate, startOfLocalDay } from "./calendar.ts";

const iso = (ms: number) => new Date(ms).toISOString();

// Expected instants worked out by hand from each zone's rules (offsets in the comments).
describe("local days in an IANA time zone", () => {
  it("knows IANA names and rejects others", () => {
    expect(["UTC", "Europe/Paris", "America/Sao_Paulo", "Asia/Kolkata"].every(isTimeZone)).toBe(true);
    expect(isTimeZone("Mars/Olympus_Mons")).toBe(false);
    expect(isTimeZone("")).toBe(false);
    expect(canonicalTimeZone("europe/paris")).toBe("Europe/Paris");
    expect(canonicalTimeZone("Mars/Olympus_Mons")).toBeNull();
  });

  // wallClock reads the formatter's plain text and keeps formatToParts for what that text cannot
  // hold (years before 1000 or of another era): both must give the zone's own fields.
  it.each([
    "2026-03-29T00:59:59Z",
    "2026-03-29T01:00:00Z",
    "2026-12-31T23:59:59.999Z",
    "0999-06-15T12:00:00Z",
    "-000100-01-01T00:00:00Z",
  ])("wallClock at %s matches the formatter's parts", (at) => {
    for (const zone of ["Europe/Paris", "Asia/Kathmandu", "Pacific/Kiritimati", "America/St_Johns"]) {
      const parts = new Intl.DateTimeFormat("en-US", {
        ...WALL_CLOCK_FORMAT,
        timeZone: zone,
        era: "short",
      }).formatToParts(Date.parse(at));
      const field = (type: string) => Number(parts.find((part) => part.type === type)?.value);
      const year =
        parts.find((part) => part.type === "era")?.value === "BC" ? 1 - field("year") : field("year");
      const expected = {
        year,
        month: field("month"),
        day: field("day"),
        hour: field("hour"),
        minute: field("minute"),
        second: field("second"),
      };
      expect({ ...wallClock(Date.parse(at), zone), year: expected.year }, `${zone} ${at}`).toEqual(expected);
      if (year > 0) expect(wallClock(Date.parse(at), zone).year, `${zone} ${at}`).toBe(year);
    }
  });

  it("Europe/Paris, spring forward on 2026-03-29 (02:00 CET → 03:00 CEST): a 23-hour day", () => {
    expect(offsetAt(Date.parse("2026-03-29T00:59:59Z"), "Europe/Paris")).toBe(3_600_000);
    expect(offsetAt(Date.parse("2026-03-29T01:00:00Z"), "Europe/Paris")).toBe(7_200_000);
    // 00:00 CET (+01:00) and the next midnight in CEST (+02:00).
    expect(iso(startOfLocalDay("2026-03-29", "Europe/Paris"))).toBe("2026-03-28T23:00:00.000Z");
    expect(iso(startOfLocalDay("2026-03-30", "Europe/Paris"))).toBe("2026-03-29T22:00:00.000Z");
    expect(localDate(Date.parse("2026-03-29T21:59:59.999Z"), "Europe/Paris")).toBe("2026-03-29");
    expect(localDate(Date.parse("2026-03-29T22:00:00.000Z"), "Europe/Paris")).toBe("2026-03-30");
  });

  it("America/New_York, fall back on 2026-11-01 (02:00 EDT → 01:00 EST): a 25-hour day", () => {
    expect(iso(startOfLocalDay("2026-11-01", "America/New_York"))).toBe("2026-11-01T04:00:00.000Z");
    expect(iso(startOfLocalDay("2026-11-02", "America/New_York"))).toBe("2026-11-02T05:00:00.000Z");
  });

  it("America/Sao_Paulo 2018-11-04: midnight skipped (00:00 −03 → 01:00 −02), the day starts at the change", () => {
    expect(iso(startOfLocalDay("2018-11-04", "America/Sao_Paulo"))).toBe("2018-11-04T03:00:00.000Z");
    expect(iso(startOfLocalDay("2018-11-05", "America/Sao_Paulo"))).toBe("2018-11-05T02:00:00.000Z");
  });

  it("America/Sao_Paulo 2019-02-17: fall back at midnight (00:00 −02 → 23:00 −03 the day before)", () => {
    // 2019-02-16 runs 25 hours, from 00:00 −02 to the only 00:00 of the 17th, at −03.
    expect(iso(startOfLocalDay("2019-02-16", "America/Sao_Paulo"))).toBe("2019-02-16T02:00:00.000Z");
    expect(iso(startOfLocalDay("2019-02-17", "America/Sao_Paulo"))).toBe("2019-02-17T03:00:00.000Z");
    expect(localDate(Date.parse("2019-02-17T02:30:00Z"), "America/Sao_Paulo")).toBe("2019-02-16");
  });

  it("Asia/Kolkata (+05:30) and UTC", () => {
    expect(iso(startOfLocalDay("2026-03-02", "Asia/Kolkata"))).toBe("2026-03-01T18:30:00.000Z");
    expect(iso(startOfLocalDay("2026-03-02", "UTC"))).toBe("2026-03-02T00:00:00.000Z");
  });

  it("lists the days overlapping a window with the instant each starts", () => {
    const days = new LocalDays("2026-03-28T23:30:00.000Z", "2026-03-30T00:00:00.000Z", "Europe/Paris");
    expect(days.count).toBe(2);
    expect([days.dateOf(0), days.dateOf(1)]).toEqual(["2026-03-29", "2026-03-30"]);
    expect(days.starts.map(iso)).toEqual([
      "2026-03-28T23:00:00.000Z",
      "2026-03-29T22:00:00.000Z",
      "2026-03-30T22:00:00.000Z",
    ]);
  });

  // LocalDays asks the zone once a day and falls back to startOfLocalDay where the offset changed:
  // over years with every kind of change it must give what startOfLocalDay gives day by day.
  it.each([
    ["Europe/Paris", "2025-12-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z"],
    ["America/Sao_Paulo", "2018-01-01T00:00:00.000Z", "2019-12-31T00:00:00.000Z"],
    ["Australia/Lord_Howe", "2025-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z"],
    ["Pacific/Apia", "2011-12-01T00:00:00.000Z", "2012-01-15T00:00:00.000Z"],
    ["Asia/Kolkata", "2026-01-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"],
    ["UTC", "2024-02-27T12:00:00.000Z", "2024-03-02T00:00:00.000Z"],
  ])("%s: every day starts where startOfLocalDay says", (zone, from, to) => {
    const days = new LocalDays(from, to, zone);
    const dates = Array.from({ length: days.count }, (_, i) => days.dateOf(i));
    expect(dates[0]).toBe(localDate(Date.parse(from), zone));
    const expected = dates.map((date) => iso(startOfLocalDay(date, zone)));
    expect(days.starts.slice(0, -1).map(iso)).toEqual(expected);
    // Each date follows the one before, and the last start is the end of the last day, at or after `to`.
    for (let i = 1; i < dates.length; i++)
      expect(Date.parse(dates[i] as string) - Date.parse(dates[i - 1] as string)).toBe(86_400_000);
    expect(days.starts.at(-1)).toBeGreaterThanOrEqual(Date.parse(to));
    expect(days.starts.at(-2)).toBeLessThan(Date.parse(to));
  });
});
