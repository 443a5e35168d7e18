CREATE TABLE `release_versions` (
	`release_id` text NOT NULL,
	`product_id` text NOT NULL,
	`version_id` text NOT NULL,
	`added_at` text NOT NULL,
	PRIMARY KEY(`release_id`, `product_id`),
	FOREIGN KEY (`release_id`) REFERENCES `releases`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`version_id`) REFERENCES `versions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `release_versions_version_idx` ON `release_versions` (`version_id`);--> statement-breakpoint
CREATE INDEX `release_versions_product_idx` ON `release_versions` (`product_id`);--> statement-breakpoint
CREATE TABLE `releases` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`status` text NOT NULL,
	`target_environment_ids` text NOT NULL,
	`extra_metadata` text NOT NULL,
	`started_at` text,
	`completed_at` text,
	`cancelled_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `releases_name_uq` ON `releases` (`name`);--> statement-breakpoint
CREATE INDEX `releases_created_idx` ON `releases` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `releases_status_created_idx` ON `releases` (`status`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `variables` (
	`id` text PRIMARY KEY NOT NULL,
	`scope_id` text NOT NULL,
	`product_id` text,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`secret` integer NOT NULL,
	`description` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `variables_scope_key_uq` ON `variables` (`scope_id`,`key`);--> statement-breakpoint
CREATE INDEX `variables_product_idx` ON `variables` (`product_id`);--> statement-breakpoint
CREATE TABLE `deployment_buttons` (
	`id` text PRIMARY KEY NOT NULL,
	`product_id` text NOT NULL,
	`name` text NOT NULL,
	`url_template` text NOT NULL,
	`environment_ids` text NOT NULL,
	`enabled` integer NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `deployment_buttons_product_enabled_idx` ON `deployment_buttons` (`product_id`,`enabled`);--> statement-breakpoint
CREATE UNIQUE INDEX `deployment_buttons_product_name_uq` ON `deployment_buttons` (`product_id`,`name`);