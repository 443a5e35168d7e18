DROP INDEX `builds_version_invoke_idx`;--> statement-breakpoint
CREATE INDEX `builds_version_invoke_idx` ON `builds` (`version_id`,`invoke_id`,`created_at`,`id`);--> statement-breakpoint
DROP INDEX `deployments_lifecycle_idx`;--> statement-breakpoint
CREATE INDEX `deployments_lifecycle_idx` ON `deployments` (`product_id`,`environment_id`,`version_id`,`invoke_id`,`created_at`,`id`);