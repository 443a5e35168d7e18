import { count } from "drizzle-orm";
import type { Actor } from "../audit/audit-service.ts";
import { users } from "../db/schema/index.ts";
import { SYSTEM_PRINCIPAL } from "./capabilities.ts";
import { insertPersonalToken } from "./personal-tokens-service.ts";
import { createUser, type UsersDeps } from "./users-service.ts";

const SYSTEM_ACTOR: Actor = { principal: SYSTEM_PRINCIPAL, requestId: "bootstrap" };

/**
 * On first start (no user at all) creates the admin user and its token: VERSIONER_BOOTSTRAP_TOKEN
 * when set, a new `pat_…` otherwise. Returns the token only when generated here, to print once.
 * The token is the admin's personal token: it acts as that user and stays valid until revoked.
 */
export async function bootstrapAdmin(
  deps: UsersDeps,
  options: { token?: string; email: string },
): Promise<{ created: boolean; generatedToken?: string }> {
  const [{ value } = { value: 0 }] = await deps.database.db.select({ value: count() }).from(users);
  if (value > 0) return { created: false };
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
