CREATE TABLE `integration_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`integration_id` text NOT NULL,
	`delivery_id` text,
	`event_type` text,
	`outcome` text NOT NULL,
	`status_code` integer NOT NULL,
	`detail` text,
	`product_name` text,
	`version` text,
	`environment_name` text,
	`deployment_status` text,
	`received_at` text NOT NULL,
	FOREIGN KEY (`integration_id`) REFERENCES `integrations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `integration_deliveries_integration_idx` ON `integration_deliveries` (`integration_id`,`received_at`);--> statement-breakpoint
CREATE TABLE `integrations` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`enabled` integer NOT NULL,
	`path_token` text NOT NULL,
	`secret` text NOT NULL,
	`mapping` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `integrations_name_unique` ON `integrations` (`name`);--> statement-breakpoint
CREATE UNIQUE INDEX `integrations_path_token_uq` ON `integrations` (`path_token`);--> statement-breakpoint
CREATE INDEX `integrations_kind_idx` ON `integrations` (`kind`);