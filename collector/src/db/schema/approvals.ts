import { index, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { environments, products, versions } from "./catalog.ts";

/**
 * One decision about a version (docs/governance.md, Approvals): a type, approved or rejected,
 * optionally for one environment. Rows are never edited: a later decision of the same type
 * supersedes an earlier one, so the history of who said what stays readable.
 */
export const versionApprovals = sqliteTable(
  "version_approvals",
  {
    id: text("id").primaryKey(),
    product_id: text("product_id")
      .notNull()
      .references(() => products.id, { onDelete: "cascade" }),
    version_id: text("version_id")
      .notNull()
      .references(() => versions.id, { onDelete: "cascade" }),
    /** uat | qa | performance | security | code_review | compliance */
    type: text("type").notNull(),
    /** approved | rejected */
    decision: text("decision").notNull(),
    /** Null: granted for the version wherever it goes. Cascade: an approval for a deleted environment means nothing. */
    environment_id: text("environment_id").references(() => environments.id, { onDelete: "cascade" }),
    comment: text("comment"),
    approved_by_id: text("approved_by_id").notNull(),
    approved_by: text("approved_by").notNull(),
    approver_role: text("approver_role"),
    created_at: text("created_at").notNull(),
  },
  (t) => [
    // Listing a version's approvals and the preflight check both read them by version, in order.
    index("version_approvals_version_idx").on(t.version_id, t.created_at, t.id),
  ],
);

/** A request to deploy one product version to one environment, approved slot by slot. */
export const deploymentRequests = sqliteTable(
  "deployment_requests",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    description: text("description"),
    product_id: text("product_id")
      .notNull()
      .references(() => products.id, { onDelete: "cascade" }),
    version_id: text("version_id")
      .notNull()
      .references(() => versions.id, { onDelete: "cascade" }),
    environment_id: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    /** draft | in_progress | approved | rejected | completed | cancelled */
    status: text("status").notNull(),
    created_by_id: text("created_by_id").notNull(),
    created_by: text("created_by").notNull(),
    submitted_at: text("submitted_at"),
    decided_at: text("decided_at"),
    completed_at: text("completed_at"),
    /** The deployment whose completion completed the request. */
    completed_by_deployment_id: text("completed_by_deployment_id"),
    cancelled_at: text("cancelled_at"),
    created_at: text("created_at").notNull(),
    updated_at: text("updated_at").notNull(),
  },
  (t) => [
    // Preflight and completion look up the open requests of one product × version × environment.
    index("deployment_requests_subject_idx").on(
      t.product_id,
      t.version_id,
      t.environment_id,
      t.created_at,
      t.id,
    ),
    index("deployment_requests_created_idx").on(t.created_at, t.id),
    index("deployment_requests_status_created_idx").on(t.status, t.created_at, t.id),
  ],
);

/** One approval type a request needs, and who decided it. */
export const deploymentRequestSlots = sqliteTable(
  "deployment_request_slots",
  {
    request_id: text("request_id")
      .notNull()
      .references(() => deploymentRequests.id, { onDelete: "cascade" }),
    type: text("type").notNull(),
    /** pending | approved | rejected */
    status: text("status").notNull(),
    decided_by_id: text("decided_by_id"),
    decided_by: text("decided_by"),
    decided_role: text("decided_role"),
    comment: text("comment"),
    decided_at: text("decided_at"),
  },
  (t) => [primaryKey({ columns: [t.request_id, t.type] })],
);
