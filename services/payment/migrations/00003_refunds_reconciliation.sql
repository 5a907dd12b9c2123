-- +goose Up
-- Refunds (four eyes) and bank statement reconciliation.

CREATE TABLE refund (
    id            uuid        PRIMARY KEY,
    invoice_id    uuid        NOT NULL REFERENCES invoice (id),
    payer         text        NOT NULL,
    amount        bigint      NOT NULL CHECK (amount > 0),
    currency      text        NOT NULL,
    from_account  text        NOT NULL DEFAULT '',
    reason        text        NOT NULL,
    state         text        NOT NULL CHECK (state IN ('requested', 'approved', 'rejected', 'completed')),
    requested_by  text        NOT NULL,
    decided_by    text        NOT NULL DEFAULT '',
    decision_note text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    decided_at    timestamptz,
    completed_at  timestamptz,
    version       integer     NOT NULL,
    -- Four eyes, also against a bug in the code.
    CONSTRAINT refund_four_eyes CHECK (decided_by = '' OR decided_by <> requested_by)
);
-- One live refund per invoice.
CREATE UNIQUE INDEX refund_one_open_per_invoice ON refund (invoice_id) WHERE state <> 'rejected';
-- The payout queue.
CREATE INDEX refund_approved ON refund (decided_at) WHERE state = 'approved';

-- An uploaded bank statement and its lines, imported whole or not at all.
CREATE TABLE reconciliation (
    id          uuid        PRIMARY KEY,
    uploaded_by text        NOT NULL,
    file_sha256 text        NOT NULL UNIQUE, -- the same statement twice is refused
    created_at  timestamptz NOT NULL
);

CREATE TABLE reconciliation_line (
    reconciliation_id uuid   NOT NULL REFERENCES reconciliation (id),
    line_no           integer NOT NULL,
    value_date        date   NOT NULL,
    billing_code      text   NOT NULL,
    amount            bigint NOT NULL,
    bank_reference    text   NOT NULL,
    payment_id        uuid   REFERENCES payment (id),
    PRIMARY KEY (reconciliation_id, line_no)
);
-- A payment is matched by one statement line, ever.
CREATE UNIQUE INDEX reconciliation_line_payment ON reconciliation_line (payment_id) WHERE payment_id IS NOT NULL;

-- +goose Down
DROP TABLE reconciliation_line;
DROP TABLE reconciliation;
DROP TABLE refund;
