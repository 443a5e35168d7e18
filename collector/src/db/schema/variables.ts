import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { products } from "./catalog.ts";

/** Values for button templates, at org scope or per product (a product value overrides the org's). */
export const variables = sqliteTable(
  "variables",
  {
    id: text("id").primaryKey(),
    /** `org`, or the product id for a product variable: one unique index covers both scopes. */
    scope_id: text("scope_id").notNull(),
    product_id: text("product_id").references(() => products.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    value: text("value").notNull(),
    secret: integer("secret", { mode: "boolean" }).notNull(),
    description: text("description"),
    created_at: text("created_at").notNull(),
    updated_at: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("variables_scope_key_uq").on(t.scope_id, t.key),
    index("variables_product_idx").on(t.product_id),
  ],
);
