/** Rendered matrices (and the team list) kept per database; a few filter combinations are in use at a time. */
const MAX_ENTRIES = 32;

/**
 * The dashboard's rendered matrix sections, least recently used out first. Callers build the key
 * from the state generation (bumped by every change the matrix shows, see state-service.ts), the
 * filters and the minute (relative times are minute-grained), so a hit is never stale data.
 * With 200 products × 8 environments rendering costs several times a `GET /state`.
 * One per DatabaseRuntime (database-runtime.ts).
 */
export class MatrixCache {
  readonly #entries = new Map<string, string>();

  /** What `render` gives for `key` (the matrix section's HTML), rendering only on a miss. */
  async cachedRender(key: string, render: () => Promise<string>): Promise<string> {
    const cache = this.#entries;
    const hit = cache.get(key);
    if (hit !== undefined) {
      // Map keeps insertion order: re-inserting makes this the most recently used entry.
      cache.delete(key);
      cache.set(key, hit);
      return hit;
    }
    const html = await render();
    cache.set(key, html);
    if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
    return html;
  }
}
