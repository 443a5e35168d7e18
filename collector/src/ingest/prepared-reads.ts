import type { Client, InValue } from "@libsql/client";
import { IN_PROGRESS_STATUSES } from "@versioner/schema";
import { and, desc, eq, fillPlaceholders, isNull, or, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { prepareGenerationRead } from "../db/config-generation.ts";
import {
  builds,
  currentState,
  deployments,
  environments,
  events,
  products,
  versions,
} from "../db/schema/index.ts";

const p = (name: string) => sql.placeholder(name);
// Only what the repeat and lifecycle rules need: the response is read when an event repeats.
const latestEventColumns = {
  id: events.id,
  body_hash: events.body_hash,
  record_id: events.record_id,
  received_at: events.received_at,
};
const unfinished = (status: typeof deployments.status | typeof builds.status) =>
  or(...IN_PROGRESS_STATUSES.map((inProgress) => eq(status, inProgress)));

// Every ingest event runs these reads; preparing them once (by the group committer, one per
// DatabaseRuntime) spares drizzle from building the same SQL again for each event (a quarter of
// ingest CPU in a profile). `server`: the client of a libSQL server, which `together` sends the
// group's prefetch reads to in one request (none for a local file).
export function prepareIngestReads(db: Db, server?: Client) {
  return {
    prefetch: preparePrefetchReads(db),
    together: readsTogether(server),
    /** Whether `together` sends its reads as one request (a libSQL server). */
    batched: server !== undefined,
    /** A settings generation, for the group's first reads on a libSQL server (GroupConfig.prime). */
    generation: prepareGenerationRead(db),
    productByName: db
      .select()
      .from(products)
      .where(eq(products.name, p("name")))
      .limit(1)
      .prepare(),
    version: db
      .select()
      .from(versions)
      .where(and(eq(versions.product_id, p("product_id")), eq(versions.version, p("version"))))
      .limit(1)
      .prepare(),
    environmentByName: db
      .select()
      .from(environments)
      .where(eq(environments.name, p("name")))
      .limit(1)
      .prepare(),
    deploymentByInvoke: db
      .select()
      .from(deployments)
      .where(
        and(
          eq(deployments.product_id, p("product_id")),
          eq(deployments.environment_id, p("environment_id")),
          eq(deployments.version_id, p("version_id")),
          eq(deployments.invoke_id, p("invoke_id")),
        ),
      )
      .orderBy(desc(deployments.created_at), desc(deployments.id))
      .limit(1)
      .prepare(),
    openDeploymentWithoutInvoke: db
      .select()
      .from(deployments)
      .where(
        and(
          eq(deployments.product_id, p("product_id")),
          eq(deployments.environment_id, p("environment_id")),
          eq(deployments.version_id, p("version_id")),
          isNull(deployments.invoke_id),
          unfinished(deployments.status),
        ),
      )
      .orderBy(desc(deployments.created_at), desc(deployments.id))
      .limit(1)
      .prepare(),
    buildByInvoke: db
      .select()
      .from(builds)
      .where(and(eq(builds.version_id, p("version_id")), eq(builds.invoke_id, p("invoke_id"))))
      .orderBy(desc(builds.created_at), desc(builds.id))
      .limit(1)
      .prepare(),
    openBuildWithoutInvoke: db
      .select()
      .from(builds)
      .where(and(eq(builds.version_id, p("version_id")), isNull(builds.invoke_id), unfinished(builds.status)))
      .orderBy(desc(builds.created_at), desc(builds.id))
      .limit(1)
      .prepare(),
    state: db
      .select()
      .from(currentState)
      .where(
        and(
          eq(currentState.product_id, p("product_id")),
          eq(currentState.environment_id, p("environment_id")),
        ),
      )
      .limit(1)
      .prepare(),
    eventByIdempotencyKey: db
      .select()
      .from(events)
      .where(eq(events.idempotency_key, p("key")))
      .limit(1)
      .prepare(),
    // The cell keeps its latest event's id (the ingest transaction sets it with the cell's write).
    latestDeploymentEvent: db
      .select(latestEventColumns)
      .from(currentState)
      .innerJoin(events, eq(events.id, currentState.latest_event_id))
      .where(
        and(
          eq(currentState.product_id, p("product_id")),
          eq(currentState.environment_id, p("environment_id")),
        ),
      )
      .limit(1)
      .prepare(),
    // Newest first by rowid: insertion order, which a clock stepping back cannot reorder.
    latestBuildEvent: db
      .select(latestEventColumns)
      .from(events)
      .where(and(eq(events.version_id, p("version_id")), isNull(events.environment_id)))
      .orderBy(desc(sql`${events}.rowid`))
      .limit(1)
      .prepare(),
    eventById: db
      .select()
      .from(events)
      .where(eq(events.id, p("id")))
      .limit(1)
      .prepare(),
  };
}

export type PreparedReads = ReturnType<typeof prepareIngestReads>;

/**
 * Keys read per prefetch statement: each is one probe of a unique index, so a chunk holds the
 * event loop for about a millisecond.
 */
export const PREFETCH_KEYS = 250;

/**
 * The keys a prefetch read takes, as one bound value: a JSON array of names, or of `[first,
 * second]` pairs, which SQLite's `json_each` lists. One value of any length: a list of bound
 * values costs the binding about 0.3 µs per value (a chunk of 250 pairs, 500 values: 150 µs before
 * the read began), and needed a statement per length, padded by repeating its last pair, which the
 * read then looked up again (the latest events, returned again).
 */
const keys = sql`json_each(${p("keys")}) AS wanted`;
const first = sql`json_extract(wanted.value, '$[0]')`;
const second = sql`json_extract(wanted.value, '$[1]')`;

/**
 * The group prefetch's set-based reads (UnitOfWork.prefetch), prepared once: built by drizzle for
 * every group, a list of 250 pairs cost more than the read itself, all of it in one turn of the
 * event loop. `keys`: the JSON text of the names or pairs (prefetchKeys).
 */
function preparePrefetchReads(db: Db) {
  return {
    /** The products of these names. */
    products: db
      .select()
      .from(products)
      .where(sql`${products.name} in (select wanted.value from ${keys})`)
      .prepare(),
    /** The environments of these names. */
    environments: db
      .select()
      .from(environments)
      .where(sql`${environments.name} in (select wanted.value from ${keys})`)
      .prepare(),
    /** The versions of exactly these (product_id, version) pairs. */
    versions: db
      .select()
      .from(versions)
      .where(sql`(${versions.product_id}, ${versions.version}) in (select ${first}, ${second} from ${keys})`)
      .prepare(),
    /**
     * The `/state` cells of these (product_id, environment_id) pairs, each with its latest event
     * (`latest`, as latestDeploymentEvent reads it; null when the event is gone).
     */
    states: db
      .select({ state: currentState, latest: latestEventColumns })
      .from(currentState)
      .leftJoin(events, eq(events.id, currentState.latest_event_id))
      .where(
        sql`(${currentState.product_id}, ${currentState.environment_id}) in (select ${first}, ${second} from ${keys})`,
      )
      .prepare(),
  };
}

/** The bound values of a prefetch read: its names or pairs as the JSON text `json_each` lists. */
export function prefetchKeys(chunk: ReadonlyArray<string | readonly [string, string]>): { keys: string } {
  return { keys: JSON.stringify(chunk) };
}

/**
 * One prefetch read of a group: a prepared query, its values, and what to do with its rows
 * (`PreparedReads.together` runs a list of them).
 */
export interface PrefetchStep {
  query: PrefetchQuery<unknown>;
  values: Record<string, unknown>;
  apply(rows: unknown[]): void;
  /** Told when the reads failed before this one's rows were applied. */
  fail?(error: unknown): void;
}

export function prefetchStep<Row>(
  query: PrefetchQuery<Row>,
  values: Record<string, unknown>,
  apply: (rows: Row[]) => void,
  fail?: (error: unknown) => void,
): PrefetchStep {
  return { query, values, apply: apply as (rows: unknown[]) => void, fail };
}

export interface PrefetchQuery<Row> {
  all(values: Record<string, unknown>): Promise<Row[]>;
  getQuery(): { sql: string; params: unknown[] };
  mapAllResult(result: unknown, isFromBatch?: boolean): unknown;
}

/**
 * Runs a group's prefetch reads that do not depend on each other, applying each one's rows in
 * order. On a libSQL server they go as one read batch: one request and one connection opened by the
 * server, where each read alone cost the server about 1 ms to open its connection and the
 * collector about 0.8 ms to send (db/server-fetch.ts). On a local file each runs on its own,
 * `between` letting the event loop turn between them (UnitOfWork.breathe).
 */
function readsTogether(server: Client | undefined) {
  const run = async (steps: readonly PrefetchStep[], between: () => Promise<void>): Promise<void> => {
    if (!server || steps.length < 2) {
      for (const [i, step] of steps.entries()) {
        if (i > 0) await between();
        step.apply(await step.query.all(step.values));
      }
      return;
    }
    const results = await server.batch(
      steps.map(({ query, values }) => {
        const { sql, params } = query.getQuery();
        return { sql, args: fillPlaceholders(params, values) as InValue[] };
      }),
      "read",
    );
    steps.forEach((step, i) => {
      step.apply(step.query.mapAllResult(results[i], true) as unknown[]);
    });
  };
  return async (steps: readonly PrefetchStep[], between: () => Promise<void>): Promise<void> => {
    try {
      await run(steps, between);
    } catch (error) {
      // A step already applied ignores it (its promise, if any, has settled).
      for (const step of steps) step.fail?.(error);
      throw error;
    }
  };
}
