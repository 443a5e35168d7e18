import { randomUUID } from "node:crypto";
import {
  ENVIRONMENT_TYPES,
  type Environment,
  type EnvironmentType,
  ERROR_CODES,
  environmentTypeRank,
  inferEnvironmentType,
} from "@versioner/schema";
import { desc, eq, or } from "drizzle-orm";
import { type Actor, auditInsert } from "../audit/audit-service.ts";
import { environments } from "../db/schema/index.ts";
import { ConflictError, NotFoundError, ValidationError } from "../errors.ts";
import type { CatalogDeps } from "./products-service.ts";

type EnvironmentRow = typeof environments.$inferSelect;

function view(row: EnvironmentRow): Environment {
  return { ...row, type: row.type as EnvironmentType };
}

/** Promotion order: by type (dev → production), then sort_order, then name. */
export function compareEnvironments(a: EnvironmentRow, b: EnvironmentRow): number {
  return (
    environmentTypeRank(a.type as EnvironmentType) - environmentTypeRank(b.type as EnvironmentType) ||
    a.sort_order - b.sort_order ||
    a.name.localeCompare(b.name)
  );
}

/** All environments in promotion order (there are few: no pagination). */
export async function listEnvironments(
  deps: CatalogDeps,
  query: { type?: EnvironmentType },
): Promise<Environment[]> {
  const rows = await deps.database.db
    .select()
    .from(environments)
    .where(query.type ? eq(environments.type, query.type) : undefined);
  return rows.sort(compareEnvironments).map(view);
}

export async function findEnvironment(deps: CatalogDeps, ref: string): Promise<EnvironmentRow> {
  const [row] = await deps.database.db
    .select()
    .from(environments)
    .where(or(eq(environments.id, ref), eq(environments.name, ref)))
    .limit(1);
  if (!row) throw new NotFoundError(`Environment '${ref}'`);
  return row;
}

/**
 * Resolves environment names (or ids) to ids, without repeats; an unknown one is a 422 whose
 * `loc` points at it (`[...loc, index]`).
 */
export async function environmentIdsByName(
  deps: CatalogDeps,
  names: string[],
  loc: Array<string | number>,
): Promise<string[]> {
  const ids: string[] = [];
  for (const [index, name] of names.entries()) {
    try {
      ids.push((await findEnvironment(deps, name)).id);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      throw ValidationError.field([...loc, index], `Unknown environment '${name}'`);
    }
  }
  return [...new Set(ids)];
}

export async function getEnvironment(deps: CatalogDeps, ref: string): Promise<Environment> {
  return view(await findEnvironment(deps, ref));
}

export interface EnvironmentInput {
  name?: string;
  type?: EnvironmentType;
  description?: string | null;
  metadata?: Record<string, unknown>;
  sort_order?: number;
}

/** Pre-creates an environment; the type is inferred from the name unless given. */
export async function createEnvironment(
  deps: CatalogDeps,
  actor: Actor,
  input: EnvironmentInput & { name: string },
): Promise<Environment> {
  return deps.database.writeLock.run(async () => {
    await assertNameFree(deps, input.name);
    const now = deps.clock.now().toISOString();
    const [last] = await deps.database.db
      .select({ sort_order: environments.sort_order })
      .from(environments)
      .orderBy(desc(environments.sort_order))
      .limit(1);
    const row: EnvironmentRow = {
      id: randomUUID(),
      name: input.name,
      type: input.type ?? inferEnvironmentType(input.name),
      description: input.description ?? null,
      metadata: input.metadata ?? {},
      sort_order: input.sort_order ?? (last?.sort_order ?? 0) + 10,
      created_at: now,
      updated_at: now,
    };
    const db = deps.database.db;
    await db.batch([
      db.insert(environments).values(row),
      auditInsert(
        db,
        actor,
        {
          action: "environment.create",
          target_type: "environment",
          target_id: row.id,
          target_name: row.name,
          after: row,
        },
        now,
      ),
    ]);
    return view(row);
  });
}

/** Edits or renames an environment; its deployments and state follow by id. */
export async function updateEnvironment(
  deps: CatalogDeps,
  actor: Actor,
  ref: string,
  input: EnvironmentInput,
): Promise<Environment> {
  return deps.database.writeLock.run(async () => {
    const current = await findEnvironment(deps, ref);
    if (input.name !== undefined && input.name !== current.name) await assertNameFree(deps, input.name);
    const next: EnvironmentRow = {
      ...current,
      name: input.name ?? current.name,
      type: input.type ?? current.type,
      description: input.description === undefined ? current.description : input.description,
      metadata: input.metadata ?? current.metadata,
      sort_order: input.sort_order ?? current.sort_order,
      updated_at: deps.clock.now().toISOString(),
    };
    const db = deps.database.db;
    await db.batch([
      db.update(environments).set(next).where(eq(environments.id, current.id)),
      auditInsert(
        db,
        actor,
        {
          action: "environment.update",
          target_type: "environment",
          target_id: current.id,
          target_name: next.name,
          before: current,
          after: next,
        },
        next.updated_at,
      ),
    ]);
    return view(next);
  });
}

/**
 * Moves an environment one place up or down among those of its type (the type ranks first in
 * the promotion order, so order only changes within a type). The type's environments are
 * renumbered 10, 20, 30… in their new order in one batch, so equal sort_orders (environments
 * created with the same one) cannot make a move a no-op. At either end it is a no-op.
 */
export async function moveEnvironment(
  deps: CatalogDeps,
  actor: Actor,
  ref: string,
  direction: "up" | "down",
): Promise<Environment> {
  return deps.database.writeLock.run(async () => {
    const current = await findEnvironment(deps, ref);
    const db = deps.database.db;
    const sameType = (await db.select().from(environments).where(eq(environments.type, current.type))).sort(
      compareEnvironments,
    );
    const index = sameType.findIndex((row) => row.id === current.id);
    const target = direction === "up" ? index - 1 : index + 1;
    const neighbour = sameType[target];
    if (!neighbour) return view(current);
    sameType[target] = current;
    sameType[index] = neighbour;
    const now = deps.clock.now().toISOString();
    const updates = sameType.flatMap((row, i) =>
      row.sort_order === (i + 1) * 10
        ? []
        : [
            db
              .update(environments)
              .set({ sort_order: (i + 1) * 10, updated_at: now })
              .where(eq(environments.id, row.id)),
          ],
    );
    const next = { ...current, sort_order: (target + 1) * 10, updated_at: now };
    await db.batch([
      auditInsert(
        db,
        actor,
        {
          action: "environment.update",
          target_type: "environment",
          target_id: current.id,
          target_name: current.name,
          before: current,
          after: next,
        },
        now,
      ),
      ...updates,
    ]);
    return view(next);
  });
}

async function assertNameFree(deps: CatalogDeps, name: string): Promise<void> {
  const [taken] = await deps.database.db
    .select({ id: environments.id })
    .from(environments)
    .where(eq(environments.name, name))
    .limit(1);
  if (taken) throw new ConflictError(ERROR_CODES.NAME_TAKEN, `An environment named '${name}' already exists`);
}

export { ENVIRONMENT_TYPES };
