import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Append-only log of every accepted build and deployment event, with the response it produced. */
export const events = sqliteTable(
  "events",
  {
    id: text("id").primaryKey(),
    kind: text("kind").notNull(),
    idempotency_key: text("idempotency_key"),
    natural_key: text("natural_key").notNull(),
    has_invoke_id: integer("has_invoke_id", { mode: "boolean" }).notNull(),
    product_id: text("product_id").notNull(),
    version_id: text("version_id").notNull(),
    environment_id: text("environment_id"),
    record_id: text("record_id").notNull(),
    status: text("status").notNull(),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    response: text("response", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    received_at: text("received_at").notNull(),
  },
  (t) => [
    uniqueIndex("events_idempotency_key_uq").on(t.idempotency_key),
    index("events_natural_key_idx").on(t.natural_key, t.received_at),
    index("events_product_idx").on(t.product_id),
  ],
);
