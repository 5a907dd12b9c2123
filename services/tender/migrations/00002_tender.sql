-- +goose Up
-- The tender service's tables. Every state change writes its row(s) here,
-- an outbox row and an audit record in one transaction (pkg/events,
-- pkg/audit). Bids are stored sealed: before the opening no column holds a
-- price or a technical offer in clear.

CREATE SEQUENCE tender_number_seq;

CREATE TABLE tender (
    id                  uuid        PRIMARY KEY,
    number              text        NOT NULL UNIQUE,
    state               text        NOT NULL,
    version             integer     NOT NULL,
    amendment           integer     NOT NULL DEFAULT 0,
    buyer_agency        text        NOT NULL,
    title               text        NOT NULL,
    description         text        NOT NULL DEFAULT '',
    category            text        NOT NULL,
    hps                 bigint      NOT NULL CHECK (hps > 0),
    hps_public          boolean     NOT NULL,
    kbli                text        NOT NULL,
    procurement_method  text        NOT NULL,
    evaluation          jsonb       NOT NULL,
    bid_security_amount bigint      NOT NULL CHECK (bid_security_amount >= 0),
    bid_period_start    timestamptz NOT NULL,
    bid_deadline        timestamptz NOT NULL,
    objection_days      integer     NOT NULL,
    min_bids            integer     NOT NULL,
    -- HPKE public key bids are sealed to; the private key only wrapped by
    -- the key-encryption key of the configuration.
    public_key          bytea,
    wrapped_key         bytea,
    created_by          text        NOT NULL,
    created_at          timestamptz NOT NULL,
    published_at        timestamptz,
    opening_started_at  timestamptz,
    objection_ends_at   timestamptz,
    reason              text        NOT NULL DEFAULT ''
);
-- The scheduler's work: tenders whose period ends.
CREATE INDEX tender_announced_due ON tender (bid_period_start) WHERE state = 'announced';
CREATE INDEX tender_tendering_due ON tender (bid_deadline) WHERE state = 'tendering';
CREATE INDEX tender_objection_due ON tender (objection_ends_at) WHERE state = 'objection_period';
CREATE INDEX tender_public ON tender (published_at DESC, id DESC) WHERE published_at IS NOT NULL;

CREATE TABLE tender_committee (
    tender_id uuid NOT NULL REFERENCES tender (id),
    member    text NOT NULL,
    PRIMARY KEY (tender_id, member)
);
CREATE INDEX tender_committee_member ON tender_committee (member);

-- Addenda: each amendment's terms, numbered per tender.
CREATE TABLE addendum (
    tender_id         uuid        NOT NULL REFERENCES tender (id),
    number            integer     NOT NULL,
    terms             jsonb       NOT NULL,
    deadline_extended boolean     NOT NULL,
    published_by      text        NOT NULL,
    published_at      timestamptz NOT NULL,
    PRIMARY KEY (tender_id, number)
);

-- Clarification questions; the asker is kept but never shown publicly.
CREATE TABLE clarification (
    id          uuid        PRIMARY KEY,
    tender_id   uuid        NOT NULL REFERENCES tender (id),
    asker_org   text        NOT NULL,
    asker       text        NOT NULL,
    question    text        NOT NULL,
    asked_at    timestamptz NOT NULL,
    answer      text,
    answered_by text,
    answered_at timestamptz
);
CREATE INDEX clarification_tender ON clarification (tender_id, asked_at, id);

-- Vendor qualifications: a read model of licensing.license.* events.
CREATE TABLE vendor_license (
    license_id  text        PRIMARY KEY,
    number      text        NOT NULL DEFAULT '',
    business_id text        NOT NULL,
    kbli        text        NOT NULL,
    status      text        NOT NULL,
    valid_until timestamptz,
    event_time  timestamptz NOT NULL
);
CREATE INDEX vendor_license_holder ON vendor_license (business_id, kbli);

-- Sealed bids: one live bid per vendor and tender. sealed is the HPKE
-- ciphertext (encapsulated key || AES-256-GCM); there is no price column.
CREATE TABLE bid (
    id                  uuid        PRIMARY KEY,
    tender_id           uuid        NOT NULL REFERENCES tender (id),
    vendor              text        NOT NULL,
    submitted_by        text        NOT NULL,
    state               text        NOT NULL CHECK (state IN ('submitted', 'withdrawn')),
    version             integer     NOT NULL,
    sealed              bytea       NOT NULL,
    sealed_sha256       bytea       NOT NULL,
    submitted_at        timestamptz NOT NULL,
    confirmed_amendment integer     NOT NULL,
    withdrawn_at        timestamptz
);
CREATE UNIQUE INDEX bid_live_per_vendor ON bid (tender_id, vendor) WHERE state = 'submitted';
CREATE INDEX bid_vendor ON bid (vendor, tender_id);

-- One signed receipt per stored version of a bid.
CREATE TABLE bid_receipt (
    bid_id        uuid        NOT NULL REFERENCES bid (id),
    version       integer     NOT NULL,
    sealed_sha256 bytea       NOT NULL,
    received_at   timestamptz NOT NULL,
    key_id        text        NOT NULL,
    signature     bytea       NOT NULL,
    PRIMARY KEY (bid_id, version)
);

-- Bid securities a vendor must pay (payment service) before the opening.
CREATE TABLE bid_security (
    id           uuid        PRIMARY KEY,
    tender_id    uuid        NOT NULL REFERENCES tender (id),
    vendor       text        NOT NULL,
    amount       bigint      NOT NULL CHECK (amount > 0),
    state        text        NOT NULL CHECK (state IN ('requested', 'held', 'released', 'forfeited')),
    invoice_id   text,
    requested_at timestamptz NOT NULL,
    held_at      timestamptz,
    UNIQUE (tender_id, vendor)
);

-- The opening: one row per tender, one per bid with its outcome.
CREATE TABLE opening (
    tender_id   uuid        PRIMARY KEY REFERENCES tender (id),
    opened_by   text        NOT NULL,
    opened_at   timestamptz NOT NULL,
    valid_bids  integer     NOT NULL
);
CREATE TABLE opened_bid (
    tender_id      uuid        NOT NULL REFERENCES opening (tender_id),
    bid_id         uuid        NOT NULL REFERENCES bid (id),
    vendor         text        NOT NULL,
    submitted_at   timestamptz NOT NULL,
    price          bigint,
    technical_offer text,
    decrypt_error  text,
    disqualified   text        NOT NULL DEFAULT '',
    PRIMARY KEY (tender_id, bid_id)
);

-- Evaluation inputs and result.
CREATE TABLE assessment (
    tender_id           uuid    NOT NULL REFERENCES tender (id),
    bid_id              uuid    NOT NULL REFERENCES bid (id),
    administrative_pass boolean NOT NULL,
    technical_pass      boolean NOT NULL,
    reasons             jsonb   NOT NULL DEFAULT '[]',
    assessed_by         text    NOT NULL,
    PRIMARY KEY (tender_id, bid_id)
);
CREATE TABLE member_score (
    tender_id uuid    NOT NULL REFERENCES tender (id),
    bid_id    uuid    NOT NULL REFERENCES bid (id),
    member    text    NOT NULL,
    criterion text    NOT NULL,
    points    integer NOT NULL CHECK (points BETWEEN 0 AND 100),
    PRIMARY KEY (tender_id, bid_id, member, criterion)
);
CREATE TABLE evaluation (
    tender_id    uuid        PRIMARY KEY REFERENCES tender (id),
    result       jsonb       NOT NULL,
    evaluated_by text        NOT NULL,
    evaluated_at timestamptz NOT NULL
);

-- Awards, objections and the contract.
CREATE TABLE award (
    tender_id    uuid        PRIMARY KEY REFERENCES tender (id),
    bid_id       uuid        NOT NULL REFERENCES bid (id),
    vendor       text        NOT NULL,
    price        bigint      NOT NULL,
    proposed_at  timestamptz NOT NULL,
    announced_at timestamptz,
    finalised_at timestamptz
);
CREATE TABLE objection (
    id          uuid        PRIMARY KEY,
    tender_id   uuid        NOT NULL REFERENCES tender (id),
    vendor      text        NOT NULL,
    filed_by    text        NOT NULL,
    arguments   text        NOT NULL,
    evidence    jsonb       NOT NULL DEFAULT '[]',
    filed_at    timestamptz NOT NULL,
    answer      text,
    outcome     text CHECK (outcome IN ('rejected', 'upheld_reevaluate', 'upheld_fail')),
    answered_by text,
    answered_at timestamptz
);
CREATE INDEX objection_tender ON objection (tender_id, filed_at);
CREATE TABLE contract (
    id          uuid        PRIMARY KEY,
    tender_id   uuid        NOT NULL UNIQUE REFERENCES tender (id),
    number      text        NOT NULL,
    vendor      text        NOT NULL,
    value       bigint      NOT NULL,
    signed_at   timestamptz NOT NULL,
    recorded_by text        NOT NULL
);

-- +goose Down
DROP TABLE contract;
DROP TABLE objection;
DROP TABLE award;
DROP TABLE evaluation;
DROP TABLE member_score;
DROP TABLE assessment;
DROP TABLE opened_bid;
DROP TABLE opening;
DROP TABLE bid_security;
DROP TABLE bid_receipt;
DROP TABLE bid;
DROP TABLE vendor_license;
DROP TABLE clarification;
DROP TABLE addendum;
DROP TABLE tender_committee;
DROP TABLE tender;
DROP SEQUENCE tender_number_seq;
