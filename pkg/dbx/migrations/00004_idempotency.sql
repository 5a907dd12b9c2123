-- +goose Up
-- Idempotency keys (pkg/idempotency): the first response to a create is kept
-- per (owner, key) with a hash of the request, so that a retry gets the same
-- answer instead of a second record. owner is "sub:<subject>" for a signed-in
-- caller or "anonymous:<scope>". A row is in progress while its request runs
-- (lease_token names the request holding it, leased_at when it took it) and
-- done once the response is stored; rows are purged after a retention period.
CREATE TABLE idempotency_keys (
    owner         text        NOT NULL,
    key           text        NOT NULL,
    request_hash  bytea       NOT NULL,
    state         text        NOT NULL DEFAULT 'in_progress' CHECK (state IN ('in_progress', 'done')),
    lease_token   uuid        NOT NULL,
    leased_at     timestamptz NOT NULL,
    status_code   integer,
    content_type  text,
    headers       jsonb,
    body          bytea,
    created_at    timestamptz NOT NULL,
    completed_at  timestamptz,
    PRIMARY KEY (owner, key),
    CHECK (state = 'in_progress' OR (status_code IS NOT NULL AND body IS NOT NULL))
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
