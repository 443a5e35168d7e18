/**
 * A FIFO mutex. Services read what exists, plan their writes and apply them in one batch;
 * holding this lock across the three keeps the plan valid within the process.
 *
 * Across processes (several collectors on one database) unique indexes take over: when another
 * process wrote the same row between our read and our write, the batch fails on a unique index
 * and has written nothing, so the task runs again and its reads now see the other row (a name
 * taken becomes the 409 it would have been one request later, not a 500).
 */
export class WriteLock {
  #tail: Promise<unknown> = Promise.resolve();

  /** `refresh` runs before a lost race is planned again (an embedded replica pulls the winner's rows). */
  constructor(private readonly refresh: () => Promise<unknown> = async () => {}) {}

  run<T>(task: () => Promise<T>): Promise<T> {
    const guarded = () => retryLostRaces(task, this.refresh);
    const result = this.#tail.then(guarded, guarded);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

/** How often a task that lost a race to another process is planned again before its error stands. */
const RACE_ATTEMPTS = 3;

async function retryLostRaces<T>(task: () => Promise<T>, refresh: () => Promise<unknown>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await task();
    } catch (error) {
      if (attempt >= RACE_ATTEMPTS || !isUniqueViolation(error)) throw error;
      await refresh();
    }
  }
}

/** SQLite's unique-index failure, as libSQL reports it for a file or through a server. */
export function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 4; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY") return true;
    if (typeof message === "string" && /UNIQUE constraint failed/.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
