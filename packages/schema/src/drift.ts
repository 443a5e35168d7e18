/**
 * Drift: a product runs different versions across the environments shown. Precisely: at least two
 * of the given cells have a current version (a completed deployment), and those versions are not
 * all equal. Cells without one (never deployed there, or only unfinished or failed attempts) do not
 * count, so one deployed environment alone is never drift.
 */
export function hasDrift(cells: ReadonlyArray<{ current: { version: string } | null }>): boolean {
  let seen: string | undefined;
  for (const { current } of cells) {
    if (!current) continue;
    if (seen === undefined) seen = current.version;
    else if (current.version !== seen) return true;
  }
  return false;
}
