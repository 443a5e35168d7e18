-- Repeats are now judged against the latest event of a stream by the hash of the canonical body
-- (issue 9): the natural key and its time window are gone. Older rows keep body_hash null and are
-- hashed from their payload when needed.
DROP INDEX `events_natural_key_idx`;--> statement-breakpoint
DROP INDEX `events_product_idx`;--> statement-breakpoint
ALTER TABLE `events` ADD `body_hash` text;--> statement-breakpoint
CREATE INDEX `events_deployment_stream_idx` ON `events` (`product_id`,`environment_id`);--> statement-breakpoint
CREATE INDEX `events_build_stream_idx` ON `events` (`version_id`,`environment_id`);--> statement-breakpoint
ALTER TABLE `events` DROP COLUMN `natural_key`;--> statement-breakpoint
ALTER TABLE `events` DROP COLUMN `has_invoke_id`;