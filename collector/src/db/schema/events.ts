import { index, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Append-only log of every accepted build and deployment event, with the response it produced. */
export const events = sqliteTable(
  "events",
  {
    id: text("id").primaryKey(),
    kind: text("kind").notNull(),
    idempotency_key: text("idempotency_key"),
    /** SHA-256 of the kind and the canonical body (ingest/lifecycle.ts); null on rows from before it. */
    body_hash: text("body_hash"),
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
    // The latest build event of a version (environment null), newest by rowid (insertion order,
    // which a clock step back cannot reorder); also a product's events, by its versions, when it is
    // deleted. A deployment cell's latest event is `current_state.latest_event_id`.
    index("events_build_stream_idx").on(t.version_id, t.environment_id),
  ],
);
