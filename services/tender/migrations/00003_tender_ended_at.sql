-- +goose Up
-- When a tender reached a terminal state (cancelled, failed, contracted):
-- the date of its last OCDS release.
ALTER TABLE tender ADD COLUMN ended_at timestamptz;

-- +goose Down
ALTER TABLE tender DROP COLUMN ended_at;
