// Time-zone primitives from the runtime's Intl data (no tz database of our own), shared by the
// schedule windows of deployment rules and the local-day buckets of DORA metrics.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
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

/** The wall-clock fields of an instant in a zone. */
export function wallClock(instant: number, timeZone: string) {
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
