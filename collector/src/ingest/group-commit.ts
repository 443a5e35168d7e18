import type { Database } from "../db/client.ts";
import { plainStatement } from "../db/compiled-writes.ts";
import { configCache } from "../db/config-generation.ts";
import { Pacer, SLICE_MS } from "../db/pacing.ts";
import { isUniqueViolation } from "../db/write-lock.ts";
import { type WriteWorker, writeWorkerFor } from "../db/write-worker.ts";
import { DomainError } from "../errors.ts";
import { UnitOfWork } from "./unit-of-work.ts";

type Plan = (unit: UnitOfWork) => Promise<unknown>;

interface Task {
  plan: Plan;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Largest number of requests whose events share one transaction. */
export const MAX_GROUP = 256;

/**
 * Group commit for ingest. Requests queue their plan; whoever finds the queue idle drains it:
 * every waiting request is planned, in arrival order, into one unit of work and applied as one
 * transaction. Without concurrency a request commits alone, as before; under load, N requests
 * share one commit (and its fsync) instead of queueing for N. A plan that rejects its event
 * (a DomainError) has planned nothing but, for a preflight refusal, the record of that refusal
 * (which must be kept), so the others still commit; any other failure makes the
 * group fall back to one transaction per request, so one bad request cannot fail its neighbours.
 */
export class GroupCommitter {
  readonly #queue: Task[] = [];
  #draining = false;
  readonly #groupObservers = new Set<(size: number) => void>();
  /** Where a local file's groups are applied, off the main thread (none: `db.batch`). */
  readonly #writer: WriteWorker | undefined;

  /** `sliceMs`: how long planning holds the event loop (UnitOfWork.breathe; a test sets 0). */
  constructor(
    readonly database: Database,
    private readonly sliceMs = SLICE_MS,
  ) {
    this.#writer = writeWorkerFor(database);
  }

  /** Tells `observer` how many requests each group holds (the app's metrics) until the returned function is called. */
  observeGroups(observer: (size: number) => void): () => void {
    this.#groupObservers.add(observer);
    return () => this.#groupObservers.delete(observer);
  }

  submit<T>(plan: (unit: UnitOfWork) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ plan, resolve: resolve as (value: unknown) => void, reject });
      void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#queue.length > 0) {
        // On a local file a group plans and commits within microtasks: without a turn of the event
        // loop here, requests already waiting in the sockets would never be read in time to join
        // it, and every commit (and its fsync) would hold one request.
        await new Promise((resolve) => setImmediate(resolve));
        const group = this.#queue.splice(0, MAX_GROUP);
        for (const observe of this.#groupObservers) observe(group.length);
        await this.database.writeLock.run(() => this.#commit(group));
      }
    } finally {
      this.#draining = false;
    }
  }

  async #commit(group: Task[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const unit = new UnitOfWork(
        this.database.db,
        configCache(this.database).forGroup(),
        new Pacer(this.sliceMs),
      );
      const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
      let poisoned: unknown;
      for (const task of group) {
        await unit.breathe();
        try {
          outcomes.push({ ok: true, value: await task.plan(unit) });
        } catch (error) {
          if (!(error instanceof DomainError)) {
            poisoned = error;
            break;
          }
          outcomes.push({ ok: false, error });
        }
      }
      try {
        if (poisoned !== undefined) throw poisoned;
        await this.#apply(unit);
      } catch (error) {
        // A unique-index violation means another process wrote the same rows first: planning
        // again sees them (a repeat, or a real conflict reported as such).
        if (isUniqueViolation(error) && attempt < 3) {
          await this.database.refresh();
          continue;
        }
        if (group.length > 1) {
          for (const task of group) await this.#commit([task]);
          return;
        }
        for (const task of group) task.reject(error);
        return;
      }
      group.forEach((task, i) => {
        const outcome = outcomes[i];
        if (outcome?.ok) task.resolve(outcome.value);
        else task.reject(outcome?.error);
      });
      return;
    }
  }

  /** One transaction with every statement of the group, in the write thread when there is one. */
  async #apply(unit: UnitOfWork): Promise<void> {
    const statements = unit.transaction();
    if (statements.length === 0) return;
    if (this.#writer) await this.#writer.apply(statements);
    else await this.database.client.batch(statements.map(plainStatement));
  }
}

const committers = new WeakMap<Database, GroupCommitter>();

/** The one committer of a database in this process. */
export function groupCommitterFor(database: Database): GroupCommitter {
  let committer = committers.get(database);
  if (!committer) {
    committer = new GroupCommitter(database);
    committers.set(database, committer);
  }
  return committer;
}
