-- +goose Up
-- The transactional outbox: a service writes its event rows in the same
-- transaction as the state change; the relay (pkg/events) publishes pending
-- rows to JetStream and marks them sent. seq orders the rows of one
-- aggregate; a row is published only once every earlier row of its
-- aggregate is sent (or goes out ahead of it in the same batch).
CREATE TABLE outbox (
    seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              uuid        NOT NULL UNIQUE,
    aggregate       text        NOT NULL,
    type            text        NOT NULL,
    payload         json        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT '-infinity',
    last_error      text,
    sent_at         timestamptz,
    -- The same fact as "sent_at IS NULL", under another name so that the
    -- per-aggregate lookups can only use outbox_unsent_by_aggregate: with
    -- statistics taken while the outbox was drained, the planner would
    -- otherwise walk outbox_pending and filter, once per row of a backlog.
    unsent          boolean     GENERATED ALWAYS AS (sent_at IS NULL) STORED
);
-- The relay's claim: pending rows in seq order.
CREATE INDEX outbox_pending ON outbox (seq) WHERE sent_at IS NULL;
-- The head (first unsent row) of an aggregate, and the rows behind it.
CREATE INDEX outbox_unsent_by_aggregate ON outbox (aggregate, seq) WHERE unsent;
-- Writers asking whether a relay sent anything lately; pruning.
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;

-- The inbox: one row per event a consumer has applied, written in the
-- transaction of the handler's effect, so a redelivery is recognised.
CREATE TABLE inbox (
    consumer     text        NOT NULL,
    event_id     uuid        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- Messages a consumer gave up on: undecodable, refused as permanent, or
-- failing MaxDeliver times. An operator lists and replays them.
CREATE TABLE dead_letter (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer    text        NOT NULL,
    stream      text        NOT NULL,
    stream_seq  bigint      NOT NULL,
    subject     text        NOT NULL,
    event_id    text        NOT NULL DEFAULT '',
    payload     bytea       NOT NULL,
    error       text        NOT NULL,
    deliveries  integer     NOT NULL,
    failed_at   timestamptz NOT NULL DEFAULT now(),
    replayed_at timestamptz,
    UNIQUE (consumer, stream, stream_seq)
);

-- +goose Down
DROP TABLE dead_letter;
DROP TABLE inbox;
DROP TABLE outbox;
