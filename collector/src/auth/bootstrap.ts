import { and, count, eq, isNull } from "drizzle-orm";
import type { Actor } from "../audit/audit-service.ts";
import { personalTokens, users } from "../db/schema/index.ts";
import { SYSTEM_PRINCIPAL } from "./capabilities.ts";
import { insertPersonalToken } from "./personal-tokens-service.ts";
import { hashToken } from "./tokens.ts";
import { createUser, type UsersDeps } from "./users-service.ts";

const SYSTEM_ACTOR: Actor = { principal: SYSTEM_PRINCIPAL, requestId: "bootstrap" };

/**
 * On first start (no user at all) creates the admin user and its token: VERSIONER_BOOTSTRAP_TOKEN
 * when set, a new `pat_…` otherwise. Returns the token only when generated here, to print once.
 * The token is the admin's personal token: it acts as that user and stays valid until revoked.
 * Later starts report a VERSIONER_BOOTSTRAP_TOKEN that is not a live token as `ignoredToken`.
 */
export async function bootstrapAdmin(
  deps: UsersDeps,
  options: { token?: string; email: string },
): Promise<{ created: boolean; generatedToken?: string; ignoredToken?: boolean }> {
  const [{ value } = { value: 0 }] = await deps.database.db.select({ value: count() }).from(users);
  if (value > 0) {
    return options.token && !(await isLiveToken(deps, options.token))
      ? { created: false, ignoredToken: true }
      : { created: false };
  }
  try {
    const admin = await createUser(deps, SYSTEM_ACTOR, {
      email: options.email,
      name: "Administrator",
      role: "admin",
    });
    const created = await insertPersonalToken(deps, SYSTEM_ACTOR, admin.id, {
      name: "bootstrap",
      ...(options.token ? { token: options.token } : {}),
    });
    return { created: true, generatedToken: options.token ? undefined : created.token };
  } catch (error) {
    // Two collectors starting together on one empty database: the other one bootstrapped.
    if (String((error as { code?: string }).code ?? error).includes("EMAIL_TAKEN")) return { created: false };
    throw error;
  }
}

// Kept across restarts, the first start's token is still the admin's: only a different (or revoked) one is ignored.
async function isLiveToken(deps: UsersDeps, token: string): Promise<boolean> {
  const [row] = await deps.database.db
    .select({ id: personalTokens.id })
    .from(personalTokens)
    .where(and(eq(personalTokens.token_hash, hashToken(token)), isNull(personalTokens.revoked_at)))
    .limit(1);
  return row !== undefined;
}
