import { eq } from "drizzle-orm";
import type { DatabaseRuntime } from "../database-runtime.ts";
import { apiKeys, personalTokens, users } from "../db/schema/index.ts";
import {
  type ApiKeyScope,
  type Principal,
  ROLE_CAPABILITIES,
  type Role,
  SCOPE_CAPABILITIES,
} from "./capabilities.ts";
import { API_KEY_PREFIX, hashToken } from "./tokens.ts";
import type { UsersDeps } from "./users-service.ts";

// last_used_at / last_seen_at are advisory: written at most once a minute per row, off the request's path.
const TOUCH_RESOLUTION_MS = 60_000;
const touched = new Map<string, number>();

// Under the write lock, as every write of this process (see DeliveryWorker's claim): never a
// synchronous wait in SQLite's busy handler while the ingest thread commits.
function touch(deps: UsersDeps, key: string, now: number, write: () => Promise<unknown>): void {
  if (now - (touched.get(key) ?? 0) < TOUCH_RESOLUTION_MS) return;
  touched.set(key, now);
  void deps.database.writeLock.run(write).catch(() => touched.delete(key));
}

/** What resolving a credential needs: the database, the clock and the prepared lookups. */
export interface CredentialDeps extends UsersDeps {
  runtime: Pick<DatabaseRuntime, "credentials">;
}

function userPrincipal(
  user: Pick<typeof users.$inferSelect, "id" | "email" | "role">,
  via: "token" | "session",
): Principal {
  const role = user.role as Role;
  return { kind: "user", id: user.id, name: user.email, role, via, capabilities: ROLE_CAPABILITIES[role] };
}

/**
 * Resolves a bearer token: API keys are always `sk_…`; anything else (`pat_…`, or the bootstrap
 * token chosen by the operator) is a personal token, valid while its user is active. What the
 * lookup found is kept while no credential changed (CredentialCache: each request still reads the
 * credentials generation, shared with the requests of its turn), so a revocation, a demotion or a
 * deactivation applies at once, from any collector on the database.
 */
export async function authenticateToken(deps: CredentialDeps, token: string): Promise<Principal | undefined> {
  const db = deps.database.db;
  const hash = hashToken(token);
  const now = deps.clock.now();
  const { credentials } = deps.runtime;
  if (token.startsWith(API_KEY_PREFIX)) {
    const key = await credentials.cache.resolve(`key:${hash}`, now.getTime(), () =>
      credentials.apiKey.all({ hash }).then(([row]) => row),
    );
    if (!key) return undefined;
    touch(deps, key.id, now.getTime(), () =>
      db.update(apiKeys).set({ last_used_at: now.toISOString() }).where(eq(apiKeys.id, key.id)),
    );
    const scope = key.scope as ApiKeyScope;
    return { kind: "api_key", id: key.id, name: key.name, scope, capabilities: SCOPE_CAPABILITIES[scope] };
  }
  const row = await credentials.cache.resolve(`token:${hash}`, now.getTime(), () =>
    credentials.personalToken.all({ hash }).then(([found]) => found),
  );
  if (!row?.user.active) return undefined;
  if (row.token.expires_at && row.token.expires_at <= now.toISOString()) return undefined;
  touch(deps, row.token.id, now.getTime(), () =>
    db.batch([
      db
        .update(personalTokens)
        .set({ last_used_at: now.toISOString() })
        .where(eq(personalTokens.id, row.token.id)),
      db.update(users).set({ last_seen_at: now.toISOString() }).where(eq(users.id, row.user.id)),
    ]),
  );
  return userPrincipal(row.user, "token");
}

/** Resolves a session cookie's secret to its user and the CSRF token writes must echo. */
export async function authenticateSession(
  deps: CredentialDeps,
  secret: string,
): Promise<{ principal: Principal; csrfToken: string } | undefined> {
  const db = deps.database.db;
  const now = deps.clock.now();
  const [row] = await deps.runtime.credentials.session.all({ hash: hashToken(secret) });
  if (!row?.user.active || row.session.expires_at <= now.toISOString()) return undefined;
  touch(deps, row.session.id, now.getTime(), () =>
    db.update(users).set({ last_seen_at: now.toISOString() }).where(eq(users.id, row.user.id)),
  );
  return {
    principal: { ...userPrincipal(row.user, "session"), sessionId: row.session.id },
    csrfToken: row.session.csrf_token,
  };
}
