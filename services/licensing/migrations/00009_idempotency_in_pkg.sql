-- +goose Up
-- The Idempotency-Key of creates is kept by pkg/idempotency in the create's
-- own transaction (table idempotency_keys, platform migrations): the
-- applications and businesses no longer keep it themselves.
DROP INDEX application_idempotency_key;
ALTER TABLE application DROP COLUMN idempotency_key;
DROP INDEX business_idempotency_key;
ALTER TABLE business DROP COLUMN idempotency_key;

-- +goose Down
ALTER TABLE application ADD COLUMN idempotency_key text;
CREATE UNIQUE INDEX application_idempotency_key ON application (owner_subject, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
ALTER TABLE business ADD COLUMN idempotency_key text;
CREATE UNIQUE INDEX business_idempotency_key ON business (owner_subject, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
