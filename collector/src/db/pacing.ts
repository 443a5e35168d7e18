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

  async pause(): Promise<void> {
    if (performance.now() - this.#since < this.sliceMs) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.#since = performance.now();
  }
}

type Query = { all(...args: never[]): Promise<unknown> };

/** `queries` whose `all` first gives the event loop its turn when the slice is spent. */
export type Paced<T extends Record<string, Query>> = { [K in keyof T]: Pick<T[K], "all"> };

export function paced<T extends Record<string, Query>>(queries: T, pacer: Pacer): Paced<T> {
  const wrapped: Record<string, Query> = {};
  for (const [name, query] of Object.entries(queries)) {
    wrapped[name] = {
      all: async (...args: never[]) => {
        await pacer.pause();
        return query.all(...args);
      },
    };
  }
  return wrapped as Paced<T>;
}
