import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** API keys and the bootstrap token. Only a SHA-256 hash of the secret is stored. */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    key_id: text("key_id").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    scope: text("scope").notNull(),
    token_hash: text("token_hash").notNull(),
    /** First characters of the token, to tell keys apart in listings without revealing them. */
    prefix: text("prefix").notNull(),
    created_at: text("created_at").notNull(),
    last_used_at: text("last_used_at"),
    revoked_at: text("revoked_at"),
  },
  (t) => [
    uniqueIndex("api_keys_key_id_uq").on(t.key_id),
    uniqueIndex("api_keys_token_hash_uq").on(t.token_hash),
    index("api_keys_created_idx").on(t.created_at, t.id),
  ],
);

/** People. One role each; passwords (for the dashboard) stored only as scrypt hashes. */
export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    email: text("email").notNull(),
    name: text("name").notNull(),
    role: text("role").notNull(),
    active: integer("active", { mode: "boolean" }).notNull(),
    password_hash: text("password_hash"),
    created_at: text("created_at").notNull(),
    updated_at: text("updated_at").notNull(),
    last_seen_at: text("last_seen_at"),
  },
  (t) => [uniqueIndex("users_email_uq").on(t.email), index("users_role_idx").on(t.role, t.active)],
);

/** Personal access tokens (`pat_…`): act with their user's current role. Stored as SHA-256. */
export const personalTokens = sqliteTable(
  "personal_tokens",
  {
    id: text("id").primaryKey(),
    user_id: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    token_hash: text("token_hash").notNull(),
    prefix: text("prefix").notNull(),
    expires_at: text("expires_at"),
    created_at: text("created_at").notNull(),
    last_used_at: text("last_used_at"),
    revoked_at: text("revoked_at"),
  },
  (t) => [
    uniqueIndex("personal_tokens_hash_uq").on(t.token_hash),
    index("personal_tokens_user_idx").on(t.user_id),
  ],
);

/** Dashboard sessions; the cookie carries the session secret, the table only its hash. */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    user_id: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    secret_hash: text("secret_hash").notNull(),
    csrf_token: text("csrf_token").notNull(),
    created_at: text("created_at").notNull(),
    expires_at: text("expires_at").notNull(),
    revoked_at: text("revoked_at"),
  },
  (t) => [uniqueIndex("sessions_secret_uq").on(t.secret_hash), index("sessions_user_idx").on(t.user_id)],
);

/** Collector-wide values generated once (e.g. the cookie-signing secret). */
export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

/**
 * Failed sign-ins by email (a SHA-256 of the normalised address), whether or not a user has it:
 * an unknown address is locked out exactly like a real one, so the lockout reveals nothing.
 */
export const loginThrottle = sqliteTable("login_throttle", {
  email_hash: text("email_hash").primaryKey(),
  failures: integer("failures").notNull(),
  locked_until: text("locked_until"),
  updated_at: text("updated_at").notNull(),
});
