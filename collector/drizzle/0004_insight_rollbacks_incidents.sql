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
CREATE TABLE `dora_facts` (
	`deployment_id` text PRIMARY KEY NOT NULL,
	`product_id` text NOT NULL,
	`environment_id` text NOT NULL,
	`status` text NOT NULL,
	`finished_at` text NOT NULL,
	`lead_ms` integer,
	`rolled_back` integer NOT NULL,
	`incident_linked` integer NOT NULL,
	FOREIGN KEY (`deployment_id`) REFERENCES `deployments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `dora_facts_read_idx` ON `dora_facts` (`product_id`,`environment_id`,`finished_at`,`status`,`lead_ms`,`rolled_back`,`incident_linked`,`deployment_id`);--> statement-breakpoint
CREATE INDEX `dora_facts_environment_idx` ON `dora_facts` (`environment_id`,`finished_at`);--> statement-breakpoint
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
-- DORA's read model for the history recorded before this migration: every finished deployment,
-- with its lead time when it is the first completed deployment of its version to its environment.
INSERT INTO `dora_facts` (`deployment_id`, `product_id`, `environment_id`, `status`, `finished_at`, `lead_ms`, `rolled_back`, `incident_linked`)
SELECT d.`id`, d.`product_id`, d.`environment_id`, d.`status`, d.`completed_at`,
  CASE WHEN d.`status` = 'completed' AND v.`scm_committed_at` IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM `deployments` p WHERE p.`product_id` = d.`product_id` AND p.`environment_id` = d.`environment_id`
      AND p.`version_id` = d.`version_id` AND p.`status` = 'completed'
      AND (p.`completed_at` < d.`completed_at` OR (p.`completed_at` = d.`completed_at` AND p.`id` < d.`id`)))
  THEN max(0, CAST(round((julianday(d.`completed_at`) - julianday(v.`scm_committed_at`)) * 86400000) AS INTEGER)) END,
  0, 0
FROM `deployments` d JOIN `versions` v ON v.`id` = d.`version_id`
WHERE d.`status` IN ('completed', 'failed') AND d.`completed_at` IS NOT NULL;
