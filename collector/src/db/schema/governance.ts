import { index, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { environments, products } from "./catalog.ts";

/**
 * Deployment rules (docs/governance.md). Scope holds product and environment names, an empty list
 * meaning "all": a rule may name an environment before its first deployment creates it.
 */
export const deploymentRules = sqliteTable(
  "deployment_rules",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    /** schedule | flow | version_approval | deployment_request | concurrency */
    type: text("type").notNull(),
    /** enabled | report_only | disabled */
    mode: text("mode").notNull(),
    scope_products: text("scope_products", { mode: "json" }).$type<string[]>().notNull(),
    scope_environments: text("scope_environments", { mode: "json" }).$type<string[]>().notNull(),
    settings: text("settings", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    description: text("description"),
    created_at: text("created_at").notNull(),
    updated_at: text("updated_at").notNull(),
  },
  (t) => [uniqueIndex("deployment_rules_name_uq").on(t.name)],
);

/** Manual locks on an environment, for every product or one. */
export const environmentLocks = sqliteTable(
  "environment_locks",
  {
    id: text("id").primaryKey(),
    environment_id: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    product_id: text("product_id").references(() => products.id, { onDelete: "cascade" }),
    /** The product id, or `*` for the whole environment: one unique index covers both. */
    scope_key: text("scope_key").notNull(),
    reason: text("reason").notNull(),
    locked_by: text("locked_by").notNull(),
    created_at: text("created_at").notNull(),
    expires_at: text("expires_at"),
  },
  (t) => [
    uniqueIndex("environment_locks_scope_uq").on(t.environment_id, t.scope_key),
    index("environment_locks_product_idx").on(t.product_id),
  ],
);

/** Deployment attempts a rule refused: kept by name, since the product may never have been created. */
export const preflightFailures = sqliteTable(
  "preflight_failures",
  {
    id: text("id").primaryKey(),
    product: text("product").notNull(),
    version: text("version").notNull(),
    environment: text("environment").notNull(),
    code: text("code").notNull(),
    message: text("message").notNull(),
    rule_id: text("rule_id"),
    rule_name: text("rule_name"),
    details: text("details", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    retry_after: text("retry_after"),
    actor: text("actor"),
    created_at: text("created_at").notNull(),
  },
  (t) => [
    index("preflight_failures_created_idx").on(t.created_at, t.id),
    index("preflight_failures_product_created_idx").on(t.product, t.created_at, t.id),
    index("preflight_failures_environment_created_idx").on(t.environment, t.created_at, t.id),
  ],
);
