import { describe, expect, it } from "vitest";
import { canonicalTimeZone, isTimeZone, offsetAt } from "../time-zone.ts";
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

  it("lists the days overlapping a window and finds the day of an instant", () => {
    const days = new LocalDays("2026-03-28T23:30:00.000Z", "2026-03-30T00:00:00.000Z", "Europe/Paris");
    expect(days.dates).toEqual(["2026-03-29", "2026-03-30"]);
    expect(days.starts).toEqual([
      "2026-03-28T23:00:00.000Z",
      "2026-03-29T22:00:00.000Z",
      "2026-03-30T22:00:00.000Z",
    ]);
    expect(days.indexOf("2026-03-29T21:59:59.999Z")).toBe(0);
    expect(days.indexOf("2026-03-29T22:00:00.000Z")).toBe(1);
    // Back to a day before the last one found, then outside on both sides.
    expect(days.indexOf("2026-03-28T23:00:00.000Z")).toBe(0);
    expect(days.indexOf("2026-03-28T22:59:59.999Z")).toBe(-1);
    expect(days.indexOf("2026-03-30T22:00:00.000Z")).toBe(-1);
  });
});
