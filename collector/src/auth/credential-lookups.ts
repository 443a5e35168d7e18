import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { apiKeys, personalTokens, sessions, users } from "../db/schema/index.ts";

const hash = sql.placeholder("hash");

/**
 * The reads that resolve a credential, prepared once per database (DatabaseRuntime): every
 * authenticated request runs one, and drizzle building the same select with its join again for
 * each request cost about as much as the rest of a single-event ingest request's planning.
 */
export class CredentialLookups {
  readonly apiKey;
  readonly personalToken;
  readonly session;

  constructor(db: Db) {
    this.apiKey = db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.token_hash, hash), isNull(apiKeys.revoked_at)))
      .limit(1)
      .prepare();
    this.personalToken = db
      .select({ token: personalTokens, user: users })
      .from(personalTokens)
      .innerJoin(users, eq(users.id, personalTokens.user_id))
      .where(and(eq(personalTokens.token_hash, hash), isNull(personalTokens.revoked_at)))
      .limit(1)
      .prepare();
    this.session = db
      .select({ session: sessions, user: users })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.user_id))
      .where(and(eq(sessions.secret_hash, hash), isNull(sessions.revoked_at)))
      .limit(1)
      .prepare();
  }
}
