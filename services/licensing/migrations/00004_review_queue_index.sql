-- +goose Up
-- The review queue sorts by SLA due date with the applications paused for
-- a revision (no due date) last: index that very expression, so a page of
-- the queue is an index range scan however long the queue.
DROP INDEX application_queue;
CREATE INDEX application_queue ON application ((COALESCE(sla_due_at, 'infinity'::timestamptz)), id)
    WHERE state IN ('submitted', 'in_review', 'revision_requested');
-- The deemed-approval scheduler's scan.
CREATE INDEX application_overdue ON application (sla_due_at) WHERE state IN ('submitted', 'in_review');

-- +goose Down
DROP INDEX application_overdue;
DROP INDEX application_queue;
CREATE INDEX application_queue ON application (sla_due_at, id)
    WHERE state IN ('submitted', 'in_review', 'revision_requested');
