CREATE TABLE `deployment_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`type` text NOT NULL,
	`mode` text NOT NULL,
	`scope_products` text NOT NULL,
	`scope_environments` text NOT NULL,
	`settings` text NOT NULL,
	`description` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `deployment_rules_name_uq` ON `deployment_rules` (`name`);--> statement-breakpoint
CREATE TABLE `environment_locks` (
	`id` text PRIMARY KEY NOT NULL,
	`environment_id` text NOT NULL,
	`product_id` text,
	`scope_key` text NOT NULL,
	`reason` text NOT NULL,
	`locked_by` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text,
	FOREIGN KEY (`environment_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `environment_locks_scope_uq` ON `environment_locks` (`environment_id`,`scope_key`);--> statement-breakpoint
CREATE INDEX `environment_locks_product_idx` ON `environment_locks` (`product_id`);--> statement-breakpoint
CREATE TABLE `preflight_failures` (
	`id` text PRIMARY KEY NOT NULL,
	`product` text NOT NULL,
	`version` text NOT NULL,
	`environment` text NOT NULL,
	`code` text NOT NULL,
	`message` text NOT NULL,
	`rule_id` text,
	`rule_name` text,
	`details` text NOT NULL,
	`retry_after` text,
	`actor` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `preflight_failures_created_idx` ON `preflight_failures` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `preflight_failures_product_created_idx` ON `preflight_failures` (`product`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `preflight_failures_environment_created_idx` ON `preflight_failures` (`environment`,`created_at`,`id`);