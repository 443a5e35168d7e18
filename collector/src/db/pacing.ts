/**
 * How long the ingest of a group (its planning reads, building its statements) may hold the event
 * loop before it lets other callbacks run. The libSQL binding answers a read synchronously and
 * `await` only yields to microtasks, so a 1,000-event batch (several thousand reads, then as many
 * statements to build) would otherwise keep `/health`, `/state` and every other request waiting
 * until the whole group is done. 2 ms rather than 5: a health check on a new connection needs
 * several turns of the loop, each behind a slice, and since the write thread runs the group's
 * statements while it is planned, planning holds the loop most of a batch's time (the bench's
 * `/health` p50 during batches: 12–14 ms with 5 ms slices, 6–8 ms with 2 ms, for the same events/s).
 */
export const SLICE_MS = 2;

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
