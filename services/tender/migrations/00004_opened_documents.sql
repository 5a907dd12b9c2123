-- +goose Up
-- The documents of a bid as decrypted at the opening (before it they exist
-- only inside the seal), for the committee's evaluation.
ALTER TABLE opened_bid ADD COLUMN documents jsonb;

-- +goose Down
ALTER TABLE opened_bid DROP COLUMN documents;
