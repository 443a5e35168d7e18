import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { deployments, environments, products } from "./catalog.ts";

/**
 * Rollbacks found by the ingest transaction (insights/rollback-detector.ts): one row per completed
 * deployment that went back to a version which ran in the environment before. Kept beside
 * `deployments` rather than as columns of it, so ingest's own row updates can never clear a mark.
 */
export const deploymentRollbacks = sqliteTable(
  "deployment_rollbacks",
  {
    /** The rollback deployment. */
    deployment_id: text("deployment_id")
      .primaryKey()
      .references(() => deployments.id, { onDelete: "cascade" }),
    /** The deployment it replaced, which is thereby marked rolled back. */
    replaced_deployment_id: text("replaced_deployment_id")
      .notNull()
      .references(() => deployments.id, { onDelete: "cascade" }),
    product_id: text("product_id").notNull(),
    environment_id: text("environment_id").notNull(),
    rolled_back_from_version_id: text("rolled_back_from_version_id").notNull(),
    rolled_back_from_version: text("rolled_back_from_version").notNull(),
    detected_at: text("detected_at").notNull(),
  },
  (t) => [
    index("deployment_rollbacks_replaced_idx").on(t.replaced_deployment_id),
    index("deployment_rollbacks_environment_product_idx").on(t.environment_id, t.product_id),
  ],
);

/** Production incidents, recorded by people or tools (`POST /incidents`), for CFR and time to restore. */
export const incidents = sqliteTable(
  "incidents",
  {
    id: text("id").primaryKey(),
    title: text("title").notNull(),
    description: text("description"),
    product_id: text("product_id")
      .notNull()
      .references(() => products.id, { onDelete: "cascade" }),
    environment_id: text("environment_id")
      .notNull()
      .references(() => environments.id, { onDelete: "cascade" }),
    /** The deployment that caused it, when known: that deployment counts as a change failure. */
    deployment_id: text("deployment_id").references(() => deployments.id, { onDelete: "set null" }),
    opened_at: text("opened_at").notNull(),
    resolved_at: text("resolved_at"),
    created_by: text("created_by").notNull(),
    created_at: text("created_at").notNull(),
    updated_at: text("updated_at").notNull(),
  },
  (t) => [
    index("incidents_product_environment_opened_idx").on(t.product_id, t.environment_id, t.opened_at),
    index("incidents_environment_opened_idx").on(t.environment_id, t.opened_at),
    index("incidents_deployment_idx").on(t.deployment_id),
    index("incidents_opened_idx").on(t.opened_at, t.id),
  ],
);

/** What a DORA fact says of its deployment, in `dora_facts` and on its way there (`dora_pending_facts`). */
const factColumns = () => ({
  product_id: text("product_id").notNull(),
  environment_id: text("environment_id").notNull(),
  status: text("status").notNull(),
  finished_at: text("finished_at").notNull(),
  /** Lead time in ms: set on the first completed deployment of its version to this environment. */
  lead_ms: integer("lead_ms"),
  rolled_back: integer("rolled_back", { mode: "boolean" }).notNull(),
});

/**
 * DORA's read model: one row per finished (completed or failed) deployment with the facts the
 * metrics need, kept by the ingest transaction (through `dora_pending_facts`, insights/dora-facts.ts)
 * and by incident writes, so `GET /metrics/dora` is one covering range read per environment with no
 * per-deployment lookup.
 */
export const doraFacts = sqliteTable(
  "dora_facts",
  {
    deployment_id: text("deployment_id")
      .primaryKey()
      .references(() => deployments.id, { onDelete: "cascade" }),
    ...factColumns(),
    incident_linked: integer("incident_linked", { mode: "boolean" }).notNull(),
    /**
     * What the DORA read takes of a fact, in one string: `finished_at`, a space, the flags digit
     * (1 failed + 2 rolled back + 4 incident-linked) and `lead_ms` (nothing for no sample). Computed
     * by SQLite, kept in the read index: the read concatenates one value a fact, not three.
     */
    packed: text("packed").generatedAlwaysAs(
      sql`"finished_at" || ' ' || (("status" = 'failed') + 2 * "rolled_back" + 4 * "incident_linked") || ifnull("lead_ms", '')`,
      { mode: "virtual" },
    ),
  },
  (t) => [
    index("dora_facts_read_idx").on(
      t.product_id,
      t.environment_id,
      t.finished_at,
      t.status,
      t.lead_ms,
      t.rolled_back,
      t.incident_linked,
      t.deployment_id,
      t.packed,
    ),
    index("dora_facts_environment_idx").on(t.environment_id, t.finished_at),
  ],
);

/**
 * DORA facts not yet in `dora_facts`: the ingest transaction appends a finished deployment's fact
 * here (one row at the end of one b-tree, whatever its product and environment), and moves them
 * into `dora_facts` in bulk (insights/dora-facts.ts: every DORA_FACTS_PER_MOVE facts, and before
 * every DORA read). A group of single events spread over 80 cells otherwise wrote a leaf of
 * `dora_facts_read_idx` per event; moved together, a leaf takes many facts in one write.
 * `seq` (the rowid: one more than the largest present, no AUTOINCREMENT and its extra table) orders
 * them: a later fact of one deployment replaces an earlier one, as the upsert did.
 */
export const doraPendingFacts = sqliteTable("dora_pending_facts", {
  seq: integer("seq").primaryKey(),
  deployment_id: text("deployment_id").notNull(),
  ...factColumns(),
});
