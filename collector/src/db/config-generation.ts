import { eq, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { settings } from "./schema/index.ts";

/**
 * The `settings` row every change to the configuration that ingest reads on each event bumps in
 * its own transaction: notification channels and subscriptions, deployment rules, environment
 * locks. (It replaces the channels-only `notification_channels_generation` row.)
 */
export const CONFIG_GENERATION = "config_generation";

/** Bumps the configuration generation: one statement of the batch that changes the configuration. */
export function bumpConfigGeneration(db: Db) {
  return bumpGeneration(db, CONFIG_GENERATION);
}

/**
 * Bumps the counter in the `settings` row `key` (created at 1): one statement of the batch whose
 * change the counter announces to every collector on the database.
 */
export function bumpGeneration(db: Db, key: string) {
  return db
    .insert(settings)
    .values({ key, value: "1" })
    .onConflictDoUpdate({
      target: settings.key,
      set: { value: sql`CAST(${settings.value} AS INTEGER) + 1` },
    });
}

/**
 * Reads the counter in the `settings` row `key` ("0" before its first bump), through a statement
 * prepared once: the configuration's is read for every group, the credentials' for the requests
 * that arrived since the last read began.
 */
export function generationReader(db: Db, key: string): () => Promise<string> {
  const read = prepareGenerationRead(db);
  return async () => generationOf(await read.all({ key }));
}

/** A settings generation's read, prepared (its value named `key`), for a reader or a batch of reads. */
export function prepareGenerationRead(db: Db) {
  return db
    .select({ value: settings.value })
    .from(settings)
    .where(eq(settings.key, sql.placeholder("key")))
    .prepare();
}

/** The generation in what prepareGenerationRead found ("0" before its first bump). */
export function generationOf(rows: ReadonlyArray<{ value: string }>): string {
  return String(rows[0]?.value ?? "0");
}

/**
 * Callers waiting for a read of a generation that has not started yet (the credentials
 * generation, CredentialCache), which a read starting now may answer instead: on a libSQL server
 * the group committer reads it in the same request as the group's first reads.
 */
export interface GenerationWaiters {
  /**
   * The key of the generation the waiting callers want and how to answer them, or `undefined` when
   * none waits. Once claimed, they wait for the claimer's read alone: it must call `found` or
   * `failed`.
   */
  claim(): ClaimedGenerationRead | undefined;
}

export interface ClaimedGenerationRead {
  key: string;
  found(generation: string): void;
  failed(error: unknown): void;
}

/** A generation read that callers wait for, settled by whoever makes the read (`found`, `failed`). */
export class PendingGeneration {
  readonly promise: Promise<string>;
  found!: (generation: string) => void;
  failed!: (error: unknown) => void;

  constructor() {
    this.promise = new Promise<string>((resolve, reject) => {
      this.found = resolve;
      this.failed = reject;
    });
  }
}

/** Where a piece of configuration is read: the cache itself, or one group commit's view of it. */
export interface ConfigReader {
  get<T>(load: Loader<T>): Promise<T>;
}

/** One group commit's view (ConfigCache.forGroup). */
export interface GroupConfig extends ConfigReader {
  /**
   * Gives the view the generation read with the group's first reads, begun now (after the group's
   * requests arrived), so that its first use does not read it alone: to a libSQL server, one
   * request fewer per group. A view that already read it keeps its own.
   */
  prime(generation: Promise<string>): void;
}

/**
 * In-memory copies of configuration tables, kept while the configuration generation in the
 * database is unchanged: each use costs one indexed read of one row (shared by the callers that
 * ask while it is in flight) instead of reading the tables, and every collector on the database
 * sees a change made by another for its very next event. Ingest reads through `forGroup()`: one
 * generation read per group commit, so a change another collector commits while a group is being
 * planned is seen by the next group (whose requests all arrived after the change was acknowledged,
 * or raced it). One per database handle: `Database.configCache`, built by openDatabase.
 */
export class ConfigCache implements ConfigReader {
  #generationRead: Promise<string> | undefined;
  /** Bumped by `invalidate()`: a group's view holding a read from before it reads again. */
  #epoch = 0;
  readonly #copies = new Map<Loader<unknown>, { generation: string; value: Promise<unknown> }>();

  readonly #readGeneration: () => Promise<string>;

  constructor(private readonly db: Db) {
    this.#readGeneration = generationReader(db, CONFIG_GENERATION);
  }

  /** What `load` read, read again when the configuration changed since: one copy per loader. */
  get<T>(load: Loader<T>): Promise<T> {
    return this.#copy(load, this.#generation());
  }

  /**
   * The view of one group commit: the generation is read at its first use and that read answers
   * every later use in the group (rules, locks and channels of every event), unless this process
   * changes the configuration meanwhile (`invalidate()`). One view per group: it never expires.
   */
  forGroup(): GroupConfig {
    let held: { epoch: number; generation: Promise<string> } | undefined;
    const hold = (generation: Promise<string>) => {
      const read = { epoch: this.#epoch, generation };
      // A failed read is not kept: the next use in the group reads again.
      generation.catch(() => {
        if (held === read) held = undefined;
      });
      held = read;
      return read;
    };
    return {
      get: <T>(load: Loader<T>) => {
        const read = held && held.epoch === this.#epoch ? held : hold(this.#generation());
        return this.#copy(load, read.generation);
      },
      prime: (generation) => {
        if (!held) hold(generation);
      },
    };
  }

  /**
   * Called after a change this process committed: a generation read already in flight or held by
   * a group may have started before the commit, so neither it nor the copies are trusted any more.
   */
  invalidate(): void {
    this.#copies.clear();
    this.#generationRead = undefined;
    this.#epoch++;
  }

  async #copy<T>(load: Loader<T>, generationRead: Promise<string>): Promise<T> {
    // Read before the tables: a change committed in between makes the next use load again.
    const generation = await generationRead;
    const copy = this.#copies.get(load);
    if (copy && copy.generation === generation) return copy.value as Promise<T>;
    const value = load(this.db);
    this.#copies.set(load, { generation, value });
    value.catch(() => {
      if (this.#copies.get(load)?.value === value) this.#copies.delete(load);
    });
    return value;
  }

  #generation(): Promise<string> {
    this.#generationRead ??= this.#readGeneration().finally(() => {
      this.#generationRead = undefined;
    });
    return this.#generationRead;
  }
}

/** Reads a piece of configuration from the database; a module-level function, so one copy each. */
export type Loader<T> = (db: Db) => Promise<T>;
