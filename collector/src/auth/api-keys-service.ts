import { randomUUID } from "node:crypto";
import { and, desc, eq, isNull, or } from "drizzle-orm";
import { type Actor, auditInsert } from "../audit/audit-service.ts";
import type { Clock } from "../clock.ts";
import type { Database } from "../db/client.ts";
import { afterCursor, toPage } from "../db/pagination.ts";
import { apiKeys } from "../db/schema/index.ts";
import { NotFoundError } from "../errors.ts";
import type { ApiKeyScope } from "./capabilities.ts";
import { bumpCredentialsGeneration } from "./credential-lookups.ts";
import { generateApiKey, hashToken, tokenPrefix } from "./tokens.ts";

export interface AuthDeps {
  database: Database;
  clock: Clock;
  org: string;
}

type ApiKeyRow = typeof apiKeys.$inferSelect;

export interface ApiKeyView {
  id: string;
  key_id: string;
  name: string;
  description: string | null;
  scope: ApiKeyScope;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

function view(row: ApiKeyRow): ApiKeyView {
  const { token_hash: _hash, ...rest } = row;
  return { ...rest, scope: row.scope as ApiKeyScope };
}

/** Creates a key; the token is returned this once and only its hash is stored. */
export async function createApiKey(
  deps: AuthDeps,
  actor: Actor,
  input: { name: string; description?: string | null; scope: ApiKeyScope },
): Promise<ApiKeyView & { token: string }> {
  const { token, keyId } = generateApiKey(deps.org);
  const row = await insertKey(deps, actor, { ...input, token, keyId });
  return { ...view(row), token };
}

async function insertKey(
  deps: AuthDeps,
  actor: Actor,
  input: { name: string; description?: string | null; scope: ApiKeyScope; token: string; keyId: string },
): Promise<ApiKeyRow> {
  const row: ApiKeyRow = {
    id: randomUUID(),
    key_id: input.keyId,
    name: input.name,
    description: input.description ?? null,
    scope: input.scope,
    token_hash: hashToken(input.token),
    prefix: tokenPrefix(input.token),
    created_at: deps.clock.now().toISOString(),
    last_used_at: null,
    revoked_at: null,
  };
  const db = deps.database.db;
  await db.batch([
    db.insert(apiKeys).values(row),
    auditInsert(
      db,
      actor,
      {
        action: "api_key.create",
        target_type: "api_key",
        target_id: row.id,
        target_name: row.name,
        after: { ...view(row) },
      },
      row.created_at,
    ),
  ]);
  return row;
}

export async function listApiKeys(
  deps: AuthDeps,
  query: { limit: number; cursor?: string },
): Promise<{ items: ApiKeyView[]; next_cursor: string | null }> {
  const rows = await deps.database.db
    .select()
    .from(apiKeys)
    .where(query.cursor ? afterCursor(query.cursor, apiKeys.created_at, apiKeys.id) : undefined)
    .orderBy(desc(apiKeys.created_at), desc(apiKeys.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ at: row.created_at, id: row.id }), view);
}

export async function revokeApiKey(deps: AuthDeps, actor: Actor, id: string): Promise<void> {
  const db = deps.database.db;
  const [row] = await db
    .select()
    .from(apiKeys)
    .where(and(or(eq(apiKeys.id, id), eq(apiKeys.key_id, id)), isNull(apiKeys.revoked_at)))
    .limit(1);
  if (!row) throw new NotFoundError("API key");
  const now = deps.clock.now().toISOString();
  await db.batch([
    db.update(apiKeys).set({ revoked_at: now }).where(eq(apiKeys.id, row.id)),
    bumpCredentialsGeneration(db),
    auditInsert(
      db,
      actor,
      { action: "api_key.revoke", target_type: "api_key", target_id: row.id, target_name: row.name },
      now,
    ),
  ]);
}
