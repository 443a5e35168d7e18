import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * A destination for notifications. `settings` holds what responses may show (recipients, header
 * names); `secrets` holds what they never show (webhook URL, HMAC secret, header values), sealed
 * as one AES-256-GCM string by the database's SecretBox (an object only in rows from before that).
 */
export const notificationChannels = sqliteTable("notification_channels", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  kind: text("kind").notNull(),
  enabled: integer("enabled", { mode: "boolean" }).notNull(),
  settings: text("settings", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  secrets: text("secrets", { mode: "json" }).$type<string | Record<string, unknown>>().notNull(),
  created_at: text("created_at").notNull(),
  updated_at: text("updated_at").notNull(),
});

/** What a channel hears: event types plus optional filters (an empty list means "any"). */
export const notificationSubscriptions = sqliteTable(
  "notification_subscriptions",
  {
    id: text("id").primaryKey(),
    channel_id: text("channel_id")
      .notNull()
      .references(() => notificationChannels.id, { onDelete: "cascade" }),
    position: integer("position").notNull(),
    event_types: text("event_types", { mode: "json" }).$type<string[]>().notNull(),
    products: text("products", { mode: "json" }).$type<string[]>().notNull(),
    environments: text("environments", { mode: "json" }).$type<string[]>().notNull(),
    environment_types: text("environment_types", { mode: "json" }).$type<string[]>().notNull(),
    statuses: text("statuses", { mode: "json" }).$type<string[]>().notNull(),
  },
  (t) => [index("notification_subscriptions_channel_idx").on(t.channel_id, t.position)],
);

/**
 * The outbox: one row per (event, channel), written in the transaction of the event. The worker
 * claims a due row by setting `lease_owner`/`lease_until`, sends, and records the outcome.
 */
export const notificationDeliveries = sqliteTable(
  "notification_deliveries",
  {
    id: text("id").primaryKey(),
    channel_id: text("channel_id")
      .notNull()
      .references(() => notificationChannels.id, { onDelete: "cascade" }),
    event_id: text("event_id").notNull(),
    event_type: text("event_type").notNull(),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    /** pending | delivered | failed | cancelled */
    status: text("status").notNull(),
    attempts: integer("attempts").notNull(),
    next_attempt_at: text("next_attempt_at"),
    lease_owner: text("lease_owner"),
    lease_until: text("lease_until"),
    last_error: text("last_error"),
    last_response_code: integer("last_response_code"),
    replay_of: text("replay_of"),
    created_at: text("created_at").notNull(),
    updated_at: text("updated_at").notNull(),
    delivered_at: text("delivered_at"),
  },
  (t) => [
    index("notification_deliveries_due_idx").on(t.status, t.next_attempt_at),
    index("notification_deliveries_created_idx").on(t.created_at, t.id),
    index("notification_deliveries_channel_idx").on(t.channel_id, t.created_at),
  ],
);

/** Every attempt to send a delivery, with its outcome and timing (never the request body). */
export const notificationAttempts = sqliteTable(
  "notification_attempts",
  {
    id: text("id").primaryKey(),
    delivery_id: text("delivery_id")
      .notNull()
      .references(() => notificationDeliveries.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    started_at: text("started_at").notNull(),
    duration_ms: integer("duration_ms").notNull(),
    /** delivered | retry | failed */
    outcome: text("outcome").notNull(),
    response_code: integer("response_code"),
    error: text("error"),
    response_excerpt: text("response_excerpt"),
    worker: text("worker").notNull(),
  },
  (t) => [index("notification_attempts_delivery_idx").on(t.delivery_id, t.attempt)],
);
