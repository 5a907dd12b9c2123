-- +goose Up
-- Invoices, payments, the double-entry ledger and bid securities.

CREATE TABLE invoice (
    id           uuid        PRIMARY KEY,
    billing_code text        NOT NULL CHECK (billing_code ~ '^[7-9][0-9]{14}$'),
    purpose      text        NOT NULL CHECK (purpose IN ('license_fee', 'bid_security', 'other')),
    reference    text        NOT NULL,
    payer        text        NOT NULL,
    amount       bigint      NOT NULL CHECK (amount > 0),
    currency     text        NOT NULL,
    description  text        NOT NULL DEFAULT '',
    state        text        NOT NULL CHECK (state IN ('pending', 'paid', 'reconciled', 'expired', 'cancelled',
                                                       'refund_pending', 'refunded', 'manual_review')),
    expires_at   timestamptz NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    version      integer     NOT NULL,
    CONSTRAINT invoice_billing_code_key UNIQUE (billing_code),
    -- The same request twice makes one invoice.
    CONSTRAINT invoice_purpose_reference_key UNIQUE (purpose, reference)
);
-- The expiry scheduler's queue.
CREATE INDEX invoice_pending_expiry ON invoice (expires_at) WHERE state = 'pending';
-- A payer's list, newest first (UUIDv7 ids sort by creation).
CREATE INDEX invoice_payer_id ON invoice (payer, id DESC);

-- Every payment the gateway confirmed, once per gateway reference, whether
-- it paid an invoice or waits for review. Never updated.
CREATE TABLE payment (
    id                uuid        PRIMARY KEY,
    gateway_reference text        NOT NULL,
    invoice_id        uuid        REFERENCES invoice (id),
    billing_code      text        NOT NULL,
    amount            bigint      NOT NULL,
    currency          text        NOT NULL,
    proof             text        NOT NULL, -- the NTPN-like proof of payment from the gateway
    paid_at           timestamptz NOT NULL,
    received_at       timestamptz NOT NULL,
    outcome           text        NOT NULL CHECK (outcome IN ('applied', 'manual_review')),
    review_reason     text        NOT NULL DEFAULT '',
    CONSTRAINT payment_gateway_reference_key UNIQUE (gateway_reference)
);
CREATE INDEX payment_invoice ON payment (invoice_id);
CREATE INDEX payment_billing_code ON payment (billing_code);

-- The ledger: transactions of postings, appended only. Debits positive,
-- credits negative; a transaction sums to zero per currency, checked at
-- commit. Balances are derived from postings (no balance row that every
-- payment would have to lock).
CREATE TABLE ledger_transaction (
    id         uuid        PRIMARY KEY,
    kind       text        NOT NULL,
    invoice_id uuid        REFERENCES invoice (id),
    reverses   uuid        UNIQUE REFERENCES ledger_transaction (id),
    created_at timestamptz NOT NULL
);
CREATE INDEX ledger_transaction_invoice ON ledger_transaction (invoice_id);

CREATE TABLE ledger_posting (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id uuid   NOT NULL REFERENCES ledger_transaction (id),
    account        text   NOT NULL,
    currency       text   NOT NULL,
    amount         bigint NOT NULL CHECK (amount <> 0)
);
CREATE INDEX ledger_posting_transaction ON ledger_posting (transaction_id);
CREATE INDEX ledger_posting_account ON ledger_posting (account);

-- +goose StatementBegin
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused; correct with a reversing transaction', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    lines integer;
    unbalanced text;
BEGIN
    SELECT count(*) INTO lines FROM ledger_posting WHERE transaction_id = NEW.id;
    IF lines < 2 THEN
        RAISE EXCEPTION 'ledger transaction % has % postings; a double entry needs two or more', NEW.id, lines
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transaction_balanced';
    END IF;
    SELECT string_agg(currency || ' ' || s, ', ') INTO unbalanced FROM (
        SELECT currency, sum(amount) AS s FROM ledger_posting
        WHERE transaction_id = NEW.id GROUP BY currency HAVING sum(amount) <> 0) u;
    IF unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: %', NEW.id, unbalanced
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_transaction_balanced';
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- Checked at commit, once the transaction's postings are all in.
CREATE CONSTRAINT TRIGGER ledger_transaction_balanced AFTER INSERT ON ledger_transaction
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();

CREATE TRIGGER ledger_transaction_append_only BEFORE UPDATE OR DELETE ON ledger_transaction
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_transaction_no_truncate BEFORE TRUNCATE ON ledger_transaction
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE OR DELETE ON ledger_posting
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_posting_no_truncate BEFORE TRUNCATE ON ledger_posting
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER payment_append_only BEFORE UPDATE OR DELETE ON payment
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

-- Bid securities, one per vendor per tender, each backed by an invoice.
CREATE TABLE bid_security (
    id               uuid        PRIMARY KEY,
    invoice_id       uuid        NOT NULL UNIQUE REFERENCES invoice (id),
    tender_id        text        NOT NULL,
    vendor           text        NOT NULL,
    amount           bigint      NOT NULL CHECK (amount > 0),
    currency         text        NOT NULL,
    state            text        NOT NULL CHECK (state IN ('awaiting_payment', 'held', 'released', 'forfeited')),
    pending_decision text        NOT NULL DEFAULT '' CHECK (pending_decision IN ('', 'release', 'forfeit')),
    reason           text        NOT NULL DEFAULT '',
    updated_at       timestamptz NOT NULL,
    CONSTRAINT bid_security_tender_vendor_key UNIQUE (tender_id, vendor)
);

-- Finalised awards, so that a security invoiced after the award (events of
-- one tender may arrive in any order) is released to a non-winner at once.
CREATE TABLE tender_award (
    tender_id    text        PRIMARY KEY,
    winner       text        NOT NULL,
    finalised_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE tender_award;
DROP TABLE bid_security;
DROP TABLE ledger_posting;
DROP TABLE ledger_transaction;
DROP FUNCTION ledger_check_balanced();
DROP TABLE payment;
DROP FUNCTION ledger_refuse_change();
DROP TABLE invoice;
