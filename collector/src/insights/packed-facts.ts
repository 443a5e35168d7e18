// The DORA read's packed rows (doraFactsQuery: one row per product × environment, each column
// packed by group_concat) read back as columns without a string or an object per fact.

import type { FactColumns } from "./dora.ts";

const COMMA = ",".charCodeAt(0);
const SPACE = " ".charCodeAt(0);
const DASH = "-".charCodeAt(0);
const DOT = ".".charCodeAt(0);
const COLON = ":".charCodeAt(0);
const LETTER_T = "T".charCodeAt(0);
const LETTER_Z = "Z".charCodeAt(0);
const DIGIT_0 = "0".charCodeAt(0);
const DIGIT_9 = "9".charCodeAt(0);

const ISO_LENGTH = "2025-01-31T09:05:00.000Z".length;
const DATE_LENGTH = "2025-01-31".length;

/** One packed row: each fact's `packed` column (see the schema), joined with commas. */
export interface PackedFacts {
  product_id: string;
  environment_id: string;
  ids: string | null;
  count: number;
  facts: string;
}

/**
 * A packed row's facts as columns, in the row's order, without a string per fact. Each fact is
 * `<finished_at> <flags digit><lead_ms>`: the time is read by position when spelled as
 * toISOString spells it (as ingest writes it), through Date.parse otherwise.
 */
export function unpackFacts(row: PackedFacts): FactColumns {
  const { facts, count } = row;
  const finished = new Float64Array(count);
  const flags = new Uint8Array(count);
  const leads = new Float64Array(count);
  // The facts of one day share their date: it is read once per day, then only the time of day.
  let date = "\u0000";
  let midnight = Number.NaN;
  let start = 0;
  for (let index = 0; index < count; index++) {
    let space = start + ISO_LENGTH;
    let at = Number.NaN;
    if (facts.charCodeAt(space) === SPACE) {
      if (!facts.startsWith(date, start)) {
        date = facts.slice(start, start + DATE_LENGTH);
        midnight = dateAt(facts, start);
      }
      at = midnight + timeOfDayAt(facts, start + DATE_LENGTH);
    }
    if (Number.isNaN(at)) {
      space = facts.indexOf(" ", start);
      at = Date.parse(facts.slice(start, space));
    }
    finished[index] = at;
    flags[index] = facts.charCodeAt(space + 1) - DIGIT_0;
    // lead_ms: digits up to the next comma; none is no sample.
    let end = space + 2;
    let lead = 0;
    for (let code = facts.charCodeAt(end); code >= DIGIT_0 && code <= DIGIT_9; code = facts.charCodeAt(++end))
      lead = lead * 10 + code - DIGIT_0;
    if (end < facts.length && facts.charCodeAt(end) !== COMMA) {
      // Not a whole number of milliseconds (the column is an integer; never written by ingest).
      end = facts.indexOf(",", end);
      if (end < 0) end = facts.length;
      lead = Number(facts.slice(space + 2, end));
    }
    leads[index] = end === space + 2 ? Number.NaN : lead / 1000;
    start = end + 1;
  }
  return { product_id: row.product_id, environment_id: row.environment_id, finished, flags, leads };
}

/** Midnight (UTC) of the date written at `at` as YYYY-MM-DD, or NaN when it is not written so. */
function dateAt(text: string, at: number): number {
  if (text.charCodeAt(at + 4) !== DASH || text.charCodeAt(at + 7) !== DASH) return Number.NaN;
  const year = digitsAt(text, at, 4);
  const month = digitsAt(text, at + 5, 2);
  const day = digitsAt(text, at + 8, 2);
  // Fields out of range would roll over in Date.UTC (which also reads years 0–99 as 1900–1999):
  // leave them to Date.parse, which refuses them. NaN fails every comparison.
  if (!(year >= 100 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)))
    return Number.NaN;
  return Date.UTC(year, month - 1, day);
}

/** The ms since midnight written at `at` as THH:MM:SS.sssZ, or NaN when it is not written so. */
function timeOfDayAt(text: string, at: number): number {
  if (
    text.charCodeAt(at) !== LETTER_T ||
    text.charCodeAt(at + 3) !== COLON ||
    text.charCodeAt(at + 6) !== COLON ||
    text.charCodeAt(at + 9) !== DOT ||
    text.charCodeAt(at + 13) !== LETTER_Z
  )
    return Number.NaN;
  const hour = digitsAt(text, at + 1, 2);
  const minute = digitsAt(text, at + 4, 2);
  const second = digitsAt(text, at + 7, 2);
  if (!(hour <= 23 && minute <= 59 && second <= 59)) return Number.NaN;
  return ((hour * 60 + minute) * 60 + second) * 1000 + digitsAt(text, at + 10, 3);
}

/** The number written with `length` digits at `at`; NaN when one is not a digit. */
function digitsAt(text: string, at: number, length: number): number {
  let value = 0;
  for (let i = at; i < at + length; i++) {
    const digit = text.charCodeAt(i) - DIGIT_0;
    if (digit < 0 || digit > 9) return Number.NaN;
    value = value * 10 + digit;
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}
