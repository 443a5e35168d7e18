import { IN_PROGRESS_STATUSES } from "@versioner/schema";
import { and, desc, eq, isNull, or, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
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
// ingest CPU in a profile).
export function prepareIngestReads(db: Db) {
  return {
    prefetch: preparePrefetchReads(db),
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
    // Newest first by rowid: insertion order, which a clock stepping back cannot reorder.
    latestDeploymentEvent: db
      .select(latestEventColumns)
      .from(events)
      .where(and(eq(events.product_id, p("product_id")), eq(events.environment_id, p("environment_id"))))
      .orderBy(desc(sql`${events}.rowid`))
      .limit(1)
      .prepare(),
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
 * Version pairs read per prefetch statement: each is one probe of the unique index, so a chunk
 * holds the event loop for about a millisecond and stays far below SQLite's bound-variable limit.
 */
export const PREFETCH_PAIRS = 250;
/** The lengths a prefetch's list of pairs is padded to (the last one is PREFETCH_PAIRS). */
export const PREFETCH_LENGTHS = [1, 4, 16, 64, PREFETCH_PAIRS] as const;

/** `(:a0, :b0), (:a1, :b1), …`: a list of `length` pairs, as placeholders `a<i>` and `b<i>`. */
function pairList(length: number) {
  return sql.join(
    Array.from({ length }, (_, i) => sql`(${p(`a${i}`)}, ${p(`b${i}`)})`),
    sql`, `,
  );
}

/**
 * The group prefetch's set-based reads (UnitOfWork.prefetch), prepared once per padded length:
 * built by drizzle for every group, a list of 250 pairs cost more than the read itself, all of it
 * in one turn of the event loop.
 */
function preparePrefetchReads(db: Db) {
  const byLength = <T>(prepare: (length: number) => T) =>
    new Map(PREFETCH_LENGTHS.map((length) => [length as number, prepare(length)]));
  return {
    /** The versions of exactly these (product_id, version) pairs. */
    versions: byLength((length) =>
      db
        .select()
        .from(versions)
        .where(sql`(${versions.product_id}, ${versions.version}) in (values ${pairList(length)})`)
        .prepare(),
    ),
    /** The `/state` cells of these (product_id, environment_id) pairs. */
    states: byLength((length) =>
      db
        .select()
        .from(currentState)
        .where(
          sql`(${currentState.product_id}, ${currentState.environment_id}) in (values ${pairList(length)})`,
        )
        .prepare(),
    ),
    /** Each of these cells' newest event by rowid (insertion order), as latestDeploymentEvent reads one. */
    latestEvents: byLength((length) =>
      db
        .select({
          ...latestEventColumns,
          product_id: events.product_id,
          environment_id: events.environment_id,
        })
        .from(sql`(VALUES ${pairList(length)}) AS wanted`)
        .innerJoin(
          events,
          sql`${events}.rowid = (
            SELECT rowid FROM ${events} AS e
            WHERE e.product_id = wanted.column1 AND e.environment_id = wanted.column2
            ORDER BY rowid DESC LIMIT 1)`,
        )
        .prepare(),
    ),
  };
}

/** The statement prepared for `length` pairs (one of PREFETCH_LENGTHS: never a silent empty read). */
export function ofLength<T>(prepared: ReadonlyMap<number, T>, length: number): T {
  const statement = prepared.get(length);
  if (!statement) throw new Error(`No prefetch read is prepared for ${length} pairs`);
  return statement;
}
