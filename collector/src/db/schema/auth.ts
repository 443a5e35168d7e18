import { index, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

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
