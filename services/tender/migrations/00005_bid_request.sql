-- +goose Up
-- Idempotency keys of bid submissions, written in the bid's own
-- transaction (one commit per bid): the first answer per (vendor, key) with
-- a hash of the request; a retry gets the stored answer. Kept 24 hours.
CREATE TABLE bid_request (
    vendor       text        NOT NULL,
    key          text        NOT NULL,
    request_hash bytea       NOT NULL,
    status       integer     NOT NULL,
    body         bytea       NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (vendor, key)
);
CREATE INDEX bid_request_created ON bid_request (created_at);

-- +goose Down
DROP TABLE bid_request;
