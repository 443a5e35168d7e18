import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

type Json = Record<string, unknown>;

/**
 * The shortest abbreviation of a commit SHA taken as one (git's shortest): two SHAs match when one
 * starts with the other and is at least this long, and `versions_scm_sha_idx` keeps this much of a
 * SHA, lower-cased.
 */
export const SHA_ABBREVIATION = 7;

export const products = sqliteTable("products", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  description: text("description"),
  extra_metadata: text("extra_metadata", { mode: "json" }).$type<Json>().notNull(),
  created_at: text("created_at").notNull(),
  updated_at: text("updated_at").notNull(),
});

export const versions = sqliteTable(
  "versions",
  {
    id: text("id").primaryKey(),
    product_id: text("product_id")
      .notNull()
      .references(() => products.id, { onDelete: "cascade" }),
    version: text("version").notNull(),
    scm_sha: text("scm_sha"),
    scm_repository: text("scm_repository"),
    scm_branch: text("scm_branch"),
    scm_committed_at: text("scm_committed_at"),
    build_number: text("build_number"),
    build_url: text("build_url"),
    source_system: text("source_system"),
    invoke_id: text("invoke_id"),
    built_by: text("built_by"),
    built_by_email: text("built_by_email"),
    built_by_name: text("built_by_name"),
    status: text("status"),
    started_at: text("started_at"),
    completed_at: text("completed_at"),
    extra_metadata: text("extra_metadata", { mode: "json" }).$type<Json>().notNull(),
    created_at: text("created_at").notNull(),
    updated_at: text("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("versions_product_version_uq").on(t.product_id, t.version),
    // A version by its commit: the SHA's first SHA_ABBREVIATION characters, lower-cased. An entry
    // of 7 characters rather than 40 puts about four times as many on a leaf, and a SHA is random:
    // fewer leaves means fewer of them written per commit (versions-service.ts reads it with the
    // same expression).
    index("versions_scm_sha_idx").on(
      sql`lower(substr(${t.scm_sha}, 1, ${sql.raw(String(SHA_ABBREVIATION))}))`,
    ),
    index("versions_product_created_idx").on(t.product_id, t.created_at, t.id),
  ],
);

/** One row per build run of a version, so retries and re-runs stay visible. */
export const builds = sqliteTable(
  "builds",
  {
    id: text("id").primaryKey(),
    version_id: text("version_id")
      .notNull()
      .references(() => versions.id, { onDelete: "cascade" }),
    status: text("status").notNull(),
    build_number: text("build_number"),
    build_url: text("build_url"),
    invoke_id: text("invoke_id"),
    source_system: text("source_system"),
    built_by: text("built_by"),
    started_at: text("started_at"),
    completed_at: text("completed_at"),
    extra_metadata: text("extra_metadata", { mode: "json" }).$type<Json>().notNull(),
    created_at: text("created_at").notNull(),
    updated_at: text("updated_at").notNull(),
  },
  (t) => [index("builds_version_invoke_idx").on(t.version_id, t.invoke_id, t.created_at, t.id)],
);

export const environments = sqliteTable("environments", {
  id: text("id").primaryKey(),
  name: text("name").notNull().unique(),
  type: text("type").notNull(),
  description: text("description"),
  metadata: text("metadata", { mode: "json" }).$type<Json>().notNull(),
  sort_order: integer("sort_order").notNull(),
  created_at: text("created_at").notNull(),
  updated_at: text("updated_at").notNull(),
});

export const deployments = sqliteTable(
  "deployments",
  {
    id: text("id").primaryKey(),
    product_id: text("product_id")
      .notNull()
      .references(() => products.id, { onDelete: "cascade" }),
    version_id: text("version_id")
      .notNull()
      .references(() => versions.id, { onDelete: "cascade" }),
    environment_id: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    status: text("status").notNull(),
    deployed_by: text("deployed_by"),
    deployed_by_email: text("deployed_by_email"),
    deployed_by_name: text("deployed_by_name"),
    deploy_url: text("deploy_url"),
    source_system: text("source_system"),
    invoke_id: text("invoke_id"),
    started_at: text("started_at"),
    completed_at: text("completed_at"),
    extra_metadata: text("extra_metadata", { mode: "json" }).$type<Json>().notNull(),
    created_at: text("created_at").notNull(),
    updated_at: text("updated_at").notNull(),
  },
  (t) => [
    // Equality on the lifecycle key and the newest-first order in one index: the lookup of the
    // deployment an event advances stays a seek however long the history grows. The version comes
    // first (it names its product: a product's id would add nothing but width): versions' ids are
    // time-ordered, so a new version's deployments land on the index's last leaf, which every event
    // of a group shares, instead of on a leaf per product and environment (pages per commit, see
    // docs/architecture.md). It also serves every read by version (the releases', a version's
    // deletion), which had an index of their own.
    index("deployments_lifecycle_idx").on(t.version_id, t.environment_id, t.invoke_id, t.created_at, t.id),
    index("deployments_created_idx").on(t.created_at, t.id),
    index("deployments_product_created_idx").on(t.product_id, t.created_at, t.id),
    index("deployments_environment_created_idx").on(t.environment_id, t.created_at, t.id),
  ],
);

/**
 * What runs where: one row per product × environment, kept up to date by the ingest
 * transaction so `GET /state` never aggregates deployment history.
 */
export const currentState = sqliteTable(
  "current_state",
  {
    product_id: text("product_id")
      .notNull()
      .references(() => products.id, { onDelete: "cascade" }),
    environment_id: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    current_deployment_id: text("current_deployment_id"),
    current_version_id: text("current_version_id"),
    current_version: text("current_version"),
    current_deployed_at: text("current_deployed_at"),
    current_deployed_by: text("current_deployed_by"),
    last_deployment_id: text("last_deployment_id").notNull(),
    last_version: text("last_version").notNull(),
    last_status: text("last_status").notNull(),
    last_at: text("last_at").notNull(),
    /**
     * The cell's newest deployment event (the ingest repeat and lifecycle rules read it): set by
     * every ingest transaction that stores an event here, to its last one, so it is the cell's
     * newest event by insertion order without an index on `events` by product + environment.
     */
    latest_event_id: text("latest_event_id"),
  },
  (t) => [
    primaryKey({ columns: [t.product_id, t.environment_id] }),
    index("current_state_environment_idx").on(t.environment_id),
  ],
);
