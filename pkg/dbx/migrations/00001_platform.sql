-- +goose Up
-- The platform tables come in the migrations that follow, one file per
-- package of pkg/ (events, audit, idempotency). This one marks the start.
SELECT 1;

-- +goose Down
SELECT 1;
