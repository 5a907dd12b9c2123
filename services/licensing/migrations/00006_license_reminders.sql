-- +goose Up
-- Reminders before expiry: when the holder was told its license runs out.
ALTER TABLE license ADD COLUMN reminded_at timestamptz;
CREATE INDEX license_to_remind ON license (valid_until) WHERE status = 'active' AND reminded_at IS NULL;

-- +goose Down
DROP INDEX license_to_remind;
ALTER TABLE license DROP COLUMN reminded_at;
