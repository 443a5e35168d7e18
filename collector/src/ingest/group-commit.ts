import type { Database } from "../db/client.ts";
import { coalesceInserts } from "../db/coalesced-inserts.ts";
import { plainStatement } from "../db/compiled-writes.ts";
import {
  type ClaimedGenerationRead,
  CONFIG_GENERATION,
  type GenerationWaiters,
  type GroupConfig,
  generationOf,
  PendingGeneration,
} from "../db/config-generation.ts";
import { Pacer, SLICE_MS } from "../db/pacing.ts";
import { isUniqueViolation } from "../db/write-lock.ts";
import type { WriteTransaction } from "../db/write-worker.ts";
import { DomainError } from "../errors.ts";
import { type PrefetchStep, type PreparedReads, prefetchStep, prepareIngestReads } from "./prepared-reads.ts";
import { type PrefetchNames, type Statement, UnitOfWork } from "./unit-of-work.ts";

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

export interface GroupCommitterOptions {
  /** How long planning holds the event loop (UnitOfWork.breathe; a test sets 0). */
  sliceMs?: number;
  /**
   * Callers waiting for a generation's read (the credentials cache), which a group's first reads
   * on a libSQL server answer in the same request.
   */
  waiters?: GenerationWaiters;
}

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
  /** Called by the next `submit`: the pipeline waits for a request or for its group's commit (#arrivalOr). */
  #onArrival: (() => void) | undefined;
  readonly #groupObservers = new Set<(size: number) => void>();
  /** The reads every event plans with, prepared once for all groups. */
  readonly reads: PreparedReads;

  readonly #sliceMs: number;
  readonly #waiters: GenerationWaiters | undefined;

  constructor(
    readonly database: Database,
    { sliceMs = SLICE_MS, waiters }: GroupCommitterOptions = {},
  ) {
    this.#sliceMs = sliceMs;
    this.#waiters = waiters;
    // A libSQL server (not a local file, nor an embedded replica: its reads are local).
    const server = database.url.startsWith("file:") ? undefined : database.client;
    this.reads = prepareIngestReads(database.db, server);
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
      this.#onArrival?.();
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
        await turn();
        await turn();
        const group = this.#take();
        await this.database.writeLock.run(() => this.#pipeline(group));
      }
    } finally {
      this.#draining = false;
    }
  }

  /** The next group: up to `limit` waiting requests, in arrival order. */
  #take(limit = MAX_GROUP): Task[] {
    return this.#queue.splice(0, limit);
  }

  #observe(group: Task[]): void {
    for (const observe of this.#groupObservers) observe(group.length);
  }

  /**
   * Plans and commits `first`; while a group's commit is on its way (in the write thread: its last
   * statements, the COMMIT and its fsync, about 4 ms for 25 single-event requests; on a libSQL
   * server, its batch), during which the main thread had nothing to do, plans the requests that
   * arrived meanwhile, or that arrive before it commits, as the next group, on the same unit of
   * work (`UnitOfWork.continueWith`: as if they had come later in the same group). The next group's
   * statements form a transaction of their own, committed only once the previous one has
   * committed (the thread runs them after its COMMIT; a server gets their batch then): if it
   * failed, the next group is planned again from the database, alone. At most PIPELINE_GROUPS
   * groups follow each other so, then the write lock is let go (other writes of this process wait
   * for it) and the next group starts from the database again.
   */
  async #pipeline(first: Task[]): Promise<void> {
    let group = first;
    let previous: UnitOfWork | undefined;
    let inFlight: InFlight | undefined;
    for (let depth = 1; ; depth++) {
      let planned: Planned;
      try {
        planned = await this.#plan(group, previous, inFlight);
      } catch (error) {
        this.#observe(group);
        // As a group planned alone (#commit): nothing of it was sent; the one in flight goes on.
        if (inFlight) await this.#settle(inFlight);
        return this.#recover(group, error);
      }
      this.#observe(group);
      if (inFlight && !(await inFlight.answered)) {
        // Planned on rows that were not committed: rolled back, and planned again from what was
        // once the failed group is.
        await planned.streamed?.abort();
        await this.#settle(inFlight);
        return this.#commit(group);
      }
      const { sent, committed } = this.#apply(planned.unit, planned.streamed);
      inFlight = inFlightGroup(group, planned.outcomes, committed);
      if (depth >= PIPELINE_GROUPS) break;
      // Its COMMIT is posted before the next group's first statements.
      await sent;
      // The requests read while this group was planned, those waiting in the sockets now, and
      // those that arrive before it commits.
      await turn();
      if (this.#queue.length === 0) await this.#arrivalOr(inFlight.answered);
      if (this.#queue.length === 0) break;
      group = this.#take();
      previous = planned.unit;
    }
    await this.#settle(inFlight);
  }

  /** Resolves at the next `submit`, or when `other` settles, whichever comes first. */
  async #arrivalOr(other: Promise<unknown>): Promise<void> {
    const arrival = new Promise<void>((resolve) => {
      this.#onArrival = resolve;
    });
    await Promise.race([arrival, other]);
    this.#onArrival = undefined;
  }

  /**
   * Waits for a pipelined group's commit (its requests are answered as soon as it commits); when it
   * failed, commits the group again as #commit does (planned again, or one request at a time).
   */
  async #settle({ group, committed, answered }: InFlight): Promise<void> {
    if (await answered) return;
    const error = await committed.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    await this.#recover(group, error);
  }

  /**
   * After a group failed to plan or commit: planned again on a lost race (another process wrote
   * the same rows first), else one transaction per request, so one bad request cannot fail the
   * others; a request alone gets the error.
   */
  async #recover(group: Task[], error: unknown): Promise<void> {
    if (!isUniqueViolation(error)) return this.#oneByOne(group, error);
    await this.database.refresh();
    return this.#commit(group);
  }

  /** One transaction per request of a failed group; a request alone gets the error. */
  async #oneByOne(group: Task[], error: unknown): Promise<void> {
    if (group.length > 1) {
      for (const task of group) await this.#commit([task]);
      return;
    }
    for (const task of group) task.reject(error);
  }

  /** Plans and commits one group, alone. */
  async #commit(group: Task[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      let planned: Planned | undefined;
      try {
        planned = await this.#plan(group);
        await this.#apply(planned.unit, planned.streamed).committed;
      } catch (error) {
        // Nothing of a failed group stays: what the thread ran of it is rolled back.
        await planned?.streamed?.abort();
        // A unique-index violation means another process wrote the same rows first: planning
        // again sees them (a repeat, or a real conflict reported as such).
        if (isUniqueViolation(error) && attempt < 3) {
          await this.database.refresh();
          continue;
        }
        return this.#oneByOne(group, error);
      }
      answer(group, planned.outcomes);
      return;
    }
  }

  /**
   * Plans every request of `group`, in arrival order, into a new unit of work or the next
   * transaction of `previous`. A local file's group streams its statements to the write thread
   * while it plans: the transaction opens with the first ones and the thread runs them meanwhile.
   * When planning fails, what was streamed is rolled back and the error is thrown.
   *
   * `committing`: the previous group, when this one is planned while it commits. Until it has, the
   * requests that arrive join this group (`group` grows, up to MAX_GROUP): this group's commit
   * cannot come before that one's anyway, and a group planned with the first request to arrive
   * would leave the next ones a commit (and an fsync) of their own.
   */
  async #plan(group: Task[], previous?: UnitOfWork, committing?: InFlight): Promise<Planned> {
    const writer = this.database.writer;
    let streamed: WriteTransaction | undefined;
    const send =
      writer &&
      ((statements: Statement[]) => {
        streamed ??= writer.begin();
        streamed.send(statements);
      });
    const config = this.database.configCache.forGroup();
    const pacer = new Pacer(this.#sliceMs);
    const unit = previous
      ? previous.continueWith(config, pacer, send)
      : new UnitOfWork(this.database.db, this.reads, config, pacer, send);
    const outcomes: Outcome[] = [];
    try {
      await unit.prefetch(namesOf(group), this.#generations(config));
      await planEach(unit, group, outcomes);
      while (committing && !committing.settled && group.length < MAX_GROUP) {
        if (this.#queue.length === 0) await this.#arrivalOr(committing.answered);
        const more = this.#take(MAX_GROUP - group.length);
        if (more.length === 0) continue;
        group.push(...more);
        await unit.prefetch(namesOf(more));
        await planEach(unit, more, outcomes);
      }
    } catch (error) {
      await (streamed as WriteTransaction | undefined)?.abort();
      throw error;
    }
    return { unit, streamed, outcomes };
  }

  /**
   * On a libSQL server, the configuration generation is read with the group's first reads, in
   * the same request (GroupConfig.prime), and so is the credentials generation when requests
   * wait for its next read (`waiters`); elsewhere the group reads the configuration's at its
   * first use.
   */
  #generations(config: GroupConfig): PrefetchStep[] {
    if (!this.reads.batched) return [];
    const steps: PrefetchStep[] = [];
    const claimed = this.#waiters?.claim();
    if (claimed) steps.push(this.#generationStep(claimed));
    // When the group's reads fail, the view reads the generation again at its first use, if any.
    const configuration = new PendingGeneration();
    config.prime(configuration.promise);
    const { found, failed } = configuration;
    steps.push(this.#generationStep({ key: CONFIG_GENERATION, found, failed }));
    return steps;
  }

  /** The read of the settings generation `key`, answering `found` (or `failed`). */
  #generationStep({ key, found, failed }: ClaimedGenerationRead): PrefetchStep {
    return prefetchStep(this.reads.generation, { key }, (rows) => found(generationOf(rows)), failed);
  }

  /**
   * Ends the group's transaction with the statements not sent yet: the write thread's (a local
   * file: off the main thread), opened by the first statements sent or by these; else one `db.batch`.
   */
  #apply(
    unit: UnitOfWork,
    streamed: WriteTransaction | undefined,
  ): { sent: Promise<void>; committed: Promise<void> } {
    const statements = unit.transaction();
    const writer = this.database.writer;
    const sent = Promise.resolve();
    if (!streamed && statements.length === 0) return { sent, committed: Promise.resolve() };
    try {
      if (writer) {
        const transaction = streamed ?? writer.begin();
        return { committed: transaction.commit(statements), sent: transaction.sent };
      }
      return {
        sent,
        // A libSQL server pays per statement of a batch far more than per row: the rows of one
        // table go as one insert (through a local file, merging measured no faster: not done).
        committed: this.database.client
          .batch(coalesceInserts(statements).map(plainStatement))
          .then(() => undefined),
      };
    } catch (error) {
      // A closed database refuses the transaction at once.
      return { sent, committed: Promise.reject(error) };
    }
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A group planned: its unit, the transaction its statements were streamed to (if any), each request's outcome. */
interface Planned {
  unit: UnitOfWork;
  streamed: WriteTransaction | undefined;
  outcomes: Outcome[];
}

/** A group whose commit is in the write thread while the next one is planned. */
interface InFlight {
  group: Task[];
  committed: Promise<void>;
  /** True once committed and its requests answered; false when the commit failed. */
  answered: Promise<boolean>;
  /** Whether `answered` has settled. */
  settled: boolean;
}

/** A group being committed: answered as soon as it commits, while the next one is planned; a failure is #settle's. */
function inFlightGroup(group: Task[], outcomes: Outcome[], committed: Promise<void>): InFlight {
  const inFlight: InFlight = {
    group,
    committed,
    settled: false,
    answered: committed.then(
      () => {
        inFlight.settled = true;
        answer(group, outcomes);
        return true;
      },
      () => {
        inFlight.settled = true;
        return false;
      },
    ),
  };
  return inFlight;
}

/** Plans each request of `tasks` on `unit`, in order, adding its outcome to `outcomes`. */
async function planEach(unit: UnitOfWork, tasks: Task[], outcomes: Outcome[]): Promise<void> {
  for (const task of tasks) {
    await unit.breathe();
    try {
      outcomes.push({ ok: true, value: await task.plan(unit) });
    } catch (error) {
      // A rule's refusal is that request's answer; anything else fails the group's plan.
      if (!(error instanceof DomainError)) throw error;
      outcomes.push({ ok: false, error });
    }
  }
}

/** How many groups may follow each other on one unit of work before the write lock is let go. */
export const PIPELINE_GROUPS = 8;

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Answers each request of a committed group with its plan's outcome. */
function answer(group: Task[], outcomes: Outcome[]): void {
  group.forEach((task, i) => {
    const outcome = outcomes[i];
    if (outcome?.ok) task.resolve(outcome.value);
    else task.reject(outcome?.error);
  });
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
