-- +goose Up
-- Applications (the state machine of DESIGN.md), their documents, and the
-- licenses they lead to.

CREATE TABLE application (
    id                   uuid        PRIMARY KEY,
    business_id          uuid        NOT NULL REFERENCES business (id),
    owner_subject        text        NOT NULL,
    kbli                 text        NOT NULL,
    scale                text        NOT NULL,
    size                 bigint      NOT NULL DEFAULT 0 CHECK (size >= 0),
    renewal_of           uuid,
    state                text        NOT NULL CHECK (state IN ('draft', 'submitted', 'in_review', 'revision_requested',
                             'approved', 'awaiting_payment', 'issued', 'rejected', 'withdrawn', 'deemed_approved')),
    terms                jsonb,
    sla_days             integer     NOT NULL DEFAULT 0,
    sla_used_seconds     bigint      NOT NULL DEFAULT 0,
    sla_running_since    timestamptz,
    sla_due_at           timestamptz,
    reason               text        NOT NULL DEFAULT '',
    revision_requirement text        NOT NULL DEFAULT '',
    revision_note        text        NOT NULL DEFAULT '',
    payment_invoice_id   text        NOT NULL DEFAULT '',
    submitted_at         timestamptz,
    decided_at           timestamptz,
    version              integer     NOT NULL DEFAULT 1,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);
CREATE INDEX application_owner ON application (owner_subject, id);
-- The officers' queue, by SLA due date.
CREATE INDEX application_queue ON application (sla_due_at, id)
    WHERE state IN ('submitted', 'in_review', 'revision_requested');

CREATE TABLE document (
    id             uuid        PRIMARY KEY,
    application_id uuid        NOT NULL REFERENCES application (id),
    requirement    text        NOT NULL,
    filename       text        NOT NULL,
    content_type   text        NOT NULL,
    size_bytes     bigint      NOT NULL CHECK (size_bytes > 0),
    sha256         text        NOT NULL,
    blob_key       text        NOT NULL,
    uploaded_by    text        NOT NULL,
    uploaded_at    timestamptz NOT NULL
);
CREATE INDEX document_application ON document (application_id, requirement);

-- Serials of license numbers (LIC-<year>-<serial>): a sequence, so issuing
-- takes no lock shared by all issuances; gaps are allowed.
CREATE SEQUENCE license_serial;

CREATE TABLE license (
    id             uuid        PRIMARY KEY,
    number         text        NOT NULL UNIQUE,
    application_id uuid        NOT NULL UNIQUE REFERENCES application (id),
    business_id    uuid        NOT NULL REFERENCES business (id),
    owner_subject  text        NOT NULL,
    holder_name    text        NOT NULL,
    nib            text        NOT NULL,
    kbli           text        NOT NULL,
    license_type   text        NOT NULL,
    license_name   text        NOT NULL,
    risk           text        NOT NULL,
    issued_at      timestamptz NOT NULL,
    valid_from     timestamptz NOT NULL,
    valid_until    timestamptz,
    status         text        NOT NULL CHECK (status IN ('active', 'suspended', 'revoked', 'expired')),
    status_reason  text        NOT NULL DEFAULT '',
    version        integer     NOT NULL DEFAULT 1,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX license_owner ON license (owner_subject, id);
CREATE INDEX license_expiry ON license (valid_until) WHERE status IN ('active', 'suspended');

-- +goose Down
DROP TABLE license;
DROP SEQUENCE license_serial;
DROP TABLE document;
DROP TABLE application;
