import { randomBytes, randomUUID } from "node:crypto";
import { and, desc, eq } from "drizzle-orm";
import { type Actor, auditInsert } from "../audit/audit-service.ts";
import type { Db } from "../db/client.ts";
import { personalTokens } from "../db/schema/index.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import { bumpCredentialsGeneration } from "./credential-lookups.ts";
import { hashToken, tokenPrefix } from "./tokens.ts";
import { requireUser, type UsersDeps } from "./users-service.ts";

type TokenRow = typeof personalTokens.$inferSelect;

export interface PersonalTokenView {
  id: string;
  name: string;
  prefix: string;
  expires_at: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

function view(row: TokenRow): PersonalTokenView {
  const { token_hash: _h, user_id: _u, ...rest } = row;
  return rest;
}

function generatePersonalToken(): string {
  return `pat_${randomBytes(24).toString("hex")}`;
}

/** Stores a token (given, or new) for a user; the clear token is returned this once. */
export async function insertPersonalToken(
  deps: UsersDeps,
  actor: Actor,
  userId: string,
  input: { name: string; expires_at?: string | null; token?: string },
): Promise<PersonalTokenView & { token: string }> {
  const now = deps.clock.now().toISOString();
  if (input.expires_at && input.expires_at <= now) {
    throw ValidationError.field(["body", "expires_at"], "must be in the future");
  }
  const { statements, created } = personalTokenWrites(deps.database.db, actor, userId, input, now);
  await deps.database.db.batch(statements);
  return created;
}

/** The insert and its audit entry, for callers that write them with other changes in one batch. */
export function personalTokenWrites(
  db: Db,
  actor: Actor,
  userId: string,
  input: { name: string; expires_at?: string | null; token?: string },
  now: string,
) {
  const token = input.token ?? generatePersonalToken();
  const row: TokenRow = {
    id: randomUUID(),
    user_id: userId,
    name: input.name,
    token_hash: hashToken(token),
    prefix: tokenPrefix(token),
    expires_at: input.expires_at ?? null,
    created_at: now,
    last_used_at: null,
    revoked_at: null,
  };
  const statements = [
    db.insert(personalTokens).values(row),
    auditInsert(
      db,
      actor,
      {
        action: "token.create",
        target_type: "token",
        target_id: row.id,
        target_name: row.name,
        after: { ...view(row), user_id: userId },
      },
      now,
    ),
  ] as const;
  return { statements, created: { ...view(row), token } };
}

export async function createPersonalToken(
  deps: UsersDeps,
  actor: Actor,
  input: { name: string; expires_at?: string | null },
) {
  return insertPersonalToken(deps, actor, requireUser(actor), input);
}

export async function listPersonalTokens(deps: UsersDeps, actor: Actor): Promise<PersonalTokenView[]> {
  const rows = await deps.database.db
    .select()
    .from(personalTokens)
    .where(eq(personalTokens.user_id, requireUser(actor)))
    .orderBy(desc(personalTokens.created_at));
  return rows.map(view);
}

/** Revokes one of the caller's own tokens; it stops working on the next request. */
export async function revokePersonalToken(deps: UsersDeps, actor: Actor, id: string): Promise<void> {
  const db = deps.database.db;
  const [row] = await db
    .select()
    .from(personalTokens)
    .where(and(eq(personalTokens.id, id), eq(personalTokens.user_id, requireUser(actor))))
    .limit(1);
  if (!row || row.revoked_at) throw new NotFoundError("Token");
  const now = deps.clock.now().toISOString();
  await db.batch([
    db.update(personalTokens).set({ revoked_at: now }).where(eq(personalTokens.id, row.id)),
    bumpCredentialsGeneration(db),
    auditInsert(
      db,
      actor,
      { action: "token.revoke", target_type: "token", target_id: row.id, target_name: row.name },
      now,
    ),
  ]);
}
