// Time-zone primitives from the runtime's Intl data (no tz database of our own), shared by the
// schedule windows of deployment rules and the local-day buckets of DORA metrics.

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The en-US fields wallClock reads (24-hour clock, numbers only). */
export const WALL_CLOCK_FORMAT: Intl.DateTimeFormatOptions = {
  hourCycle: "h23",
  year: "numeric",
  month: "numeric",
  day: "numeric",
  hour: "numeric",
  minute: "numeric",
  second: "numeric",
};

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", { ...WALL_CLOCK_FORMAT, timeZone });
    formatters.set(timeZone, format);
  }
  return format;
}

// Names already in the runtime's spelling: at most the runtime's list of zones, whatever requests send.
const canonicalNames = new Set<string>();

/**
 * The runtime's own spelling of a time zone name it knows (`europe/paris` → `Europe/Paris`), or
 * null. Checking a name never adds to the formatter cache, so request input cannot grow it; only
 * names already in canonical spelling are remembered (an Intl.DateTimeFormat costs ~10 µs).
 */
export function canonicalTimeZone(timeZone: string): string | null {
  if (canonicalNames.has(timeZone)) return timeZone;
  try {
    const canonical = new Intl.DateTimeFormat("en-US", { timeZone }).resolvedOptions().timeZone;
    if (canonical === timeZone) canonicalNames.add(timeZone);
    return canonical;
  } catch {
    return null;
  }
}

/** True when the platform knows the zone (`Europe/Berlin`, `UTC`, …). */
export function isTimeZone(timeZone: string): boolean {
  return canonicalTimeZone(timeZone) !== null;
}

// "M/D/YYYY, HH:MM:SS": what the en-US formatter above gives for years 1 to 9999 of the common era.
const NUMERIC_WALL_CLOCK = /^(\d{1,2})\/(\d{1,2})\/(\d{4}), (\d{2}):(\d{2}):(\d{2})$/;

/** The wall-clock fields of an instant in a zone. */
export function wallClock(instant: number, timeZone: string) {
  // format() and one match cost a third of formatToParts(), which DORA's local days call per day.
  const match = NUMERIC_WALL_CLOCK.exec(formatter(timeZone).format(instant));
  if (match) {
    return {
      year: Number(match[3]),
      month: Number(match[1]),
      day: Number(match[2]),
      hour: Number(match[4]),
      minute: Number(match[5]),
      second: Number(match[6]),
    };
  }
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(instant)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** The zone's UTC offset in ms at an instant (local = instant + offset); offsets are whole seconds. */
export function offsetAt(instant: number, timeZone: string): number {
  if (timeZone === "UTC") return 0;
  const w = wallClock(instant, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(instant / 1000) * 1000;
}
