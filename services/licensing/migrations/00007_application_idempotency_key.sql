-- +goose Up
-- An application keeps the Idempotency-Key it was created under, in its own
-- row and transaction: a retry that takes the key over after the process
-- died between the application's commit and the stored answer finds the
-- application instead of making a second one.
ALTER TABLE application ADD COLUMN idempotency_key text;
CREATE UNIQUE INDEX application_idempotency_key ON application (owner_subject, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- +goose Down
DROP INDEX application_idempotency_key;
ALTER TABLE application DROP COLUMN idempotency_key;
