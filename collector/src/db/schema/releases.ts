import { index, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { products, versions } from "./catalog.ts";

/** A set of product versions shipped together, and how far it has gone. */
export const releases = sqliteTable(
  "releases",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    description: text("description"),
    /** draft | in_progress | completed | cancelled */
    status: text("status").notNull(),
    /** Environments the release must reach; empty means every production-type environment. */
    target_environment_ids: text("target_environment_ids", { mode: "json" }).$type<string[]>().notNull(),
    extra_metadata: text("extra_metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    started_at: text("started_at"),
    completed_at: text("completed_at"),
    cancelled_at: text("cancelled_at"),
    created_at: text("created_at").notNull(),
    updated_at: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("releases_name_uq").on(t.name),
    index("releases_created_idx").on(t.created_at, t.id),
    index("releases_status_created_idx").on(t.status, t.created_at, t.id),
  ],
);

/** Member versions: at most one per product and release. */
export const releaseVersions = sqliteTable(
  "release_versions",
  {
    release_id: text("release_id")
      .notNull()
      .references(() => releases.id, { onDelete: "cascade" }),
    product_id: text("product_id")
      .notNull()
      .references(() => products.id, { onDelete: "cascade" }),
    version_id: text("version_id")
      .notNull()
      .references(() => versions.id, { onDelete: "cascade" }),
    added_at: text("added_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.release_id, t.product_id] }),
    // Ingest asks "which open releases contain this version" on every deployment event.
    index("release_versions_version_idx").on(t.version_id),
    index("release_versions_product_idx").on(t.product_id),
  ],
);
