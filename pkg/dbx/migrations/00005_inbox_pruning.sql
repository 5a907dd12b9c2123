-- +goose Up
-- The pruner (pkg/events.PruneInbox) deletes inbox rows by age; without
-- this index each of its batches would scan the inbox. processed_at grows
-- with time, so inserts append to the index's right edge.
CREATE INDEX inbox_processed_at ON inbox (processed_at);

-- +goose Down
DROP INDEX inbox_processed_at;
