CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`key_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`scope` text NOT NULL,
	`token_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`created_at` text NOT NULL,
	`last_used_at` text,
	`revoked_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_id_uq` ON `api_keys` (`key_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_token_hash_uq` ON `api_keys` (`token_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_created_idx` ON `api_keys` (`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `builds` (
	`id` text PRIMARY KEY NOT NULL,
	`version_id` text NOT NULL,
	`status` text NOT NULL,
	`build_number` text,
	`build_url` text,
	`invoke_id` text,
	`source_system` text,
	`built_by` text,
	`started_at` text,
	`completed_at` text,
	`extra_metadata` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`version_id`) REFERENCES `versions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `builds_version_invoke_idx` ON `builds` (`version_id`,`invoke_id`);--> statement-breakpoint
CREATE TABLE `current_state` (
	`product_id` text NOT NULL,
	`environment_id` text NOT NULL,
	`current_deployment_id` text,
	`current_version_id` text,
	`current_version` text,
	`current_deployed_at` text,
	`current_deployed_by` text,
	`last_deployment_id` text NOT NULL,
	`last_version` text NOT NULL,
	`last_status` text NOT NULL,
	`last_at` text NOT NULL,
	PRIMARY KEY(`product_id`, `environment_id`),
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`environment_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `current_state_environment_idx` ON `current_state` (`environment_id`);--> statement-breakpoint
CREATE TABLE `deployments` (
	`id` text PRIMARY KEY NOT NULL,
	`product_id` text NOT NULL,
	`version_id` text NOT NULL,
	`environment_id` text NOT NULL,
	`status` text NOT NULL,
	`deployed_by` text,
	`deployed_by_email` text,
	`deployed_by_name` text,
	`deploy_url` text,
	`source_system` text,
	`invoke_id` text,
	`started_at` text,
	`completed_at` text,
	`extra_metadata` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`version_id`) REFERENCES `versions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`environment_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `deployments_lifecycle_idx` ON `deployments` (`product_id`,`environment_id`,`version_id`,`invoke_id`);--> statement-breakpoint
CREATE INDEX `deployments_created_idx` ON `deployments` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `deployments_product_created_idx` ON `deployments` (`product_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `deployments_environment_created_idx` ON `deployments` (`environment_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `deployments_version_idx` ON `deployments` (`version_id`);--> statement-breakpoint
CREATE TABLE `environments` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`type` text NOT NULL,
	`description` text,
	`metadata` text NOT NULL,
	`sort_order` integer NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `environments_name_unique` ON `environments` (`name`);--> statement-breakpoint
CREATE TABLE `products` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`extra_metadata` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `products_name_unique` ON `products` (`name`);--> statement-breakpoint
CREATE TABLE `versions` (
	`id` text PRIMARY KEY NOT NULL,
	`product_id` text NOT NULL,
	`version` text NOT NULL,
	`scm_sha` text,
	`scm_repository` text,
	`scm_branch` text,
	`scm_committed_at` text,
	`build_number` text,
	`build_url` text,
	`source_system` text,
	`invoke_id` text,
	`built_by` text,
	`built_by_email` text,
	`built_by_name` text,
	`status` text,
	`started_at` text,
	`completed_at` text,
	`extra_metadata` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `versions_product_version_uq` ON `versions` (`product_id`,`version`);--> statement-breakpoint
CREATE INDEX `versions_scm_sha_idx` ON `versions` (`scm_sha`);--> statement-breakpoint
CREATE INDEX `versions_product_created_idx` ON `versions` (`product_id`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`idempotency_key` text,
	`natural_key` text NOT NULL,
	`has_invoke_id` integer NOT NULL,
	`product_id` text NOT NULL,
	`version_id` text NOT NULL,
	`environment_id` text,
	`record_id` text NOT NULL,
	`status` text NOT NULL,
	`payload` text NOT NULL,
	`response` text NOT NULL,
	`received_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_idempotency_key_uq` ON `events` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `events_natural_key_idx` ON `events` (`natural_key`,`received_at`);--> statement-breakpoint
CREATE INDEX `events_product_idx` ON `events` (`product_id`);