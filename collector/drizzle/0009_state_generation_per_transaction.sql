-- Ingest writes a version and a /state cell for nearly every event; their per-row triggers ran an
-- UPDATE of `settings` for each of those rows. The ingest transaction now bumps the generation once
-- itself (UnitOfWork.transaction), and nothing else writes these two tables but the deletion of a
-- product, whose own trigger still bumps it. The other tables keep their triggers (migration 0001).
DROP TRIGGER IF EXISTS `versions_insert_state_generation`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `versions_update_state_generation`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `versions_delete_state_generation`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `current_state_insert_state_generation`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `current_state_update_state_generation`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `current_state_delete_state_generation`;
