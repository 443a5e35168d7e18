import type { Database } from "../db/client.ts";
import { plainStatement } from "../db/compiled-writes.ts";
import { Pacer, SLICE_MS } from "../db/pacing.ts";
import { isUniqueViolation } from "../db/write-lock.ts";
import type { WriteTransaction } from "../db/write-worker.ts";
import { DomainError } from "../errors.ts";
import { type PreparedReads, prepareIngestReads } from "./prepared-reads.ts";
import { type PrefetchNames, UnitOfWork } from "./unit-of-work.ts";

type Plan = (unit: UnitOfWork) => Promise<unknown>;

interface Task {
  plan: Plan;
  /** What the plan will look up: read for the whole group at once before any plan runs. */
  names?: PrefetchNames;
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
 *
 * One per DatabaseRuntime (database-runtime.ts), so that every request of the process joins the
 * same groups; a second committer on the same database would still be correct (both take the
 * database's write lock), only grouping less.
 */
export class GroupCommitter {
  readonly #queue: Task[] = [];
  #draining = false;
  readonly #groupObservers = new Set<(size: number) => void>();
  /** The reads every event plans with, prepared once for all groups. */
  readonly reads: PreparedReads;

  /** `sliceMs`: how long planning holds the event loop (UnitOfWork.breathe; a test sets 0). */
  constructor(
    readonly database: Database,
    private readonly sliceMs = SLICE_MS,
  ) {
    this.reads = prepareIngestReads(database.db);
  }

  /** Tells `observer` how many requests each group holds (the app's metrics) until the returned function is called. */
  observeGroups(observer: (size: number) => void): () => void {
    this.#groupObservers.add(observer);
    return () => this.#groupObservers.delete(observer);
  }

  /**
   * Queues `plan` for the next group. `names`: the products, versions, environments and cells it
   * will look up, which the group reads for all its requests in a few set-based statements (one
   * request's events cost a read each otherwise: on a libSQL server, a round trip each).
   */
  submit<T>(plan: (unit: UnitOfWork) => Promise<T>, names?: PrefetchNames): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ plan, names, resolve: resolve as (value: unknown) => void, reject });
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
        // it, and every commit (and its fsync) would hold one request. The second turn lets the
        // loop poll for I/O once more before planning starts: after the first alone, a group began
        // in the very turn that parsed and validated the request that started it (a 1,000-event
        // batch: ~10 ms), and a health check waited for both.
        await new Promise((resolve) => setImmediate(resolve));
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
      // A local file's group streams its statements to the write thread while it plans: the
      // transaction opens with the first ones and the thread runs them meanwhile.
      const writer = this.database.writer;
      let streamed: WriteTransaction | undefined;
      const unit = new UnitOfWork(
        this.database.db,
        this.reads,
        this.database.configCache.forGroup(),
        new Pacer(this.sliceMs),
        writer &&
          ((statements) => {
            streamed ??= writer.begin();
            streamed.send(statements);
          }),
      );
      const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
      try {
        await unit.prefetch(namesOf(group));
        for (const task of group) {
          await unit.breathe();
          try {
            outcomes.push({ ok: true, value: await task.plan(unit) });
          } catch (error) {
            // A rule's refusal is that request's answer; anything else fails the group's plan.
            if (!(error instanceof DomainError)) throw error;
            outcomes.push({ ok: false, error });
          }
        }
        await this.#apply(unit, streamed);
      } catch (error) {
        // Nothing of a failed group stays: what the thread ran of it is rolled back.
        await streamed?.abort();
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

  /**
   * Ends the group's transaction with the statements not sent yet: the write thread's (a local
   * file: off the main thread), opened by the first statements sent or by these; else one `db.batch`.
   */
  async #apply(unit: UnitOfWork, streamed: WriteTransaction | undefined): Promise<void> {
    const statements = unit.transaction();
    if (streamed) return streamed.commit(statements);
    if (statements.length === 0) return;
    const writer = this.database.writer;
    if (writer) await writer.apply(statements);
    else await this.database.client.batch(statements.map(plainStatement));
  }
}

/** Every name the group's requests will look up, in one list for `UnitOfWork.prefetch`. */
function namesOf(group: Task[]): PrefetchNames {
  const all: PrefetchNames = { products: [], versions: [], environments: [], cells: [] };
  for (const { names } of group) {
    if (!names) continue;
    all.products.push(...names.products);
    all.versions.push(...names.versions);
    all.environments.push(...names.environments);
    all.cells.push(...names.cells);
  }
  return all;
}
