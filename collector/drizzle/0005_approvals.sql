CREATE TABLE `deployment_request_slots` (
	`request_id` text NOT NULL,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`decided_by_id` text,
	`decided_by` text,
	`decided_role` text,
	`comment` text,
	`decided_at` text,
	PRIMARY KEY(`request_id`, `type`),
	FOREIGN KEY (`request_id`) REFERENCES `deployment_requests`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `deployment_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`product_id` text NOT NULL,
	`version_id` text NOT NULL,
	`environment_id` text NOT NULL,
	`status` text NOT NULL,
	`created_by_id` text NOT NULL,
	`created_by` text NOT NULL,
	`submitted_at` text,
	`decided_at` text,
	`completed_at` text,
	`completed_by_deployment_id` text,
	`cancelled_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`version_id`) REFERENCES `versions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`environment_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `deployment_requests_subject_idx` ON `deployment_requests` (`product_id`,`version_id`,`environment_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `deployment_requests_created_idx` ON `deployment_requests` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `deployment_requests_status_created_idx` ON `deployment_requests` (`status`,`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `version_approvals` (
	`id` text PRIMARY KEY NOT NULL,
	`product_id` text NOT NULL,
	`version_id` text NOT NULL,
	`type` text NOT NULL,
	`decision` text NOT NULL,
	`environment_id` text,
	`comment` text,
	`approved_by_id` text NOT NULL,
	`approved_by` text NOT NULL,
	`approver_role` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`product_id`) REFERENCES `products`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`version_id`) REFERENCES `versions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`environment_id`) REFERENCES `environments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `version_approvals_version_idx` ON `version_approvals` (`version_id`,`created_at`,`id`);