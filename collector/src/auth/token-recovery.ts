import { and, asc, eq, isNull } from "drizzle-orm";
import { type Actor, auditInsert } from "../audit/audit-service.ts";
import { personalTokens, sessions, users } from "../db/schema/index.ts";
import { DomainError } from "../errors.ts";
import { SYSTEM_PRINCIPAL } from "./capabilities.ts";
import { bumpCredentialsGeneration } from "./credential-lookups.ts";
import { personalTokenWrites } from "./personal-tokens-service.ts";
import { normaliseEmail, type UsersDeps } from "./users-service.ts";

/** Who the audit log names for changes made by `server.js admin …` on the database itself. */
export const ADMIN_COMMAND_ACTOR: Actor = { principal: SYSTEM_PRINCIPAL, requestId: "admin-command" };

export interface TokenReset {
  email: string;
  token: string;
  revokedTokens: number;
  revokedSessions: number;
}

/**
 * The way back in when the admin token is lost: a new personal token for the user, with every
 * earlier token and session of that user revoked (a lost token may be in someone else's hands),
 * all in one transaction and audited. Run by the operator against the database, not over HTTP.
 */
export async function resetUserToken(deps: UsersDeps, email: string): Promise<TokenReset> {
  const db = deps.database.db;
  return deps.database.writeLock.run(async () => {
    const wanted = normaliseEmail(email);
    const [user] = await db.select().from(users).where(eq(users.email, wanted)).limit(1);
    if (!user) {
      const admins = await db
        .select({ email: users.email })
        .from(users)
        .where(and(eq(users.role, "admin"), eq(users.active, true)))
        .orderBy(asc(users.email));
      throw new DomainError(
        404,
        "NOT_FOUND",
        admins.length > 0
          ? `No user with email '${wanted}'. Active admins: ${admins.map((a) => a.email).join(", ")}; pass --email <email>.`
          : `No user with email '${wanted}', and no admin at all: the collector's first start creates one.`,
      );
    }
    if (!user.active) {
      throw new DomainError(
        409,
        "CONFLICT",
        `User '${wanted}' is deactivated: reset the token of an active admin instead.`,
      );
    }
    const now = deps.clock.now().toISOString();
    const liveTokens = and(eq(personalTokens.user_id, user.id), isNull(personalTokens.revoked_at));
    const liveSessions = and(eq(sessions.user_id, user.id), isNull(sessions.revoked_at));
    const [tokenRows, sessionRows] = await Promise.all([
      db.select({ id: personalTokens.id }).from(personalTokens).where(liveTokens),
      db.select({ id: sessions.id }).from(sessions).where(liveSessions),
    ]);
    const { statements, created } = personalTokenWrites(
      db,
      ADMIN_COMMAND_ACTOR,
      user.id,
      { name: `reset ${now.slice(0, 10)}` },
      now,
    );
    await db.batch([
      db.update(personalTokens).set({ revoked_at: now }).where(liveTokens),
      bumpCredentialsGeneration(db),
      db.update(sessions).set({ revoked_at: now }).where(liveSessions),
      ...statements,
      auditInsert(
        db,
        ADMIN_COMMAND_ACTOR,
        {
          action: "user.reset_token",
          target_type: "user",
          target_id: user.id,
          target_name: user.email,
          // Field names avoid "token": the audit log redacts such fields.
          after: {
            issued_id: created.id,
            revoked_ids: tokenRows.map((row) => row.id),
            revoked_sessions: sessionRows.length,
          },
        },
        now,
      ),
    ]);
    return {
      email: user.email,
      token: created.token,
      revokedTokens: tokenRows.length,
      revokedSessions: sessionRows.length,
    };
  });
}
