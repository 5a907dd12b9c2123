-- +goose Up
-- A business keeps the Idempotency-Key it was registered under (as an
-- application does, 00007): a retry that takes the key over after a crash
-- between the registration's commit and the stored answer finds the
-- business instead of registering a second one with another NIB.
ALTER TABLE business ADD COLUMN idempotency_key text;
CREATE UNIQUE INDEX business_idempotency_key ON business (owner_subject, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- +goose Down
DROP INDEX business_idempotency_key;
ALTER TABLE business DROP COLUMN idempotency_key;
