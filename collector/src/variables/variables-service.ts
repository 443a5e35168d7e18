import { randomUUID } from "node:crypto";
import { ERROR_CODES } from "@versioner/schema";
import { and, asc, eq, inArray } from "drizzle-orm";
import { type Actor, auditInsert } from "../audit/audit-service.ts";
import { RESERVED_PREFIX, VARIABLE_KEY } from "../buttons/render-url.ts";
import { type CatalogDeps, findProduct } from "../catalog/products-service.ts";
import type { Db } from "../db/client.ts";
import { variables } from "../db/schema/index.ts";
import { ConflictError, NotFoundError, ValidationError } from "../errors.ts";

export type VariableRow = typeof variables.$inferSelect;

/** What the API shows in place of a secret value. */
export const MASK = "********";

const ORG_SCOPE = "org";

export interface VariableView {
  id: string;
  key: string;
  value: string;
  secret: boolean;
  scope: "org" | "product";
  product_id: string | null;
  description: string | null;
  created_at: string;
  updated_at: string;
}

function view(row: VariableRow): VariableView {
  return {
    id: row.id,
    key: row.key,
    value: row.secret ? MASK : row.value,
    secret: row.secret,
    scope: row.product_id ? "product" : "org",
    product_id: row.product_id,
    description: row.description,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** A secret's value is sealed at rest (AES-256-GCM); nothing reads it back but an update. */
function sealed(deps: CatalogDeps, row: VariableRow): VariableRow {
  return row.secret ? { ...row, value: deps.database.secrets.seal(row.value) } : row;
}

// The audit entry of a secret never holds its value, not even redacted.
function auditView(row: VariableRow): Record<string, unknown> {
  const { value, ...rest } = row;
  return row.secret ? rest : { ...rest, value };
}

/** `product` is a product id or name for product scope, undefined for org scope. */
async function scopeOf(deps: CatalogDeps, product: string | undefined) {
  if (product === undefined) return { scopeId: ORG_SCOPE, productId: null, label: "org" };
  const row = await findProduct(deps, product);
  return { scopeId: row.id, productId: row.id, label: `product '${row.name}'` };
}

export async function listVariables(deps: CatalogDeps, product?: string): Promise<VariableView[]> {
  const scope = await scopeOf(deps, product);
  const rows = await deps.database.db
    .select()
    .from(variables)
    .where(eq(variables.scope_id, scope.scopeId))
    .orderBy(asc(variables.key));
  return rows.map(view);
}

export async function getVariable(deps: CatalogDeps, product: string | undefined, key: string) {
  const scope = await scopeOf(deps, product);
  return view(await findVariable(deps.database.db, scope.scopeId, key, scope.label));
}

async function findVariable(db: Db, scopeId: string, key: string, label: string): Promise<VariableRow> {
  const [row] = await db
    .select()
    .from(variables)
    .where(and(eq(variables.scope_id, scopeId), eq(variables.key, key)))
    .limit(1);
  if (!row) throw new NotFoundError(`Variable '${key}' of ${label}`);
  return row;
}

/** Key rule of SPEC.md: `^[a-z][a-z0-9_]*$`, and `vi_` is reserved for the built-ins. */
function assertValidKey(key: string): void {
  if (!VARIABLE_KEY.test(key)) {
    throw ValidationError.field(
      ["body", "key"],
      "must start with a lowercase letter and hold only lowercase letters, digits and underscores",
    );
  }
  if (key.startsWith(RESERVED_PREFIX)) {
    throw ValidationError.field(
      ["body", "key"],
      `the '${RESERVED_PREFIX}' prefix is reserved for built-in variables`,
    );
  }
}

export interface VariableInput {
  key: string;
  value: string;
  secret?: boolean;
  description?: string | null;
}

export async function createVariable(
  deps: CatalogDeps,
  actor: Actor,
  product: string | undefined,
  input: VariableInput,
): Promise<VariableView> {
  assertValidKey(input.key);
  return deps.database.writeLock.run(async () => {
    const scope = await scopeOf(deps, product);
    const db = deps.database.db;
    const [taken] = await db
      .select({ id: variables.id })
      .from(variables)
      .where(and(eq(variables.scope_id, scope.scopeId), eq(variables.key, input.key)))
      .limit(1);
    if (taken) {
      throw new ConflictError(
        ERROR_CODES.NAME_TAKEN,
        `Variable '${input.key}' already exists in ${scope.label}`,
      );
    }
    const now = deps.clock.now().toISOString();
    const row: VariableRow = {
      id: randomUUID(),
      scope_id: scope.scopeId,
      product_id: scope.productId,
      key: input.key,
      value: input.value,
      secret: input.secret ?? false,
      description: input.description ?? null,
      created_at: now,
      updated_at: now,
    };
    await db.batch([
      db.insert(variables).values(sealed(deps, row)),
      auditInsert(
        db,
        actor,
        {
          action: "variable.create",
          target_type: "variable",
          target_id: row.id,
          target_name: row.key,
          after: auditView(row),
        },
        now,
      ),
    ]);
    return view(row);
  });
}

export async function updateVariable(
  deps: CatalogDeps,
  actor: Actor,
  product: string | undefined,
  key: string,
  input: { value?: string; secret?: boolean; description?: string | null },
): Promise<VariableView> {
  return deps.database.writeLock.run(async () => {
    const scope = await scopeOf(deps, product);
    const db = deps.database.db;
    const current = await findVariable(db, scope.scopeId, key, scope.label);
    // Turning a secret into a plain variable would reveal the stored value: ask for a new one.
    if (current.secret && input.secret === false && input.value === undefined) {
      throw ValidationError.field(
        ["body", "value"],
        "a new value is required when a secret variable stops being secret",
        "missing",
      );
    }
    const next: VariableRow = {
      ...current,
      value: input.value ?? (current.secret ? deps.database.secrets.open(current.value) : current.value),
      secret: input.secret ?? current.secret,
      description: input.description === undefined ? current.description : input.description,
      updated_at: deps.clock.now().toISOString(),
    };
    await db.batch([
      db.update(variables).set(sealed(deps, next)).where(eq(variables.id, current.id)),
      auditInsert(
        db,
        actor,
        {
          action: "variable.update",
          target_type: "variable",
          target_id: current.id,
          target_name: current.key,
          before: auditView(current),
          after: auditView(next),
        },
        next.updated_at,
      ),
    ]);
    return view(next);
  });
}

export async function deleteVariable(
  deps: CatalogDeps,
  actor: Actor,
  product: string | undefined,
  key: string,
): Promise<void> {
  await deps.database.writeLock.run(async () => {
    const scope = await scopeOf(deps, product);
    const db = deps.database.db;
    const current = await findVariable(db, scope.scopeId, key, scope.label);
    await db.batch([
      db.delete(variables).where(eq(variables.id, current.id)),
      auditInsert(
        db,
        actor,
        {
          action: "variable.delete",
          target_type: "variable",
          target_id: current.id,
          target_name: current.key,
          before: auditView(current),
        },
        deps.clock.now().toISOString(),
      ),
    ]);
  });
}

/** Org variables plus the variables of the given products, for rendering. */
export async function loadVariables(db: Db, productIds: string[]): Promise<VariableRow[]> {
  return db
    .select()
    .from(variables)
    .where(inArray(variables.scope_id, [ORG_SCOPE, ...productIds]));
}

/** Looks a key up in product scope first, then org scope. */
export function variableLookup(rows: VariableRow[]) {
  const org = new Map<string, VariableRow>();
  const byProduct = new Map<string, Map<string, VariableRow>>();
  for (const row of rows) {
    if (!row.product_id) org.set(row.key, row);
    else {
      const map = byProduct.get(row.product_id) ?? new Map<string, VariableRow>();
      map.set(row.key, row);
      byProduct.set(row.product_id, map);
    }
  }
  return (productId: string, key: string): VariableRow | undefined =>
    byProduct.get(productId)?.get(key) ?? org.get(key);
}
