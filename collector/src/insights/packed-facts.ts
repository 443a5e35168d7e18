// The DORA read's packed rows (doraFactsQuery: one row per product × environment, each column
// packed by group_concat) read back as columns without a string or an object per fact.

import type { FactColumns } from "./dora.ts";

const COMMA = ",".charCodeAt(0);
const DASH = "-".charCodeAt(0);
const DOT = ".".charCodeAt(0);
const COLON = ":".charCodeAt(0);
const LETTER_T = "T".charCodeAt(0);
const LETTER_Z = "Z".charCodeAt(0);
const DIGIT_0 = "0".charCodeAt(0);
const DIGIT_9 = "9".charCodeAt(0);

const ISO_LENGTH = "2025-01-31T09:05:00.000Z".length;

/** One packed row: ids, finished_at and lead_ms joined with commas, one flags digit per fact. */
export interface PackedFacts {
  product_id: string;
  environment_id: string;
  ids: string | null;
  finished: string;
  flags: string;
  leads: string;
}

/** A packed row's facts as columns, in the row's order. */
export function unpackFacts(row: PackedFacts): FactColumns {
  // One flags digit per fact.
  const count = row.flags.length;
  const flags = new Uint8Array(count);
  for (let i = 0; i < count; i++) flags[i] = row.flags.charCodeAt(i) - DIGIT_0;
  return {
    product_id: row.product_id,
    environment_id: row.environment_id,
    finished: parseInstants(row.finished, count),
    flags,
    leads: parseLeads(row.leads, count),
  };
}

/**
 * ISO instants packed with commas as ms since the epoch, without a string each. Ingest writes them
 * as toISOString does (`2025-01-31T09:05:00.000Z`), read by position; any other spelling goes
 * through Date.parse.
 */
export function parseInstants(packed: string, count: number): Float64Array {
  const instants = new Float64Array(count);
  let start = 0;
  for (let index = 0; index < count; index++) {
    let end = start + ISO_LENGTH;
    let value = end === packed.length || packed.charCodeAt(end) === COMMA ? isoAt(packed, start) : Number.NaN;
    if (Number.isNaN(value)) {
      end = packed.indexOf(",", start);
      if (end < 0) end = packed.length;
      value = Date.parse(packed.slice(start, end));
    }
    instants[index] = value;
    start = end + 1;
  }
  return instants;
}

/** The instant written at `at` as YYYY-MM-DDTHH:MM:SS.sssZ, or NaN when it is not written so. */
function isoAt(text: string, at: number): number {
  if (
    text.charCodeAt(at + 4) !== DASH ||
    text.charCodeAt(at + 7) !== DASH ||
    text.charCodeAt(at + 10) !== LETTER_T ||
    text.charCodeAt(at + 13) !== COLON ||
    text.charCodeAt(at + 16) !== COLON ||
    text.charCodeAt(at + 19) !== DOT ||
    text.charCodeAt(at + 23) !== LETTER_Z
  )
    return Number.NaN;
  const year = digitsAt(text, at, 4);
  const month = digitsAt(text, at + 5, 2);
  const day = digitsAt(text, at + 8, 2);
  const hour = digitsAt(text, at + 11, 2);
  const minute = digitsAt(text, at + 14, 2);
  const second = digitsAt(text, at + 17, 2);
  const ms = digitsAt(text, at + 20, 3);
  // Fields out of range would roll over in Date.UTC (which also reads years 0–99 as 1900–1999):
  // leave them to Date.parse, which refuses them. NaN fails every comparison.
  if (!(year >= 100 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)))
    return Number.NaN;
  if (!(hour <= 23 && minute <= 59 && second <= 59 && ms >= 0)) return Number.NaN;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
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

/** lead_ms values packed with commas (empty for none) as seconds, NaN for none, without a string each. */
function parseLeads(packed: string, count: number): Float64Array {
  const seconds = new Float64Array(count).fill(Number.NaN);
  let index = 0;
  let start = 0;
  let value = 0;
  for (let at = 0; at <= packed.length; at++) {
    const code = at < packed.length ? packed.charCodeAt(at) : COMMA;
    if (code === COMMA) {
      if (at > start) seconds[index] = value / 1000;
      index += 1;
      start = at + 1;
      value = 0;
    } else if (code >= DIGIT_0 && code <= DIGIT_9) {
      value = value * 10 + code - DIGIT_0;
    } else {
      // Not a whole number of milliseconds (the column is an integer; never written by ingest).
      const end = packed.indexOf(",", at);
      value = Number(packed.slice(start, end < 0 ? undefined : end));
      at = (end < 0 ? packed.length : end) - 1;
    }
  }
  return seconds;
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}
