-- DORA facts on their way into dora_facts: ingest appends a finished deployment's fact here and
-- moves them in bulk (insights/dora-facts.ts), so a group of single events no longer writes a leaf
-- of dora_facts_read_idx per event. Empty at creation: the facts written before stay in dora_facts.
CREATE TABLE `dora_pending_facts` (
	`seq` integer PRIMARY KEY NOT NULL,
	`deployment_id` text NOT NULL,
	`product_id` text NOT NULL,
	`environment_id` text NOT NULL,
	`status` text NOT NULL,
	`finished_at` text NOT NULL,
	`lead_ms` integer,
	`rolled_back` integer NOT NULL
);
