/**
 * How long the ingest of a group (its planning reads, building its statements) may hold the event
 * loop before it lets other callbacks run. The libSQL binding answers a read synchronously and
 * `await` only yields to microtasks, so a 1,000-event batch (several thousand reads, then as many
 * statements to build) would otherwise keep `/health`, `/state` and every other request waiting
 * until the whole group is done.
 */
export const SLICE_MS = 5;

/** Lets the event loop turn (setImmediate) once `sliceMs` have passed since it last did. */
export class Pacer {
  #since = performance.now();

  constructor(private readonly sliceMs = SLICE_MS) {}

  /** True when the next `pause` will let the event loop turn. */
  due(): boolean {
    return performance.now() - this.#since >= this.sliceMs;
  }

  async pause(): Promise<void> {
    if (!this.due()) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.#since = performance.now();
  }
}
