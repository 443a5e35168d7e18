import { isFinished } from "@versioner/schema";
import { desc } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../db/client.ts";
import type { ConfigReader } from "../db/config-generation.ts";
import {
  type builds,
  type currentState,
  type deployments,
  environments,
  type events,
  type products,
  type versions,
} from "../db/schema/index.ts";
import { type PreparedReads, preparedReads } from "./prepared-reads.ts";

export type ProductRow = typeof products.$inferSelect;
export type VersionRow = typeof versions.$inferSelect;
export type BuildRow = typeof builds.$inferSelect;
export type EnvironmentRow = typeof environments.$inferSelect;
export type DeploymentRow = typeof deployments.$inferSelect;
export type StateRow = typeof currentState.$inferSelect;
export type EventRow = typeof events.$inferSelect;

type Statement = BatchItem<"sqlite">;

/**
 * Reads through an overlay of the rows this unit has already planned, and collects the
 * statements that one `db.batch` will apply atomically. A batch of events therefore sees
 * its own earlier events (a product created by event 1 is found by event 2) before anything
 * is written.
 */
export class UnitOfWork {
  readonly statements: Statement[] = [];
  readonly #products = new Map<string, ProductRow>();
  readonly #versions = new Map<string, VersionRow>();
  /** Versions this unit inserts: their ids are new, so no stored row refers to them. */
  readonly #createdVersions = new Set<string>();
  readonly #environments = new Map<string, EnvironmentRow>();
  readonly #openDeployments = new Map<string, DeploymentRow | null>();
  readonly #builds = new Map<string, BuildRow | null>();
  readonly #state = new Map<string, StateRow | null>();
  readonly #eventsByKey = new Map<string, EventRow>();
  readonly #latestEvents = new Map<string, LatestEvent>();
  readonly #plannedEvents = new Map<string, EventRow>();
  #maxSortOrder: number | undefined;

  readonly #reads: PreparedReads;

  /** `config`: the group's view of the configuration cache (group-commit.ts), when there is one. */
  constructor(
    readonly db: Db,
    readonly config?: ConfigReader,
  ) {
    this.#reads = preparedReads(db);
  }

  add(statement: Statement): void {
    this.statements.push(statement);
  }

  async productByName(name: string): Promise<ProductRow | undefined> {
    const cached = this.#products.get(name);
    if (cached) return cached;
    const [row] = await this.#reads.productByName.all({ name });
    if (row) this.#products.set(name, row);
    return row;
  }

  rememberProduct(row: ProductRow): void {
    this.#products.set(row.name, row);
  }

  async version(productId: string, version: string): Promise<VersionRow | undefined> {
    const key = `${productId}\u0000${version}`;
    const cached = this.#versions.get(key);
    if (cached) return cached;
    const [row] = await this.#reads.version.all({ product_id: productId, version });
    if (row) this.#versions.set(key, row);
    return row;
  }

  rememberVersion(row: VersionRow): void {
    this.#versions.set(`${row.product_id}\u0000${row.version}`, row);
  }

  /** A version this unit inserts (catalog-planner.ts). */
  rememberCreatedVersion(row: VersionRow): void {
    this.#createdVersions.add(row.id);
    this.rememberVersion(row);
  }

  createsVersion(versionId: string): boolean {
    return this.#createdVersions.has(versionId);
  }

  async environmentByName(name: string): Promise<EnvironmentRow | undefined> {
    const cached = this.#environments.get(name);
    if (cached) return cached;
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
    const ids = { product_id: productId, environment_id: environmentId, version_id: versionId };
    // A version this unit inserts has no stored deployment: only the ones planned here, found above.
    const [row] = this.createsVersion(versionId)
      ? []
      : invokeId === undefined
        ? await this.#reads.openDeploymentWithoutInvoke.all(ids)
        : await this.#reads.deploymentByInvoke.all({ ...ids, invoke_id: invokeId });
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
    // Likewise, a version this unit inserts has no stored build.
    const [row] = this.createsVersion(versionId)
      ? []
      : invokeId === undefined
        ? await this.#reads.openBuildWithoutInvoke.all({ version_id: versionId })
        : await this.#reads.buildByInvoke.all({ version_id: versionId, invoke_id: invokeId });
    this.#builds.set(key, row ?? null);
    return row;
  }

  rememberBuild(row: BuildRow): void {
    this.#builds.set(`${row.version_id}\u0000${row.invoke_id ?? ""}`, row);
  }

  async state(productId: string, environmentId: string): Promise<StateRow | undefined> {
    const key = `${productId}\u0000${environmentId}`;
    if (this.#state.has(key)) return this.#state.get(key) ?? undefined;
    const [row] = await this.#reads.state.all({ product_id: productId, environment_id: environmentId });
    this.#state.set(key, row ?? null);
    return row;
  }

  rememberState(row: StateRow): void {
    this.#state.set(`${row.product_id}\u0000${row.environment_id}`, row);
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
    if (cached) return cached;
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

  rememberEvent(row: EventRow): void {
    if (row.idempotency_key) this.#eventsByKey.set(row.idempotency_key, row);
    this.#plannedEvents.set(row.id, row);
    const stream: EventStream = row.environment_id
      ? { product_id: row.product_id, environment_id: row.environment_id }
      : { version_id: row.version_id };
    this.#latestEvents.set(streamKey(stream), row);
  }
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
