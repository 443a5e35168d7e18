import { index, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Append-only record of every change to settings and access: who did what to which thing. */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: text("id").primaryKey(),
    at: text("at").notNull(),
    actor_type: text("actor_type").notNull(),
    actor_id: text("actor_id").notNull(),
    actor_name: text("actor_name").notNull(),
    action: text("action").notNull(),
    target_type: text("target_type").notNull(),
    target_id: text("target_id"),
    target_name: text("target_name"),
    before: text("before", { mode: "json" }).$type<Record<string, unknown>>(),
    after: text("after", { mode: "json" }).$type<Record<string, unknown>>(),
    request_id: text("request_id"),
  },
  (t) => [
    index("audit_log_at_idx").on(t.at, t.id),
    index("audit_log_target_idx").on(t.target_type, t.target_id, t.at),
    index("audit_log_actor_idx").on(t.actor_id, t.at),
    index("audit_log_action_idx").on(t.action, t.at),
  ],
);
