-- GET /state is cached per process and keyed by this counter. Every change to what the matrix
-- shows bumps it inside the same transaction, whichever process or route made it, so a cached
-- matrix is never served after a change.
INSERT INTO `settings` (`key`, `value`) VALUES ('state_generation', '0') ON CONFLICT DO NOTHING;
--> statement-breakpoint
CREATE TRIGGER `products_insert_state_generation` AFTER INSERT ON `products` BEGIN UPDATE `settings` SET `value` = CAST(`value` AS INTEGER) + 1 WHERE `key` = 'state_generation'; END;
--> statement-breakpoint
CREATE TRIGGER `products_update_state_generation` AFTER UPDATE ON `products` BEGIN UPDATE `settings` SET `value` = CAST(`value` AS INTEGER) + 1 WHERE `key` = 'state_generation'; END;
--> statement-breakpoint
CREATE TRIGGER `products_delete_state_generation` AFTER DELETE ON `products` BEGIN UPDATE `settings` SET `value` = CAST(`value` AS INTEGER) + 1 WHERE `key` = 'state_generation'; END;
--> statement-breakpoint
CREATE TRIGGER `environments_insert_state_generation` AFTER INSERT ON `environments` BEGIN UPDATE `settings` SET `value` = CAST(`value` AS INTEGER) + 1 WHERE `key` = 'state_generation'; END;
--> statement-breakpoint
CREATE TRIGGER `environments_update_state_generation` AFTER UPDATE ON `environments` BEGIN UPDATE `settings` SET `value` = CAST(`value` AS INTEGER) + 1 WHERE `key` = 'state_generation'; END;
--> statement-breakpoint
CREATE TRIGGER `environments_delete_state_generation` AFTER DELETE ON `environments` BEGIN UPDATE `settings` SET `value` = CAST(`value` AS INTEGER) + 1 WHERE `key` = 'state_generation'; END;
--> statement-breakpoint
CREATE TRIGGER `current_state_insert_state_generation` AFTER INSERT ON `current_state` BEGIN UPDATE `settings` SET `value` = CAST(`value` AS INTEGER) + 1 WHERE `key` = 'state_generation'; END;
--> statement-breakpoint
CREATE TRIGGER `current_state_update_state_generation` AFTER UPDATE ON `current_state` BEGIN UPDATE `settings` SET `value` = CAST(`value` AS INTEGER) + 1 WHERE `key` = 'state_generation'; END;
--> statement-breakpoint
CREATE TRIGGER `current_state_delete_state_generation` AFTER DELETE ON `current_state` BEGIN UPDATE `settings` SET `value` = CAST(`value` AS INTEGER) + 1 WHERE `key` = 'state_generation'; END;
--> statement-breakpoint
CREATE TRIGGER `deployment_buttons_insert_state_generation` AFTER INSERT ON `deployment_buttons` BEGIN UPDATE `settings` SET `value` = CAST(`value` AS INTEGER) + 1 WHERE `key` = 'state_generation'; END;
--> statement-breakpoint
CREATE TRIGGER `deployment_buttons_update_state_generation` AFTER UPDATE ON `deployment_buttons` BEGIN UPDATE `settings` SET `value` = CAST(`value` AS INTEGER) + 1 WHERE `key` = 'state_generation'; END;
--> statement-breakpoint
CREATE TRIGGER `deployment_buttons_delete_state_generation` AFTER DELETE ON `deployment_buttons` BEGIN UPDATE `settings` SET `value` = CAST(`value` AS INTEGER) + 1 WHERE `key` = 'state_generation'; END;
--> statement-breakpoint
CREATE TRIGGER `variables_insert_state_generation` AFTER INSERT ON `variables` BEGIN UPDATE `settings` SET `value` = CAST(`value` AS INTEGER) + 1 WHERE `key` = 'state_generation'; END;
--> statement-breakpoint
CREATE TRIGGER `variables_update_state_generation` AFTER UPDATE ON `variables` BEGIN UPDATE `settings` SET `value` = CAST(`value` AS INTEGER) + 1 WHERE `key` = 'state_generation'; END;
--> statement-breakpoint
CREATE TRIGGER `variables_delete_state_generation` AFTER DELETE ON `variables` BEGIN UPDATE `settings` SET `value` = CAST(`value` AS INTEGER) + 1 WHERE `key` = 'state_generation'; END;
--> statement-breakpoint
CREATE TRIGGER `versions_insert_state_generation` AFTER INSERT ON `versions` BEGIN UPDATE `settings` SET `value` = CAST(`value` AS INTEGER) + 1 WHERE `key` = 'state_generation'; END;
--> statement-breakpoint
CREATE TRIGGER `versions_update_state_generation` AFTER UPDATE ON `versions` BEGIN UPDATE `settings` SET `value` = CAST(`value` AS INTEGER) + 1 WHERE `key` = 'state_generation'; END;
--> statement-breakpoint
CREATE TRIGGER `versions_delete_state_generation` AFTER DELETE ON `versions` BEGIN UPDATE `settings` SET `value` = CAST(`value` AS INTEGER) + 1 WHERE `key` = 'state_generation'; END;
