import { randomUUID } from "node:crypto";
import { ERROR_CODES } from "@versioner/schema";
import { and, asc, eq } from "drizzle-orm";
import { type Actor, auditInsert } from "../audit/audit-service.ts";
import { findEnvironment } from "../catalog/environments-service.ts";
import { findProduct } from "../catalog/products-service.ts";
import type { Database, Db } from "../db/client.ts";
import { bumpConfigGeneration, type ConfigReader } from "../db/config-generation.ts";
import { environmentLocks, environments, products } from "../db/schema/index.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
import type { Lock } from "./rules-schema.ts";
import type { GovernanceDeps } from "./rules-service.ts";

/** A lock with the names it is shown by. */
export interface LockEntry {
  id: string;
  environment_id: string;
  environment: string;
  product_id: string | null;
  product: string | null;
  reason: string;
  locked_by: string;
  created_at: string;
  expires_at: string | null;
}

const WHOLE_ENVIRONMENT = "*";

function view(entry: LockEntry): Lock {
  return {
    id: entry.id,
    environment: entry.environment,
    product: entry.product,
    reason: entry.reason,
    locked_by: entry.locked_by,
    created_at: entry.created_at,
    expires_at: entry.expires_at,
  };
}

function isActive(entry: { expires_at: string | null }, now: Date): boolean {
  return entry.expires_at === null || Date.parse(entry.expires_at) > now.getTime();
}

// Async on purpose: a drizzle query is a thenable that runs again each time it is awaited, and the
// cache must hold the rows, not the query.
async function loadLocks(db: Db): Promise<LockEntry[]> {
  return await db
    .select({
      id: environmentLocks.id,
      environment_id: environmentLocks.environment_id,
      environment: environments.name,
      product_id: environmentLocks.product_id,
      product: products.name,
      reason: environmentLocks.reason,
      locked_by: environmentLocks.locked_by,
      created_at: environmentLocks.created_at,
      expires_at: environmentLocks.expires_at,
    })
    .from(environmentLocks)
    .innerJoin(environments, eq(environments.id, environmentLocks.environment_id))
    .leftJoin(products, eq(products.id, environmentLocks.product_id))
    .orderBy(asc(environmentLocks.created_at), asc(environmentLocks.id));
}

/**
 * Every stored lock, expired ones included (the caller compares with its clock), kept in memory
 * like the rules while the configuration generation is unchanged (`config`: a group commit's view).
 */
export function storedLocks(
  database: Database,
  config: ConfigReader = database.configCache,
): Promise<LockEntry[]> {
  return config.get(loadLocks);
}

/** The active lock that stops `productId` in `environmentId`: a product's own lock before the environment's. */
export async function lockFor(
  database: Database,
  environmentId: string,
  productId: string | undefined,
  now: Date,
  config?: ConfigReader,
): Promise<LockEntry | undefined> {
  const locks = (await storedLocks(database, config)).filter(
    (lock) => lock.environment_id === environmentId && isActive(lock, now),
  );
  return (
    // A stored lock's product_id is an id or null, never undefined: no product matches no product lock.
    locks.find((lock) => lock.product_id === productId) ?? locks.find((lock) => lock.product_id === null)
  );
}

export async function listLocks(deps: GovernanceDeps): Promise<Lock[]> {
  const now = deps.clock.now();
  return (await loadLocks(deps.database.db)).filter((lock) => isActive(lock, now)).map(view);
}

export async function lockEnvironment(
  deps: GovernanceDeps,
  actor: Actor,
  environmentRef: string,
  input: { reason: string; expires_at?: string; product?: string },
): Promise<Lock> {
  return deps.database.writeLock.run(async () => {
    const environment = await findEnvironment(deps, environmentRef);
    const product = input.product === undefined ? undefined : await findProduct(deps, input.product);
    const scopeKey = product?.id ?? WHOLE_ENVIRONMENT;
    const now = deps.clock.now();
    const db = deps.database.db;
    const [existing] = await db
      .select()
      .from(environmentLocks)
      .where(
        and(eq(environmentLocks.environment_id, environment.id), eq(environmentLocks.scope_key, scopeKey)),
      )
      .limit(1);
    const what = product ? `${environment.name} for ${product.name}` : environment.name;
    if (existing && isActive(existing, now)) {
      throw new ConflictError(
        ERROR_CODES.CONFLICT,
        `${what} is already locked by ${existing.locked_by}: ${existing.reason}`,
      );
    }
    const expiresAt = input.expires_at === undefined ? null : new Date(input.expires_at);
    if (expiresAt && expiresAt.getTime() <= now.getTime()) {
      throw new ConflictError(ERROR_CODES.CONFLICT, "expires_at is in the past: the lock would never hold");
    }
    const entry: LockEntry = {
      id: randomUUID(),
      environment_id: environment.id,
      environment: environment.name,
      product_id: product?.id ?? null,
      product: product?.name ?? null,
      reason: input.reason,
      locked_by: actor.principal.name,
      created_at: now.toISOString(),
      expires_at: expiresAt?.toISOString() ?? null,
    };
    const statements = [
      db.insert(environmentLocks).values({
        id: entry.id,
        environment_id: entry.environment_id,
        product_id: entry.product_id,
        scope_key: scopeKey,
        reason: entry.reason,
        locked_by: entry.locked_by,
        created_at: entry.created_at,
        expires_at: entry.expires_at,
      }),
      auditInsert(
        db,
        actor,
        {
          action: "environment.lock",
          target_type: "environment",
          target_id: environment.id,
          target_name: what,
          after: view(entry),
        },
        entry.created_at,
      ),
    ] as const;
    // An expired lock on the same scope is history: the new one takes its place.
    if (existing)
      await db.batch([
        db.delete(environmentLocks).where(eq(environmentLocks.id, existing.id)),
        ...statements,
        bumpConfigGeneration(db),
      ]);
    else await db.batch([...statements, bumpConfigGeneration(db)]);
    deps.database.configCache.invalidate();
    return view(entry);
  });
}

export async function unlockEnvironment(
  deps: GovernanceDeps,
  actor: Actor,
  environmentRef: string,
  productRef: string | undefined,
): Promise<void> {
  await deps.database.writeLock.run(async () => {
    const environment = await findEnvironment(deps, environmentRef);
    const product = productRef === undefined ? undefined : await findProduct(deps, productRef);
    const scopeKey = product?.id ?? WHOLE_ENVIRONMENT;
    const db = deps.database.db;
    const [existing] = await db
      .select()
      .from(environmentLocks)
      .where(
        and(eq(environmentLocks.environment_id, environment.id), eq(environmentLocks.scope_key, scopeKey)),
      )
      .limit(1);
    const what = product ? `${environment.name} for ${product.name}` : environment.name;
    if (!existing) throw new NotFoundError(`A lock on ${what}`);
    await db.batch([
      db.delete(environmentLocks).where(eq(environmentLocks.id, existing.id)),
      bumpConfigGeneration(db),
      auditInsert(
        db,
        actor,
        {
          action: "environment.unlock",
          target_type: "environment",
          target_id: environment.id,
          target_name: what,
          before: { reason: existing.reason, locked_by: existing.locked_by, expires_at: existing.expires_at },
        },
        deps.clock.now().toISOString(),
      ),
    ]);
    deps.database.configCache.invalidate();
  });
}
