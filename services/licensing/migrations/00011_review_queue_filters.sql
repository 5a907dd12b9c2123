-- +goose Up
-- The review queue filtered by one state or one KBLI, still sorted by SLA
-- due date (those paused for a revision last): a range scan of one of
-- these in the order of the page, however few of a long queue match
-- (application_queue would be read from its start, the rows filtered).
CREATE INDEX application_queue_state ON application (state, (COALESCE(sla_due_at, 'infinity'::timestamptz)), id)
    WHERE state IN ('submitted', 'in_review', 'revision_requested');
CREATE INDEX application_queue_kbli ON application (kbli, (COALESCE(sla_due_at, 'infinity'::timestamptz)), id)
    WHERE state IN ('submitted', 'in_review', 'revision_requested');

-- +goose Down
DROP INDEX application_queue_kbli;
DROP INDEX application_queue_state;
