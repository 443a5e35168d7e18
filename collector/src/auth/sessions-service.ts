import { randomBytes, randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { loginThrottle, sessions, settings, users } from "../db/schema/index.ts";
import { DomainError, UnauthorizedError } from "../errors.ts";
import { authenticateToken, type CredentialDeps } from "./authenticate.ts";
import { DUMMY_PASSWORD_HASH, verifyPassword } from "./passwords.ts";
import { hashToken } from "./tokens.ts";
import { normaliseEmail, type UserRow, type UsersDeps, type UserView, userView } from "./users-service.ts";

export const SESSION_COOKIE = "versioner_session";
export const SESSION_TTL_MS = 12 * 3600_000;

/** Failures before a lockout, and the lockout's first length and cap (it doubles each further failure). */
export const LOCKOUT_AFTER = 5;
const LOCKOUT_BASE_MS = 30_000;
const LOCKOUT_MAX_MS = 15 * 60_000;

export interface NewSession {
  /** The cookie's value: a random secret whose hash identifies the session. */
  secret: string;
  csrf_token: string;
  expires_at: string;
  user: UserView;
}

/**
 * Checks email and password and opens a session. Repeated failures for an email lock it for a
 * growing time (429 with Retry-After), whether or not a user has that email: neither the error
 * nor the lockout says whether the email exists.
 */
export async function login(
  deps: UsersDeps,
  input: { email: string; password: string },
): Promise<NewSession> {
  const db = deps.database.db;
  const now = deps.clock.now();
  const email = normaliseEmail(input.email);
  const emailHash = hashToken(email);
  const [[user], [throttle]] = await Promise.all([
    db.select().from(users).where(eq(users.email, email)).limit(1),
    db.select().from(loginThrottle).where(eq(loginThrottle.email_hash, emailHash)).limit(1),
  ]);
  if (throttle?.locked_until && throttle.locked_until > now.toISOString()) {
    throw lockedOut(throttle.locked_until, now);
  }
  const ok = await verifyPassword(input.password, user?.password_hash ?? DUMMY_PASSWORD_HASH);
  if (!user?.active || !user.password_hash || !ok) {
    const failures = (throttle?.failures ?? 0) + 1;
    const lockMs =
      failures >= LOCKOUT_AFTER
        ? Math.min(LOCKOUT_MAX_MS, LOCKOUT_BASE_MS * 2 ** (failures - LOCKOUT_AFTER))
        : 0;
    const lockedUntil = lockMs ? new Date(now.getTime() + lockMs).toISOString() : null;
    const row = { failures, locked_until: lockedUntil, updated_at: now.toISOString() };
    await db
      .insert(loginThrottle)
      .values({ email_hash: emailHash, ...row })
      .onConflictDoUpdate({
        target: loginThrottle.email_hash,
        set: {
          failures: sql`${loginThrottle.failures} + 1`,
          locked_until: lockedUntil,
          updated_at: row.updated_at,
        },
      });
    if (lockedUntil) throw lockedOut(lockedUntil, now);
    throw new UnauthorizedError("Invalid email or password");
  }
  return openSession(deps, user, now);
}

/**
 * Opens a session for the user a personal token belongs to, so people who sign in with a token
 * (SPEC: "sign-in with a user's token or password") get the same cookie and CSRF token.
 * API keys belong to no user and cannot open a session.
 */
export async function loginWithToken(deps: CredentialDeps, token: string): Promise<NewSession> {
  const principal = await authenticateToken(deps, token);
  if (principal?.kind !== "user") throw new UnauthorizedError("Invalid token: sign in with a personal token");
  const [user] = await deps.database.db.select().from(users).where(eq(users.id, principal.id)).limit(1);
  if (!user) throw new UnauthorizedError("Invalid token: sign in with a personal token");
  return openSession(deps, user, deps.clock.now());
}

async function openSession(deps: UsersDeps, user: UserRow, now: Date): Promise<NewSession> {
  const db = deps.database.db;
  const secret = randomBytes(32).toString("hex");
  const csrf = randomBytes(24).toString("hex");
  const expires = new Date(now.getTime() + SESSION_TTL_MS).toISOString();
  await db.batch([
    db.update(users).set({ last_seen_at: now.toISOString() }).where(eq(users.id, user.id)),
    db.delete(loginThrottle).where(eq(loginThrottle.email_hash, hashToken(user.email))),
    db.insert(sessions).values({
      id: randomUUID(),
      user_id: user.id,
      secret_hash: hashToken(secret),
      csrf_token: csrf,
      created_at: now.toISOString(),
      expires_at: expires,
      revoked_at: null,
    }),
  ]);
  return { secret, csrf_token: csrf, expires_at: expires, user: userView(user) };
}

function lockedOut(until: string, now: Date): DomainError {
  const seconds = Math.max(1, Math.ceil((Date.parse(until) - now.getTime()) / 1000));
  return new DomainError(429, "RATE_LIMITED", `Too many failed sign-ins; try again in ${seconds} s`, {
    "Retry-After": String(seconds),
  });
}

export async function logout(deps: UsersDeps, secret: string): Promise<void> {
  await deps.database.db
    .update(sessions)
    .set({ revoked_at: deps.clock.now().toISOString() })
    .where(eq(sessions.secret_hash, hashToken(secret)));
}

/** The secret that signs session cookies: from config, or generated once and kept in the database. */
export async function sessionSigningSecret(deps: UsersDeps, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  const db = deps.database.db;
  const [row] = await db.select().from(settings).where(eq(settings.key, "session_signing_secret")).limit(1);
  if (row) return row.value;
  const value = randomBytes(32).toString("hex");
  await db.insert(settings).values({ key: "session_signing_secret", value }).onConflictDoNothing();
  const [stored] = await db
    .select()
    .from(settings)
    .where(eq(settings.key, "session_signing_secret"))
    .limit(1);
  if (!stored) throw new Error("could not store the session signing secret");
  return stored.value;
}
