// Local calendar days in an IANA time zone, from the runtime's Intl data (no tz database of our
// own). A local day starts at the first instant whose local date is that day: local midnight, or,
// where a DST change skips midnight, the first instant after the gap.

import { offsetAt } from "../time-zone.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Every UTC offset in the tz database lies within ±15 h, so local midnight of a date lies within
// 15 h of the same wall-clock time read as UTC.
const REACH = 15 * HOUR;

/** The local date (YYYY-MM-DD) of an instant. */
export function localDate(instant: number, timeZone: string): string {
  return new Date(instant + offsetAt(instant, timeZone)).toISOString().slice(0, 10);
}

/** The instant (ms) the local day `date` (YYYY-MM-DD) starts. */
export function startOfLocalDay(date: string, timeZone: string): number {
  const wall = Date.parse(`${date}T00:00:00.000Z`);
  if (timeZone === "UTC") return wall;
  const before = offsetAt(wall - REACH, timeZone);
  const after = offsetAt(wall + REACH, timeZone);
  if (before === after) return wall - before;
  // A change of offset near midnight: the earliest candidate that really is midnight there
  // (a midnight repeated by a fall-back counts from its first occurrence).
  const valid = [before, after]
    .map((offset) => wall - offset)
    .filter((instant) => offsetAt(instant, timeZone) === wall - instant)
    .sort((a, b) => a - b);
  if (valid[0] !== undefined) return valid[0];
  // Midnight falls in a spring-forward gap: the day starts at the change, found to the second.
  let low = Math.floor((wall - REACH) / 1000);
  let high = Math.ceil((wall + REACH) / 1000);
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (offsetAt(middle * 1000, timeZone) === before) low = middle;
    else high = middle;
  }
  return high * 1000;
}

/** The date `days` calendar days after `date` (YYYY-MM-DD). */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00.000Z`) + days * DAY).toISOString().slice(0, 10);
}

/** The first day of the month `months` after the month of `date`. */
export function addMonths(date: string, months: number): string {
  const d = new Date(`${date}T00:00:00.000Z`);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1)).toISOString().slice(0, 10);
}

/** 0 for Monday … 6 for Sunday. */
export function isoWeekday(date: string): number {
  return (new Date(`${date}T00:00:00.000Z`).getUTCDay() + 6) % 7;
}

/**
 * The local days overlapping [from, to) (ISO instants), each with the instant it starts (ms): the
 * day of an instant is then found by comparing numbers, without asking Intl once per instant.
 */
export class LocalDays {
  /** starts[i] is when day i starts (ms); starts[count] is when the last one ends. */
  readonly starts: number[] = [];
  /** Midnight UTC of the first day's local date: day i's date is `firstDate` + i days. */
  private readonly firstDate: number;

  constructor(from: string, to: string, timeZone: string) {
    const end = Date.parse(to);
    const date = localDate(Date.parse(from), timeZone);
    let start = startOfLocalDay(date, timeZone);
    let offset = offsetAt(start, timeZone);
    let wall = Date.parse(`${date}T00:00:00.000Z`);
    this.firstDate = wall;
    while (start < end) {
      this.starts.push(start);
      wall += DAY;
      // The next midnight at the offset of this one: when the zone still has that offset there, no
      // change of offset lies between, and it is the day's start (one Intl call a day, not two).
      const next = offsetAt(wall - offset, timeZone);
      if (next === offset) start = wall - offset;
      else {
        start = startOfLocalDay(new Date(wall).toISOString().slice(0, 10), timeZone);
        offset = offsetAt(start, timeZone);
      }
    }
    this.starts.push(start);
  }

  /** How many local days overlap the window. */
  get count(): number {
    return this.starts.length - 1;
  }

  /** The local date (YYYY-MM-DD) of day i, made only for the days that are asked for. */
  dateOf(i: number): string {
    return new Date(this.firstDate + i * DAY).toISOString().slice(0, 10);
  }
}
