import { randomUUID } from "node:crypto";
import { ERROR_CODES } from "@versioner/schema";
import { and, asc, desc, eq, or, type SQL } from "drizzle-orm";
import { type Actor, auditInsert } from "../audit/audit-service.ts";
import { environmentIdsByName } from "../catalog/environments-service.ts";
import { type CatalogDeps, findProduct } from "../catalog/products-service.ts";
import { bumpConfigGeneration } from "../db/config-generation.ts";
import { afterCursor, toPage } from "../db/pagination.ts";
import { environments, products, releases, releaseVersions, versions } from "../db/schema/index.ts";
import { ConflictError, NotFoundError, ValidationError } from "../errors.ts";
import type { DomainEventBus, ReleaseEvent, ReleaseMember } from "../events/domain-events.ts";
import { EventBatch } from "../events/event-batch.ts";

export const RELEASE_STATUSES = ["draft", "in_progress", "completed", "cancelled"] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];
/** Statuses in which members may change and deployments move the release along. */
export const OPEN_STATUSES: readonly ReleaseStatus[] = ["draft", "in_progress"];

export type ReleaseRow = typeof releases.$inferSelect;

export interface ReleaseDeps extends CatalogDeps {
  bus: DomainEventBus;
}

export interface ReleaseView {
  id: string;
  name: string;
  description: string | null;
  status: ReleaseStatus;
  /** Environment names the release must reach; empty means every production environment. */
  target_environments: string[];
  extra_metadata: Record<string, unknown>;
  started_at: string | null;
  completed_at: string | null;
  cancelled_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface MemberView {
  release_id: string;
  product_id: string;
  product_name: string;
  version_id: string;
  version: string;
  scm_sha: string | null;
  added_at: string;
}

export function releaseView(row: ReleaseRow, envNames: ReadonlyMap<string, string>): ReleaseView {
  const { target_environment_ids, ...rest } = row;
  return {
    ...rest,
    status: row.status as ReleaseStatus,
    target_environments: target_environment_ids.map((id) => envNames.get(id) ?? id),
  };
}

async function environmentNames(deps: CatalogDeps): Promise<Map<string, string>> {
  const rows = await deps.database.db
    .select({ id: environments.id, name: environments.name })
    .from(environments);
  return new Map(rows.map((row) => [row.id, row.name]));
}

/** Newest first, optionally of one status. */
export async function listReleases(
  deps: CatalogDeps,
  query: { status?: ReleaseStatus; limit: number; cursor?: string },
) {
  const where: SQL[] = [];
  if (query.status) where.push(eq(releases.status, query.status));
  if (query.cursor) where.push(afterCursor(query.cursor, releases.created_at, releases.id));
  const rows = await deps.database.db
    .select()
    .from(releases)
    .where(and(...where))
    .orderBy(desc(releases.created_at), desc(releases.id))
    .limit(query.limit + 1);
  const names = await environmentNames(deps);
  return toPage(
    rows,
    query.limit,
    (row) => ({ at: row.created_at, id: row.id }),
    (row) => releaseView(row, names),
  );
}

export async function findRelease(deps: CatalogDeps, ref: string): Promise<ReleaseRow> {
  const [row] = await deps.database.db
    .select()
    .from(releases)
    .where(or(eq(releases.id, ref), eq(releases.name, ref)))
    .limit(1);
  if (!row) throw new NotFoundError(`Release '${ref}'`);
  return row;
}

export async function getRelease(
  deps: CatalogDeps,
  ref: string,
): Promise<ReleaseView & { versions: MemberView[] }> {
  const row = await findRelease(deps, ref);
  return { ...releaseView(row, await environmentNames(deps)), versions: await members(deps, row.id) };
}

export async function members(deps: CatalogDeps, releaseId: string): Promise<MemberView[]> {
  const rows = await deps.database.db
    .select({
      release_id: releaseVersions.release_id,
      product_id: releaseVersions.product_id,
      product_name: products.name,
      version_id: releaseVersions.version_id,
      version: versions.version,
      scm_sha: versions.scm_sha,
      added_at: releaseVersions.added_at,
    })
    .from(releaseVersions)
    .innerJoin(products, eq(products.id, releaseVersions.product_id))
    .innerJoin(versions, eq(versions.id, releaseVersions.version_id))
    .where(eq(releaseVersions.release_id, releaseId))
    .orderBy(asc(products.name));
  return rows;
}

export async function listMembers(deps: CatalogDeps, ref: string): Promise<MemberView[]> {
  return members(deps, (await findRelease(deps, ref)).id);
}

export interface ReleaseInput {
  name?: string;
  description?: string | null;
  extra_metadata?: Record<string, unknown>;
  target_environments?: string[];
}

export function releaseEvent(
  type: ReleaseEvent["type"],
  release: ReleaseRow,
  at: string,
  member: Partial<ReleaseMember> = {},
): ReleaseEvent {
  return { type, occurred_at: at, status: release.status, data: { release, ...member } };
}

export async function createRelease(
  deps: ReleaseDeps,
  actor: Actor,
  input: ReleaseInput & { name: string },
): Promise<ReleaseView> {
  return deps.database.writeLock.run(async () => {
    await assertNameFree(deps, input.name);
    const now = deps.clock.now().toISOString();
    const row: ReleaseRow = {
      id: randomUUID(),
      name: input.name,
      description: input.description ?? null,
      status: "draft",
      target_environment_ids: await environmentIdsByName(deps, input.target_environments ?? [], [
        "body",
        "target_environments",
      ]),
      extra_metadata: input.extra_metadata ?? {},
      started_at: null,
      completed_at: null,
      cancelled_at: null,
      created_at: now,
      updated_at: now,
    };
    const batch = new EventBatch(deps.database.db);
    batch.add(batch.db.insert(releases).values(row));
    batch.add(
      auditInsert(
        batch.db,
        actor,
        {
          action: "release.create",
          target_type: "release",
          target_id: row.id,
          target_name: row.name,
          after: row,
        },
        now,
      ),
    );
    await deps.bus.publish(releaseEvent("release.created", row, now), batch);
    await batch.commit();
    return releaseView(row, await environmentNames(deps));
  });
}

/** Edits name, description, metadata or targets of a release that is still open. */
export async function updateRelease(
  deps: ReleaseDeps,
  actor: Actor,
  ref: string,
  input: ReleaseInput,
): Promise<ReleaseView> {
  return deps.database.writeLock.run(async () => {
    const current = await findRelease(deps, ref);
    assertOpen(current, "edited");
    if (input.name !== undefined && input.name !== current.name) await assertNameFree(deps, input.name);
    const next: ReleaseRow = {
      ...current,
      name: input.name ?? current.name,
      description: input.description === undefined ? current.description : input.description,
      extra_metadata: input.extra_metadata ?? current.extra_metadata,
      target_environment_ids:
        input.target_environments === undefined
          ? current.target_environment_ids
          : await environmentIdsByName(deps, input.target_environments, ["body", "target_environments"]),
      updated_at: deps.clock.now().toISOString(),
    };
    const db = deps.database.db;
    await db.batch([
      db.update(releases).set(next).where(eq(releases.id, current.id)),
      auditInsert(
        db,
        actor,
        {
          action: "release.update",
          target_type: "release",
          target_id: current.id,
          target_name: next.name,
          before: current,
          after: next,
        },
        next.updated_at,
      ),
    ]);
    return releaseView(next, await environmentNames(deps));
  });
}

/** Cancels an open release; cancelling a cancelled release changes nothing. */
export async function cancelRelease(deps: ReleaseDeps, actor: Actor, ref: string): Promise<ReleaseView> {
  return deps.database.writeLock.run(async () => {
    const current = await findRelease(deps, ref);
    if (current.status === "cancelled") return releaseView(current, await environmentNames(deps));
    assertOpen(current, "cancelled");
    const now = deps.clock.now().toISOString();
    const next: ReleaseRow = { ...current, status: "cancelled", cancelled_at: now, updated_at: now };
    const batch = new EventBatch(deps.database.db);
    batch.add(batch.db.update(releases).set(next).where(eq(releases.id, current.id)));
    batch.add(
      auditInsert(
        batch.db,
        actor,
        {
          action: "release.cancel",
          target_type: "release",
          target_id: current.id,
          target_name: current.name,
          before: current,
          after: next,
        },
        now,
      ),
    );
    await deps.bus.publish(releaseEvent("release.cancelled", next, now), batch);
    await batch.commit();
    return releaseView(next, await environmentNames(deps));
  });
}

export interface MemberInput {
  product_name?: string;
  version?: string;
  version_id?: string;
  /** Replace the product's current member version instead of failing with 409. */
  replace?: boolean;
}

/**
 * Adds a version; a release holds at most one version per product. The same version again is
 * a no-op (`created: false`); another version of a member product needs `replace: true`.
 */
export async function addMember(
  deps: ReleaseDeps,
  actor: Actor,
  ref: string,
  input: MemberInput,
): Promise<{ member: MemberView; created: boolean }> {
  return deps.database.writeLock.run(async () => {
    const release = await findRelease(deps, ref);
    assertOpen(release, "changed");
    const version = await resolveVersion(deps, input);
    const db = deps.database.db;
    const [existing] = await db
      .select()
      .from(releaseVersions)
      .where(
        and(eq(releaseVersions.release_id, release.id), eq(releaseVersions.product_id, version.product_id)),
      )
      .limit(1);
    const view = (added_at: string): MemberView => ({
      release_id: release.id,
      product_id: version.product_id,
      product_name: version.product_name,
      version_id: version.id,
      version: version.version,
      scm_sha: version.scm_sha,
      added_at,
    });
    if (existing?.version_id === version.id) return { member: view(existing.added_at), created: false };
    if (existing && !input.replace) {
      const [held] = await db
        .select({ version: versions.version })
        .from(versions)
        .where(eq(versions.id, existing.version_id));
      throw new ConflictError(
        ERROR_CODES.RELEASE_MEMBER_CONFLICT,
        `Release '${release.name}' already holds ${version.product_name} ${held?.version ?? existing.version_id}; send replace: true to swap it for ${version.version}`,
      );
    }
    const now = deps.clock.now().toISOString();
    const row = {
      release_id: release.id,
      product_id: version.product_id,
      version_id: version.id,
      added_at: now,
    };
    await db.batch([
      existing
        ? db
            .update(releaseVersions)
            .set(row)
            .where(
              and(
                eq(releaseVersions.release_id, release.id),
                eq(releaseVersions.product_id, version.product_id),
              ),
            )
        : db.insert(releaseVersions).values(row),
      db.update(releases).set({ updated_at: now }).where(eq(releases.id, release.id)),
      // Ingest skips the release lookup while no movable release has a member (release-progress.ts).
      bumpConfigGeneration(db),
      auditInsert(
        db,
        actor,
        {
          action: "release.member_add",
          target_type: "release",
          target_id: release.id,
          target_name: release.name,
          before: existing ?? null,
          after: { ...row, product_name: version.product_name, version: version.version },
        },
        now,
      ),
    ]);
    deps.database.configCache.invalidate();
    return { member: view(now), created: true };
  });
}

export async function removeMember(
  deps: ReleaseDeps,
  actor: Actor,
  ref: string,
  versionId: string,
): Promise<void> {
  await deps.database.writeLock.run(async () => {
    const release = await findRelease(deps, ref);
    assertOpen(release, "changed");
    const db = deps.database.db;
    const [existing] = await db
      .select()
      .from(releaseVersions)
      .where(and(eq(releaseVersions.release_id, release.id), eq(releaseVersions.version_id, versionId)))
      .limit(1);
    if (!existing) throw new NotFoundError(`Version '${versionId}' in release '${release.name}'`);
    const now = deps.clock.now().toISOString();
    await db.batch([
      db
        .delete(releaseVersions)
        .where(
          and(
            eq(releaseVersions.release_id, release.id),
            eq(releaseVersions.product_id, existing.product_id),
          ),
        ),
      db.update(releases).set({ updated_at: now }).where(eq(releases.id, release.id)),
      auditInsert(
        db,
        actor,
        {
          action: "release.member_remove",
          target_type: "release",
          target_id: release.id,
          target_name: release.name,
          before: existing,
        },
        now,
      ),
    ]);
  });
}

async function resolveVersion(deps: CatalogDeps, input: MemberInput) {
  const columns = {
    id: versions.id,
    product_id: versions.product_id,
    product_name: products.name,
    version: versions.version,
    scm_sha: versions.scm_sha,
  };
  const query = deps.database.db
    .select(columns)
    .from(versions)
    .innerJoin(products, eq(products.id, versions.product_id));
  if (input.version_id) {
    const [row] = await query.where(eq(versions.id, input.version_id)).limit(1);
    if (!row) throw new NotFoundError(`Version '${input.version_id}'`);
    return row;
  }
  if (!input.product_name || !input.version) {
    throw ValidationError.field(["body"], "Give version_id, or product_name and version", "missing");
  }
  const product = await findProduct(deps, input.product_name);
  const [row] = await query
    .where(and(eq(versions.product_id, product.id), eq(versions.version, input.version)))
    .limit(1);
  if (!row) throw new NotFoundError(`Version '${input.version}' of '${product.name}'`);
  return row;
}

function assertOpen(release: ReleaseRow, what: string): void {
  if (!OPEN_STATUSES.includes(release.status as ReleaseStatus)) {
    throw new ConflictError(
      ERROR_CODES.RELEASE_CLOSED,
      `Release '${release.name}' is ${release.status} and can no longer be ${what}`,
    );
  }
}

async function assertNameFree(deps: CatalogDeps, name: string): Promise<void> {
  const [taken] = await deps.database.db
    .select({ id: releases.id })
    .from(releases)
    .where(eq(releases.name, name))
    .limit(1);
  if (taken) throw new ConflictError(ERROR_CODES.NAME_TAKEN, `A release named '${name}' already exists`);
}
