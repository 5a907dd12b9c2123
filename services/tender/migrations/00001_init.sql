-- +goose Up
-- The tender schema starts here; its tables come in the migrations that follow.
SELECT 1;

-- +goose Down
SELECT 1;
