import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { products } from "./catalog.ts";

/** A link template rendered per version and environment ("Deploy 1.2.3 to staging"). */
export const deploymentButtons = sqliteTable(
  "deployment_buttons",
  {
    id: text("id").primaryKey(),
    product_id: text("product_id")
      .notNull()
      .references(() => products.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    url_template: text("url_template").notNull(),
    /** Environments the button applies to; empty means all. */
    environment_ids: text("environment_ids", { mode: "json" }).$type<string[]>().notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    created_at: text("created_at").notNull(),
    updated_at: text("updated_at").notNull(),
  },
  (t) => [
    // Ingest looks up a product's enabled buttons on every build event.
    index("deployment_buttons_product_enabled_idx").on(t.product_id, t.enabled),
    uniqueIndex("deployment_buttons_product_name_uq").on(t.product_id, t.name),
  ],
);
