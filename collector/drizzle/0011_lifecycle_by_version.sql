-- The deployments' lifecycle index keyed by version first: a version's id is time-ordered and names
-- its product, so a new version's deployments land on the index's last leaf, shared by every event
-- of a commit, not on a leaf per product and environment. It serves every read by version, so
-- the version-only index goes. Rebuilding it reads the whole table once: seconds for a million
-- deployments, at the collector's first start on this version.
DROP INDEX `deployments_version_idx`;--> statement-breakpoint
DROP INDEX `deployments_lifecycle_idx`;--> statement-breakpoint
CREATE INDEX `deployments_lifecycle_idx` ON `deployments` (`version_id`,`environment_id`,`invoke_id`,`created_at`,`id`);