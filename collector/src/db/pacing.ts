/**
 * How long the ingest of a group (its planning reads, building its statements) may hold the event
 * loop before it lets other callbacks run. The libSQL binding answers a read synchronously and
 * `await` only yields to microtasks, so a 1,000-event batch (several thousand reads, then as many
 * statements to build) would otherwise keep `/health`, `/state` and every other request waiting
 * until the whole group is done. A health check on a new connection needs several turns of the
 * loop, each behind a slice, and since the write thread runs the group's statements while it is
 * planned, planning holds the loop most of a batch's time. 5 ms gave the bench's `/health` p50
 * during batches 12–14 ms and 2 ms 6–8 ms; measured later, four pairs of runs, 2 ms gave 4.7–5.9 ms
 * and 1 ms 3.2–4.0 (`/state`: 7.2–8.7 against 5.8–5.9), for the same events/s.
 */
export const SLICE_MS = 1;

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
