-- A deployment cell's latest event, for the ingest repeat and lifecycle rules: kept on the cell by
-- the ingest transaction (its upsert already writes the row) instead of read from an index on
-- `events` by product + environment, which every stored event paid a b-tree insert for. Filled
-- from that index, newest by rowid, before it goes.
ALTER TABLE `current_state` ADD `latest_event_id` text;--> statement-breakpoint
UPDATE `current_state` SET `latest_event_id` = (
  SELECT `id` FROM `events`
  WHERE `events`.`product_id` = `current_state`.`product_id`
    AND `events`.`environment_id` = `current_state`.`environment_id`
  ORDER BY `events`.`rowid` DESC LIMIT 1
);--> statement-breakpoint
DROP INDEX `events_deployment_stream_idx`;
