CREATE TABLE `deployment_rollbacks` (
	`deployment_id` text PRIMARY KEY NOT NULL,
	`replaced_deployment_id` text NOT NULL,
	`product_id` text NOT NULL,
	`environment_id` text NOT NULL,
	`rolled_back_from_version_id` text NOT NULL,
	`rolled_back_from_version` text NOT NULL,
	`detected_at` text NOT NULL,
	FOREIGN KEY (`deployment_id`) REFERENCES `deployments`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`replaced_deployment_id`) REFERENCES `deployments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `deployment_rollbacks_replaced_idx` ON `deployment_rollbacks` (`replaced_deployment_id`);--> statement-breakpoint
CREATE INDEX `deployment_rollbacks_environment_product_idx` ON `deployment_rollbacks` (`environment_id`,`product_id`);--> statement-breakpoint
CREATE TABLE `incidents` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`description` text,
	`product_id` text NOT NULL,
	`environment_id` text NOT NULL,
	`deployment_id` text,
	`opened_at` text NOT NULL,
	`resolved_at` text,
	`created_by` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`environment_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`deployment_id`) REFERENCES `deployments`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `incidents_product_environment_opened_idx` ON `incidents` (`product_id`,`environment_id`,`opened_at`);--> statement-breakpoint
CREATE INDEX `incidents_environment_opened_idx` ON `incidents` (`environment_id`,`opened_at`);--> statement-breakpoint
CREATE INDEX `incidents_deployment_idx` ON `incidents` (`deployment_id`);--> statement-breakpoint
CREATE INDEX `incidents_opened_idx` ON `incidents` (`opened_at`,`id`);--> statement-breakpoint
DROP INDEX `deployments_version_idx`;--> statement-breakpoint
CREATE INDEX `deployments_dora_idx` ON `deployments` (`product_id`,`environment_id`,`completed_at`,`status`,`version_id`,`id`);--> statement-breakpoint
CREATE INDEX `deployments_environment_completed_idx` ON `deployments` (`environment_id`,`completed_at`);--> statement-breakpoint
CREATE INDEX `deployments_version_idx` ON `deployments` (`version_id`,`status`,`environment_id`,`completed_at`);