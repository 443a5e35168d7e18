import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * A platform that reports the deployments it runs (Vercel, GitHub, Argo CD). `secret` is the
 * signing or bearer secret, sealed by the database's SecretBox; `path_token` only routes a Vercel
 * delivery to its integration (the signature authenticates it), so it is stored as it is.
 */
export const integrations = sqliteTable(
  "integrations",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull().unique(),
    kind: text("kind").notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    path_token: text("path_token").notNull(),
    secret: text("secret").notNull(),
    /** Product and environment renames and the version source: see integrations/mapping.ts. */
    mapping: text("mapping", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    created_at: text("created_at").notNull(),
    updated_at: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("integrations_path_token_uq").on(t.path_token),
    index("integrations_kind_idx").on(t.kind),
  ],
);

/** The last deliveries an integration received and what became of each (a bounded log per integration). */
export const integrationDeliveries = sqliteTable(
  "integration_deliveries",
  {
    id: text("id").primaryKey(),
    integration_id: text("integration_id")
      .notNull()
      .references(() => integrations.id, { onDelete: "cascade" }),
    /** The platform's id of the delivery (Vercel webhook id, X-GitHub-Delivery, the Argo CD template's). */
    delivery_id: text("delivery_id"),
    event_type: text("event_type"),
    /** recorded | duplicate | ignored | rejected | unauthorized */
    outcome: text("outcome").notNull(),
    status_code: integer("status_code").notNull(),
    detail: text("detail"),
    product_name: text("product_name"),
    version: text("version"),
    environment_name: text("environment_name"),
    deployment_status: text("deployment_status"),
    received_at: text("received_at").notNull(),
  },
  (t) => [index("integration_deliveries_integration_idx").on(t.integration_id, t.received_at)],
);
