/** The collector's source of "now", injectable so tests control time. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/**
 * A clock that reads `start` now and then runs at real speed (VERSIONER_CLOCK_START): end-to-end
 * tests set a Friday afternoon for a freeze rule, then restart the process later to advance time.
 */
export function clockStartingAt(start: Date, real: Clock = systemClock): Clock {
  const offset = start.getTime() - real.now().getTime();
  return { now: () => new Date(real.now().getTime() + offset) };
}
