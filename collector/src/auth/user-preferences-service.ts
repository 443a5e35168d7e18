import { eq } from "drizzle-orm";
import { settings } from "../db/schema/index.ts";
import type { UsersDeps } from "./users-service.ts";

// Preferences are small per-user strings kept in the settings table under one key per user and
// name: no migration for each new preference, and deleting a user leaves only a stale row.
const key = (userId: string, name: string) => `user_preference:${userId}:${name}`;

/** A stored preference of a user (e.g. the dashboard's last filters), or undefined. */
export async function getUserPreference(deps: UsersDeps, userId: string, name: string) {
  const [row] = await deps.database.db
    .select({ value: settings.value })
    .from(settings)
    .where(eq(settings.key, key(userId, name)))
    .limit(1);
  return row?.value;
}

/** Stores (or with an empty value, forgets) a preference of a user. */
export async function setUserPreference(deps: UsersDeps, userId: string, name: string, value: string) {
  const db = deps.database.db;
  if (!value) {
    await db.delete(settings).where(eq(settings.key, key(userId, name)));
    return;
  }
  await db
    .insert(settings)
    .values({ key: key(userId, name), value })
    .onConflictDoUpdate({ target: settings.key, set: { value } });
}
