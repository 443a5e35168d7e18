/**
 * A FIFO mutex. Ingest reads what exists, plans its writes and applies them in one batch;
 * holding this lock across the three keeps the plan valid within the process. Across
 * processes, unique indexes and retries take over (see ingest-service.ts).
 */
export class WriteLock {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
