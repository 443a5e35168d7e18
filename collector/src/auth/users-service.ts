import { randomUUID } from "node:crypto";
import { and, asc, count, eq, isNull, ne, or } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { type Actor, auditInsert } from "../audit/audit-service.ts";
import type { Clock } from "../clock.ts";
import type { Database } from "../db/client.ts";
import { afterCursor, toPage } from "../db/pagination.ts";
import { loginThrottle, personalTokens, sessions, users } from "../db/schema/index.ts";
import { ConflictError, DomainError, ForbiddenError, NotFoundError, ValidationError } from "../errors.ts";
import type { Role } from "./capabilities.ts";
import { bumpCredentialsGeneration } from "./credential-lookups.ts";
import { hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from "./passwords.ts";
import { hashToken } from "./tokens.ts";

export interface UsersDeps {
  database: Database;
  clock: Clock;
}

export type UserRow = typeof users.$inferSelect;

export interface UserView {
  id: string;
  email: string;
  name: string;
  role: Role;
  active: boolean;
  has_password: boolean;
  created_at: string;
  updated_at: string;
  last_seen_at: string | null;
}

export function userView(row: UserRow): UserView {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role as Role,
    active: row.active,
    has_password: row.password_hash !== null,
    created_at: row.created_at,
    updated_at: row.updated_at,
    last_seen_at: row.last_seen_at,
  };
}

/** What the audit log keeps of a user: never the password hash. */
function auditable(row: UserRow): Record<string, unknown> {
  const { password_hash: _p, ...rest } = row;
  return rest;
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

function assertPassword(password: string, field: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw ValidationError.field(["body", field], `must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
}

export async function listUsers(deps: UsersDeps, query: { limit: number; cursor?: string }) {
  const rows = await deps.database.db
    .select()
    .from(users)
    .where(query.cursor ? afterCursor(query.cursor, users.email, users.id, "asc") : undefined)
    .orderBy(asc(users.email), asc(users.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (row) => ({ at: row.email, id: row.id }), userView);
}

export async function findUser(deps: UsersDeps, id: string): Promise<UserRow> {
  const [row] = await deps.database.db
    .select()
    .from(users)
    .where(or(eq(users.id, id), eq(users.email, normaliseEmail(id))))
    .limit(1);
  if (!row) throw new NotFoundError(`User '${id}'`);
  return row;
}

export async function createUser(
  deps: UsersDeps,
  actor: Actor,
  input: { email: string; name?: string | null; role: Role; password?: string | null },
): Promise<UserView> {
  if (input.password) assertPassword(input.password, "password");
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  return deps.database.writeLock.run(async () => {
    const email = normaliseEmail(input.email);
    const [taken] = await deps.database.db
      .select({ id: users.id })
      .from(users)
      .where(eq(users.email, email))
      .limit(1);
    if (taken) throw new ConflictError("EMAIL_TAKEN", `A user with email '${email}' already exists`);
    const now = deps.clock.now().toISOString();
    const row: UserRow = {
      id: randomUUID(),
      email,
      name: input.name?.trim() || email,
      role: input.role,
      active: true,
      password_hash: passwordHash,
      created_at: now,
      updated_at: now,
      last_seen_at: null,
    };
    const db = deps.database.db;
    await db.batch([
      db.insert(users).values(row),
      auditInsert(
        db,
        actor,
        {
          action: "user.create",
          target_type: "user",
          target_id: row.id,
          target_name: email,
          after: auditable(row),
        },
        now,
      ),
    ]);
    return userView(row);
  });
}

async function activeAdminCount(deps: UsersDeps): Promise<number> {
  const [row] = await deps.database.db
    .select({ value: count() })
    .from(users)
    .where(and(eq(users.role, "admin"), eq(users.active, true)));
  return row?.value ?? 0;
}

// The last active admin may not be demoted, deactivated or deleted: someone must be able to manage users.
async function assertNotLastAdmin(deps: UsersDeps, target: UserRow): Promise<void> {
  if (target.role === "admin" && target.active && (await activeAdminCount(deps)) <= 1) {
    throw new ConflictError(
      "LAST_ADMIN",
      "This is the last active admin: promote another user to admin first",
    );
  }
}

/** Admin edit of a user: name, role, active, password. Role changes follow the invariants. */
export async function updateUser(
  deps: UsersDeps,
  actor: Actor,
  id: string,
  input: { name?: string; role?: Role; active?: boolean; password?: string },
): Promise<UserView> {
  if (input.password !== undefined) assertPassword(input.password, "password");
  const passwordHash = input.password !== undefined ? await hashPassword(input.password) : undefined;
  return deps.database.writeLock.run(async () => {
    const current = await findUser(deps, id);
    const self = actor.principal.kind === "user" && actor.principal.id === current.id;
    if (input.role !== undefined && input.role !== current.role) {
      if (self) throw new ForbiddenError("You cannot change your own role");
      // Only an admin's role change can be a demotion; the check passes any other user.
      await assertNotLastAdmin(deps, current);
    }
    if (input.active === false && current.active) {
      if (self) throw new ForbiddenError("You cannot deactivate yourself");
      await assertNotLastAdmin(deps, current);
    }
    const now = deps.clock.now().toISOString();
    const next: UserRow = {
      ...current,
      name: input.name?.trim() || current.name,
      role: input.role ?? current.role,
      active: input.active ?? current.active,
      password_hash: passwordHash ?? current.password_hash,
      updated_at: now,
    };
    const db = deps.database.db;
    const statements: [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]] = [
      db.update(users).set(next).where(eq(users.id, current.id)),
      bumpCredentialsGeneration(db),
      auditInsert(
        db,
        actor,
        {
          action:
            next.active !== current.active
              ? next.active
                ? "user.activate"
                : "user.deactivate"
              : "user.update",
          target_type: "user",
          target_id: current.id,
          target_name: current.email,
          before: auditable(current),
          // Stryker disable next-line StringLiteral: the audit log redacts a `password` key's value; only the key shows
          after: { ...auditable(next), ...(passwordHash ? { password: "changed" } : {}) },
        },
        now,
      ),
    ];
    if (passwordHash) {
      // A new password ends every other session of the user (a stolen cookie dies with the old
      // password) and lifts a sign-in lockout; the session that made the change stays open.
      // Another user's session (an admin's reset) matches none of this user's.
      const keep = actor.principal.sessionId;
      statements.push(
        db.delete(loginThrottle).where(eq(loginThrottle.email_hash, hashToken(current.email))),
        db
          .update(sessions)
          .set({ revoked_at: now })
          .where(
            and(
              eq(sessions.user_id, current.id),
              isNull(sessions.revoked_at),
              keep ? ne(sessions.id, keep) : undefined,
            ),
          ),
      );
    }
    // A deactivated user's tokens and sessions die with the account, and stay dead if it is reactivated.
    if (!next.active && current.active) {
      statements.push(
        db
          .update(personalTokens)
          .set({ revoked_at: now })
          .where(and(eq(personalTokens.user_id, current.id), isNull(personalTokens.revoked_at))),
        db
          .update(sessions)
          .set({ revoked_at: now })
          .where(and(eq(sessions.user_id, current.id), isNull(sessions.revoked_at))),
      );
    }
    await db.batch(statements);
    return userView(next);
  });
}

export async function deleteUser(deps: UsersDeps, actor: Actor, id: string): Promise<void> {
  await deps.database.writeLock.run(async () => {
    const current = await findUser(deps, id);
    if (actor.principal.kind === "user" && actor.principal.id === current.id) {
      throw new ForbiddenError("You cannot delete yourself");
    }
    await assertNotLastAdmin(deps, current);
    const db = deps.database.db;
    await db.batch([
      db.delete(personalTokens).where(eq(personalTokens.user_id, current.id)),
      db.delete(sessions).where(eq(sessions.user_id, current.id)),
      db.delete(users).where(eq(users.id, current.id)),
      bumpCredentialsGeneration(db),
      auditInsert(
        db,
        actor,
        {
          action: "user.delete",
          target_type: "user",
          target_id: current.id,
          target_name: current.email,
          before: auditable(current),
        },
        deps.clock.now().toISOString(),
      ),
    ]);
  });
}

/** A user edits their own name. */
export async function updateMe(deps: UsersDeps, actor: Actor, input: { name: string }): Promise<UserView> {
  return updateUser(deps, actor, requireUser(actor), { name: input.name });
}

/** A user changes their own password; the current one is required once one is set. */
export async function changeMyPassword(
  deps: UsersDeps,
  actor: Actor,
  input: { current_password?: string; new_password: string },
): Promise<void> {
  const user = await findUser(deps, requireUser(actor));
  if (user.password_hash) {
    if (!input.current_password || !(await verifyPassword(input.current_password, user.password_hash))) {
      throw new DomainError(403, "FORBIDDEN", "The current password is wrong");
    }
  }
  assertPassword(input.new_password, "new_password");
  await updateUser(deps, actor, user.id, { password: input.new_password });
}

/** The id of the user behind the request; API keys have no profile. */
export function requireUser(actor: Actor): string {
  if (actor.principal.kind !== "user") {
    throw new ForbiddenError("This needs a user's token or session; API keys do not belong to a user");
  }
  return actor.principal.id;
}
