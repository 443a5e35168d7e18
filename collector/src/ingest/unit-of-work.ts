import { isFinished } from "@versioner/schema";
import { type Column, desc } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client.ts";
import { insertStatement, updateByIdStatement, type WriteStatement } from "../db/compiled-writes.ts";
import type { ConfigReader } from "../db/config-generation.ts";
import { Pacer } from "../db/pacing.ts";
import {
  type builds,
  type currentState,
  type deployments,
  environments,
  type events,
  type products,
  versions,
} from "../db/schema/index.ts";
import { merged } from "../merged.ts";
import {
  PREFETCH_KEYS,
  type PrefetchQuery,
  type PrefetchStep,
  type PreparedReads,
  prefetchKeys,
  prefetchStep,
} from "./prepared-reads.ts";

export type ProductRow = typeof products.$inferSelect;
export type VersionRow = typeof versions.$inferSelect;
export type BuildRow = typeof builds.$inferSelect;
export type EnvironmentRow = typeof environments.$inferSelect;
export type DeploymentRow = typeof deployments.$inferSelect;
export type StateRow = typeof currentState.$inferSelect;
export type EventRow = typeof events.$inferSelect;

/**
 * What the requests of a group name, for `UnitOfWork.prefetch`: versions come with the product they
 * belong to, cells with their product and environment.
 */
export interface PrefetchNames {
  products: string[];
  versions: Array<{ product: string; version: string }>;
  environments: string[];
  /** The product × environment cells deployment events land in: their state and latest event. */
  cells: Array<{ product: string; environment: string }>;
}

/** Moves the counter `/state`'s cache is keyed by (state-service.ts), once per transaction. */
const STATE_GENERATION_BUMP: Statement = {
  sql: "UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = 'state_generation'",
  args: [],
};

/** A drizzle query, or a statement compiled once per table (compiled-writes.ts). */
export type Statement = WriteStatement;

/** Builds a `/state` cell's write from the last row planned for it (`UnitOfWork.planCell`). */
export type CellWrite = (row: StateRow, movesCurrent: boolean) => Statement;

/**
 * Reads through an overlay of the rows this unit has already planned, and collects the
 * statements that one transaction will apply atomically. A batch of events therefore sees
 * its own earlier events (a product created by event 1 is found by event 2) before anything
 * is written.
 */
export class UnitOfWork {
  /** Planned and not sent yet (see `send`). */
  #statements: Statement[] = [];
  // A null entry: read (or prefetched) and not there.
  readonly #products = new Map<string, ProductRow | null>();
  readonly #versions = new Map<string, VersionRow | null>();
  readonly #environments = new Map<string, EnvironmentRow | null>();
  readonly #openDeployments = new Map<string, DeploymentRow | null>();
  readonly #builds = new Map<string, BuildRow | null>();
  readonly #state = new Map<string, StateRow | null>();
  readonly #eventsByKey = new Map<string, EventRow>();
  readonly #latestEvents = new Map<string, LatestEvent | null>();
  readonly #plannedEvents = new Map<string, EventRow>();
  /** The `/state` cells this unit moves, written at the end of its transaction (`planCell`). */
  readonly #cells = new Map<string, { row: StateRow; movesCurrent: boolean; write: CellWrite }>();
  #maxSortOrder: number | undefined;
  /**
   * Ids of the rows this unit inserts: nothing stored can refer to them yet, so a read keyed by one
   * (the deployments of a version created by this batch, the cell of a new environment) is known
   * to find nothing and is not sent.
   */
  readonly #minted = new Set<string>();
  /** Whether a statement changes what `/state` shows (a version, a cell): the group bumps its generation once. */
  #changesState = false;

  readonly #reads: PreparedReads;
  // The current transaction's (constructor, continueWith).
  #config: ConfigReader | undefined;
  #pacer: Pacer;
  #send: ((statements: Statement[]) => void) | undefined;

  /**
   * `reads`: the ingest reads prepared once on `db` (the group committer's);
   * `config`: the group's view of the configuration cache (group-commit.ts), when there is one;
   * `pacer`: how long planning may hold the event loop before `breathe` lets it turn;
   * `send`: takes the statements planned so far each time planning lets the event loop turn (the
   * group's transaction in the write thread, which runs them meanwhile); without it, they all wait
   * for `transaction()`.
   */
  constructor(
    readonly db: Db,
    reads: PreparedReads,
    config?: ConfigReader,
    pacer = new Pacer(),
    send?: (statements: Statement[]) => void,
  ) {
    this.#reads = reads;
    this.#config = config;
    this.#pacer = pacer;
    this.#send = send;
  }

  /** The configuration as the current transaction's group sees it (the constructor's `config`). */
  get config(): ConfigReader | undefined {
    return this.#config;
  }

  /**
   * Starts this unit's next transaction, for the next group of requests, while the one planned so
   * far is still being committed (GroupCommitter's pipeline): the next group plans on everything
   * this unit holds — the rows it read, the rows it planned, the ids it minted, and what bus
   * subscribers keep per transaction (keyed by this unit) — exactly as if its requests had come
   * later in the same group; only its statements go to a transaction of their own, committed after
   * this one's (or planned again from the database when this one fails). `config`, `pacer` and
   * `send` are the new group's, as in the constructor.
   */
  continueWith(
    config: ConfigReader | undefined,
    pacer: Pacer,
    send?: (statements: Statement[]) => void,
  ): this {
    this.#statements = [];
    this.#cells.clear();
    this.#changesState = false;
    this.#config = config;
    this.#pacer = pacer;
    this.#send = send;
    return this;
  }

  /**
   * Called between events: once this unit has planned for longer than its slice, hands what it
   * planned to `send` and waits for one turn of the event loop, so a 1,000-event batch cannot hold
   * health checks, `/state` and the other requests' bodies for the whole of its planning. The plan
   * stays valid: the group holds the write lock, so nothing in this process writes meanwhile, and
   * another process's write is met as it would be without the pause (a unique index, then
   * planning again). Between events only: an event's statements are all planned by then.
   */
  breathe(): Promise<void> {
    if (this.#send && this.#statements.length > 0 && this.#pacer.due()) {
      const planned = this.#statements;
      this.#statements = [];
      this.#send(planned);
    }
    return this.#pacer.pause();
  }

  add(statement: Statement): void {
    this.#statements.push(statement);
  }

  /**
   * Plans the write of a `/state` cell: the overlay holds `row` at once (`state()`), and the cell is
   * written once per transaction, after every other statement, from the last row planned for it
   * (`write` builds that statement: its SQL is the deployment planner's, which the engine does not
   * import, import-graph.test.ts). A group of 500 events over 80 cells writes 80 cells, not 500:
   * the projection is applied per group, not per event. `movesCurrent`: this event became the
   * cell's current deployment; once one event of the unit did, the cell's write carries the current
   * columns (else only the last attempt's). The transaction also moves the state generation.
   */
  planCell(row: StateRow, movesCurrent: boolean, write: CellWrite): void {
    const key = cellKey(row.product_id, row.environment_id);
    const planned = this.#cells.get(key);
    this.#cells.set(key, { row, movesCurrent: movesCurrent || planned?.movesCurrent === true, write });
    this.rememberState(row);
  }

  /**
   * The rest of the transaction: the statements planned and not sent yet, the cells' writes, then
   * one bump of the `/state` generation when any statement of the unit changes what `/state` shows
   * (versions and cells have no per-row trigger: migration 0009).
   */
  transaction(): Statement[] {
    if (!this.#changesState && this.#cells.size === 0) return this.#statements;
    const cells = [...this.#cells.values()].map(({ row, movesCurrent, write }) => write(row, movesCurrent));
    return [...this.#statements, ...cells, STATE_GENERATION_BUMP];
  }

  /** Plans an insert of a whole row (the hot tables' inserts, compiled once per table). */
  insert<T extends SQLiteTable>(table: T, row: T["$inferInsert"]): void {
    this.#statements.push(insertStatement(this.db, table, row));
    if ((table as SQLiteTable) === versions) this.#changesState = true;
    const { id } = row as { id?: unknown };
    if (typeof id === "string") this.#minted.add(id);
  }

  /** True when this unit inserts the version: no stored row refers to it (EventTransaction). */
  createsVersion(versionId: string): boolean {
    return this.#minted.has(versionId);
  }

  #anyMinted(...ids: string[]): boolean {
    return ids.some((id) => this.#minted.has(id));
  }

  /** Plans an update of one row by id. */
  updateById<T extends SQLiteTable & { id: Column }>(
    table: T,
    changes: Partial<T["$inferInsert"]>,
    id: string,
  ): void {
    this.#statements.push(updateByIdStatement(this.db, table, changes, id));
    if ((table as SQLiteTable) === versions) this.#changesState = true;
  }

  async productByName(name: string): Promise<ProductRow | undefined> {
    const cached = this.#products.get(name);
    if (cached !== undefined) return cached ?? undefined;
    const [row] = await this.#reads.productByName.all({ name });
    if (row) this.#products.set(name, row);
    return row;
  }

  /**
   * Reads the products, versions, environments and cells that the group's requests name in a few
   * set-based statements, so that its events find them (or find that they do not exist) without a
   * read each: a batch of 1,000 events on a libSQL server otherwise pays a round trip per lookup.
   */
  async prefetch(names: PrefetchNames, first: PrefetchStep[] = []): Promise<void> {
    const prefetch = this.#reads.prefetch;
    const breathe = () => this.breathe();
    // First what the events name by name alone (and `first`, the caller's own), then what is keyed
    // by the ids those rows give: two lists of reads, each one request to a libSQL server
    // (PreparedReads.together). When this unit knows every name already (a group planned on the
    // unit of the one before it: the same products and environments), `first` goes with the
    // second list, in one request.
    const byName = [
      ...byNameSteps(prefetch.products, names.products, this.#products),
      ...byNameSteps(prefetch.environments, names.environments, this.#environments),
    ];
    let pending = first;
    if (byName.length > 0) {
      await this.#reads.together([...first, ...byName], breathe);
      pending = [];
    }
    // Exactly the (product, version) pairs the events name, not every product × every version:
    // a batch of 1,000 versions across 20 products would otherwise probe 20,000 keys.
    const byId: PrefetchStep[] = [];
    const pairs = new Map<string, [string, string]>();
    for (const { product, version } of names.versions) {
      const row = this.#products.get(product);
      if (!row || this.#minted.has(row.id)) continue;
      const key = versionKey(row.id, version);
      if (!this.#versions.has(key)) pairs.set(key, [row.id, version]);
    }
    for (const chunk of chunks([...pairs]))
      byId.push(
        prefetchStep(prefetch.versions, prefetchKeys(chunk.map(([, pair]) => pair)), (rows) => {
          for (const [key] of chunk) this.#versions.set(key, null);
          for (const row of rows) this.rememberVersion(row);
        }),
      );
    byId.push(...this.#cellSteps(names.cells));
    await this.#reads.together([...pending, ...byId], breathe);
  }

  /**
   * The state and the latest deployment event of every stored cell the events land in, in one
   * statement per PREFETCH_KEYS cells (the cell holds its latest event's id): a deployment reads
   * both (the cell's update, the repeat rule), and a group of single-event requests would otherwise
   * read them once per request.
   */
  #cellSteps(cells: PrefetchNames["cells"]): PrefetchStep[] {
    const pairs = new Map<string, [string, string]>();
    for (const { product, environment } of cells) {
      const productRow = this.#products.get(product);
      const environmentRow = this.#environments.get(environment);
      if (!productRow || !environmentRow || this.#anyMinted(productRow.id, environmentRow.id)) continue;
      const key = cellKey(productRow.id, environmentRow.id);
      if (!this.#state.has(key)) pairs.set(key, [productRow.id, environmentRow.id]);
    }
    return chunks([...pairs]).map((chunk) =>
      prefetchStep(this.#reads.prefetch.states, prefetchKeys(chunk.map(([, pair]) => pair)), (rows) => {
        for (const [key, [productId, environmentId]] of chunk) {
          this.#state.set(key, null);
          this.#latestEvents.set(streamKey({ product_id: productId, environment_id: environmentId }), null);
        }
        for (const { state, latest } of rows) {
          this.rememberState(state);
          this.#latestEvents.set(streamKey(state), latest);
        }
      }),
    );
  }

  rememberProduct(row: ProductRow): void {
    this.#products.set(row.name, row);
  }

  async version(productId: string, version: string): Promise<VersionRow | undefined> {
    const key = versionKey(productId, version);
    const cached = this.#versions.get(key);
    if (cached !== undefined) return cached ?? undefined;
    if (this.#anyMinted(productId)) return undefined;
    const [row] = await this.#reads.version.all({ product_id: productId, version });
    if (row) this.#versions.set(key, row);
    return row;
  }

  rememberVersion(row: VersionRow): void {
    this.#versions.set(versionKey(row.product_id, row.version), row);
  }

  async environmentByName(name: string): Promise<EnvironmentRow | undefined> {
    const cached = this.#environments.get(name);
    if (cached !== undefined) return cached ?? undefined;
    const [row] = await this.#reads.environmentByName.all({ name });
    if (row) this.#environments.set(name, row);
    return row;
  }

  rememberEnvironment(row: EnvironmentRow): void {
    this.#environments.set(row.name, row);
    this.#maxSortOrder = Math.max(this.#maxSortOrder ?? 0, row.sort_order);
  }

  async maxSortOrder(): Promise<number> {
    if (this.#maxSortOrder === undefined) {
      const [row] = await this.db
        .select({ sort_order: environments.sort_order })
        .from(environments)
        .orderBy(desc(environments.sort_order))
        .limit(1);
      this.#maxSortOrder = row?.sort_order ?? 0;
    }
    return this.#maxSortOrder;
  }

  /**
   * The deployment an event advances: with an invoke_id, the one with the same product,
   * environment, version and invoke_id; without, the latest unfinished one that has none.
   */
  async deploymentToAdvance(
    productId: string,
    environmentId: string,
    versionId: string,
    invokeId: string | undefined,
  ): Promise<DeploymentRow | undefined> {
    const key = [productId, environmentId, versionId, invokeId ?? ""].join("\u0000");
    if (this.#openDeployments.has(key)) {
      const row = this.#openDeployments.get(key);
      if (!row || (invokeId === undefined && isFinished(row.status))) return undefined;
      return row;
    }
    if (this.#anyMinted(productId, environmentId, versionId)) {
      this.#openDeployments.set(key, null);
      return undefined;
    }
    const ids = { product_id: productId, environment_id: environmentId, version_id: versionId };
    const [row] =
      invokeId === undefined
        ? await this.#reads.openDeploymentWithoutInvoke.all(ids)
        : await this.#reads.deploymentByInvoke.all(merged(ids, { invoke_id: invokeId }));
    this.#openDeployments.set(key, row ?? null);
    return row;
  }

  rememberDeployment(row: DeploymentRow): void {
    const key = [row.product_id, row.environment_id, row.version_id, row.invoke_id ?? ""].join("\u0000");
    this.#openDeployments.set(key, row);
  }

  /** Same rule as deployments: by invoke_id, or the latest unfinished build without one. */
  async buildToAdvance(versionId: string, invokeId: string | undefined): Promise<BuildRow | undefined> {
    const key = `${versionId}\u0000${invokeId ?? ""}`;
    if (this.#builds.has(key)) {
      const row = this.#builds.get(key);
      if (!row || (invokeId === undefined && isFinished(row.status))) return undefined;
      return row;
    }
    if (this.#anyMinted(versionId)) {
      this.#builds.set(key, null);
      return undefined;
    }
    const [row] =
      invokeId === undefined
        ? await this.#reads.openBuildWithoutInvoke.all({ version_id: versionId })
        : await this.#reads.buildByInvoke.all({ version_id: versionId, invoke_id: invokeId });
    this.#builds.set(key, row ?? null);
    return row;
  }

  rememberBuild(row: BuildRow): void {
    this.#builds.set(`${row.version_id}\u0000${row.invoke_id ?? ""}`, row);
  }

  async state(productId: string, environmentId: string): Promise<StateRow | undefined> {
    const key = cellKey(productId, environmentId);
    if (this.#state.has(key)) return this.#state.get(key) ?? undefined;
    if (this.#anyMinted(productId, environmentId)) {
      this.#state.set(key, null);
      return undefined;
    }
    const [row] = await this.#reads.state.all({ product_id: productId, environment_id: environmentId });
    this.#state.set(key, row ?? null);
    return row;
  }

  rememberState(row: StateRow): void {
    this.#state.set(cellKey(row.product_id, row.environment_id), row);
  }

  async eventByIdempotencyKey(key: string): Promise<EventRow | undefined> {
    const cached = this.#eventsByKey.get(key);
    if (cached) return cached;
    const [row] = await this.#reads.eventByIdempotencyKey.all({ key });
    return row;
  }

  /** The latest event recorded in a stream, counting the ones this unit has planned. */
  async latestEvent(stream: EventStream): Promise<LatestEvent | undefined> {
    const key = streamKey(stream);
    const cached = this.#latestEvents.get(key);
    if (cached !== undefined) return cached ?? undefined;
    if (this.#anyMinted(...Object.values(stream))) return undefined;
    const [row] =
      "environment_id" in stream
        ? await this.#reads.latestDeploymentEvent.all(stream)
        : await this.#reads.latestBuildEvent.all(stream);
    if (row) this.#latestEvents.set(key, row);
    return row;
  }

  async eventById(id: string): Promise<EventRow | undefined> {
    const planned = this.#plannedEvents.get(id);
    if (planned) return planned;
    const [row] = await this.#reads.eventById.all({ id });
    return row;
  }

  /**
   * Holds an event this unit stores. A deployment event becomes its cell's latest event: the cell's
   * write, which the event's planning has planned (planCell), carries its id
   * (`current_state.latest_event_id`, what the repeat and lifecycle rules read from the database).
   */
  rememberEvent(row: EventRow): void {
    if (row.idempotency_key) this.#eventsByKey.set(row.idempotency_key, row);
    this.#plannedEvents.set(row.id, row);
    if (row.environment_id === null) {
      this.#latestEvents.set(streamKey({ version_id: row.version_id }), row);
      return;
    }
    const cell = this.#cells.get(cellKey(row.product_id, row.environment_id));
    if (!cell) throw new Error(`A deployment event (${row.id}) is stored without its /state cell's write`);
    cell.row = { ...cell.row, latest_event_id: row.id };
    this.rememberState(cell.row);
    this.#latestEvents.set(
      streamKey({ product_id: row.product_id, environment_id: row.environment_id }),
      row,
    );
  }
}

const versionKey = (productId: string, version: string) => `${productId}\u0000${version}`;
const cellKey = (productId: string, environmentId: string) => `${productId}\u0000${environmentId}`;

/** The distinct names among `names` that `cache` holds nothing about yet. */
function unseen(names: string[], cache: Map<string, unknown>): string[] {
  return [...new Set(names)].filter((name) => !cache.has(name));
}

/** The latest event recorded in a stream (one product + environment, or one version's builds). */
export interface LatestEvent {
  id: string;
  body_hash: string | null;
  record_id: string;
  received_at: string;
}

/** Where "the latest event" is looked for: deployments per product + environment, builds per version. */
export type EventStream = { product_id: string; environment_id: string } | { version_id: string };

function streamKey(stream: EventStream): string {
  return "environment_id" in stream
    ? `d\u0000${stream.product_id}\u0000${stream.environment_id}`
    : `b\u0000${stream.version_id}`;
}

/**
 * The reads of the rows of `names` not looked up yet, by name: each name is then known in `seen`,
 * found or absent (null).
 */
function byNameSteps<Row extends { name: string }>(
  query: PrefetchQuery<Row>,
  names: string[],
  seen: Map<string, Row | null>,
): PrefetchStep[] {
  return chunks(unseen(names, seen)).map((chunk) =>
    prefetchStep(query, prefetchKeys(chunk), (rows) => {
      for (const name of chunk) seen.set(name, null);
      for (const row of rows) seen.set(row.name, row);
    }),
  );
}

/** `items` in lists of at most PREFETCH_KEYS, one per prefetch read. */
function chunks<T>(items: T[]): T[][] {
  const lists: T[][] = [];
  for (let start = 0; start < items.length; start += PREFETCH_KEYS)
    lists.push(items.slice(start, start + PREFETCH_KEYS));
  return lists;
}
