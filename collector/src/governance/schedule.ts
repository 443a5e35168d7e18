// No-deploy window maths in an IANA time zone, on the platform's Intl data (no library: the two
// conversions below are all a window needs, and Intl already ships the tz database).

import { isTimeZone, offsetAt, wallClock } from "../time-zone.ts";

/** A no-deploy window's settings, as stored on a `schedule` rule (docs/governance.md). */
export interface ScheduleSettings {
  recurrence: "once" | "daily" | "weekly" | "monthly";
  timezone: string;
  /** `HH:MM` local time, or an ISO local date-time (`2026-12-24T18:00`) for `once`. */
  start: string;
  end: string;
  /** 0 = Sunday … 6 = Saturday; the days a weekly window starts on. */
  days_of_week?: number[];
  /** 1–31; the day a monthly window starts on (the last day in shorter months). */
  day_of_month?: number;
  /** `YYYY-MM-DD` local dates bounding the days a recurring window starts on. */
  start_date?: string;
  end_date?: string;
  reason?: string;
}

export interface Window {
  start: Date;
  end: Date;
}

interface LocalDate {
  year: number;
  month: number;
  day: number;
}

const DAY_MS = 86_400_000;

/**
 * The instant of a local date and time. A time shown twice (fall-back) is its `first` or `last`
 * occurrence; a time the clocks skip (spring-forward) is the moment they jump. Windows start at
 * the first and end at the last occurrence, so a freeze covers every instant showing a time
 * inside it and never ends early (docs/governance.md, "Daylight-saving time").
 */
export function localToInstant(
  date: LocalDate,
  minutes: number,
  timeZone: string,
  occurrence: "first" | "last" = "first",
): Date {
  const local = Date.UTC(date.year, date.month - 1, date.day, 0, minutes);
  const before = offsetAt(local - DAY_MS, timeZone);
  const after = offsetAt(local + DAY_MS, timeZone);
  const candidates = [local - before, local - after].filter(
    (instant) => instant + offsetAt(instant, timeZone) === local,
  );
  if (candidates.length > 0)
    return new Date(occurrence === "first" ? Math.min(...candidates) : Math.max(...candidates));
  // In the gap: search the minute the offset changes, between the time read with either offset.
  let lo = local - after;
  let hi = local - before;
  while (hi - lo > 60_000) {
    const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
    if (offsetAt(mid, timeZone) === after) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}

/** The local calendar date of an instant in a zone. */
export function localDate(instant: Date, timeZone: string): LocalDate {
  const w = wallClock(instant.getTime(), timeZone);
  return { year: w.year, month: w.month, day: w.day };
}

function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

const pad = (minutes: number) => String(minutes).padStart(4, "0");

function isoDate(date: LocalDate): string {
  return `${String(date.year).padStart(4, "0")}-${String(date.month).padStart(2, "0")}-${String(date.day).padStart(2, "0")}`;
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;
const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)(?::00(?:\.0+)?)?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `HH:MM` as minutes after midnight; `24:00` is the end of the day. */
export function parseTime(value: string): number | undefined {
  const match = TIME.exec(value);
  if (!match) return undefined;
  if (value === "24:00") return 24 * 60;
  return Number(match[1]) * 60 + Number(match[2]);
}

function parseLocalDateTime(value: string): { date: LocalDate; minutes: number } | undefined {
  const match = LOCAL_DATE_TIME.exec(value);
  if (!match) return undefined;
  const date = { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
  if (!isRealDate(date)) return undefined;
  return { date, minutes: Number(match[4]) * 60 + Number(match[5]) };
}

export function parseDate(value: string): LocalDate | undefined {
  const match = DATE.exec(value);
  if (!match) return undefined;
  const date = { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
  return isRealDate(date) ? date : undefined;
}

/** Whether the date exists: Date.UTC rolls a 30th of February or a month 13 over to another day. */
function isRealDate(date: LocalDate): boolean {
  return isoDate(addDays(date, 0)) === isoDate(date);
}

/** Problems with a schedule's settings, as `[field, message]` pairs; empty when valid. */
export function scheduleProblems(settings: ScheduleSettings): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  if (!isTimeZone(settings.timezone)) problems.push(["timezone", "is not an IANA time zone"]);
  if (settings.recurrence === "once") {
    const start = parseLocalDateTime(settings.start);
    const end = parseLocalDateTime(settings.end);
    if (!start) problems.push(["start", "must be a local date-time YYYY-MM-DDTHH:MM for a one-time window"]);
    if (!end) problems.push(["end", "must be a local date-time YYYY-MM-DDTHH:MM for a one-time window"]);
    if (start && end && isoDate(end.date) + pad(end.minutes) <= isoDate(start.date) + pad(start.minutes))
      problems.push(["end", "must be after start"]);
    return problems;
  }
  const start = parseTime(settings.start);
  const end = parseTime(settings.end);
  if (start === undefined || start === 24 * 60) problems.push(["start", "must be a local time HH:MM"]);
  if (end === undefined) problems.push(["end", "must be a local time HH:MM (24:00 for the end of the day)"]);
  if (start !== undefined && start === end) problems.push(["end", "must differ from start"]);
  if (settings.recurrence === "weekly") {
    const days = settings.days_of_week ?? [];
    if (days.length === 0) problems.push(["days_of_week", "a weekly window needs at least one day"]);
  }
  if (settings.recurrence === "monthly" && settings.day_of_month === undefined)
    problems.push(["day_of_month", "a monthly window needs day_of_month"]);
  for (const field of ["start_date", "end_date"] as const) {
    const value = settings[field];
    if (value !== undefined && !parseDate(value)) problems.push([field, "must be a date YYYY-MM-DD"]);
  }
  return problems;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Whether a recurring window starts on this local date. */
function startsOn(settings: ScheduleSettings, date: LocalDate): boolean {
  const iso = isoDate(date);
  if (settings.start_date && iso < settings.start_date) return false;
  if (settings.end_date && iso > settings.end_date) return false;
  if (settings.recurrence === "daily") return true;
  if (settings.recurrence === "weekly") {
    const weekday = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
    return settings.days_of_week?.includes(weekday) ?? false;
  }
  // Monthly: a one-time window never gets here (windowAt handles it apart).
  const wanted = settings.day_of_month ?? 1;
  return date.day === Math.min(wanted, daysInMonth(date.year, date.month));
}

/** The window of a recurring schedule that starts on a local date (end ≤ start: it ends the next day). */
function windowStartingOn(settings: ScheduleSettings, date: LocalDate): Window {
  const startMinutes = parseTime(settings.start) ?? 0;
  const endMinutes = parseTime(settings.end) ?? 0;
  const endDate = endMinutes <= startMinutes ? addDays(date, 1) : date;
  return {
    start: localToInstant(date, startMinutes, settings.timezone, "first"),
    // Stryker disable next-line StringLiteral: localToInstant reads any occurrence but "first" as the last one
    end: localToInstant(endDate, endMinutes, settings.timezone, "last"),
  };
}

// A one-time window's instants never change: converted once per settings object (rules are cached),
// since every conversion asks Intl for several offsets and preflight runs on every deployment event.
const onceWindows = new WeakMap<ScheduleSettings, Window | null>();

function onceWindow(settings: ScheduleSettings): Window | undefined {
  let window = onceWindows.get(settings);
  // Stryker disable next-line ConditionalExpression: converting again on every call gives the same window, only slower
  if (window === undefined) {
    const start = parseLocalDateTime(settings.start);
    const end = parseLocalDateTime(settings.end);
    window =
      start && end
        ? {
            start: localToInstant(start.date, start.minutes, settings.timezone, "first"),
            // Stryker disable next-line StringLiteral: localToInstant reads any occurrence but "first" as the last one
            end: localToInstant(end.date, end.minutes, settings.timezone, "last"),
          }
        : null;
    onceWindows.set(settings, window);
  }
  return window ?? undefined;
}

/** The window of this schedule that contains `at`, if any (start inclusive, end exclusive). */
export function windowAt(settings: ScheduleSettings, at: Date): Window | undefined {
  const t = at.getTime();
  if (settings.recurrence === "once") {
    const window = onceWindow(settings);
    return window && window.start.getTime() <= t && t < window.end.getTime() ? window : undefined;
  }
  // A window lasts at most a day, so only one starting today or yesterday can contain `at`.
  const today = localDate(at, settings.timezone);
  for (const date of [today, addDays(today, -1)]) {
    if (!startsOn(settings, date)) continue;
    const window = windowStartingOn(settings, date);
    if (window.start.getTime() <= t && t < window.end.getTime()) return window;
  }
  return undefined;
}

/**
 * The window containing `at`, extended over windows that begin the moment it ends (a weekly
 * Friday-to-Saturday freeze and a Saturday one read as one): `retry_after` is then the first
 * moment a deployment is allowed again.
 */
export function activeWindow(settings: ScheduleSettings, at: Date): Window | undefined {
  const first = windowAt(settings, at);
  if (!first) return undefined;
  let end = first.end;
  // Bounded: a daily 00:00–24:00 window never ends; a year of chained windows is "not soon".
  for (let i = 0; i < 366; i++) {
    const next = windowAt(settings, end);
    if (!next) break;
    end = next.end;
  }
  return { start: first.start, end };
}
