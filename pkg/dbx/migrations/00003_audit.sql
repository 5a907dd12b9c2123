-- +goose Up
-- The audit trail (package gerbang/pkg/audit). Writers only INSERT into
-- audit_record, in the transaction of the change; a sealer links committed
-- records into audit_chain and signs audit_checkpoint rows. All three tables
-- are append-only. See pkg/audit/doc.go.

CREATE TABLE audit_record (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    xid         xid8        NOT NULL DEFAULT pg_current_xact_id(),
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text        NOT NULL,
    actor_roles text[]      NOT NULL DEFAULT '{}',
    action      text        NOT NULL,
    entity_type text        NOT NULL,
    entity_id   text        NOT NULL DEFAULT '',
    before      jsonb,
    after       jsonb,
    request_id  text        NOT NULL DEFAULT '',
    reason      text        NOT NULL DEFAULT ''
);

-- The sealer's order and cursor.
CREATE INDEX audit_record_xid_id ON audit_record (xid, id);

-- One row per sealed record; position 1, 2, 3, ... with no gaps.
-- No foreign key to audit_record on purpose: a record deleted behind the
-- trigger's back must show up in Verify, not be hidden by a cascade.
CREATE TABLE audit_chain (
    position   bigint      PRIMARY KEY CHECK (position > 0),
    record_id  bigint      NOT NULL UNIQUE,
    record_xid xid8        NOT NULL,
    prev_hash  bytea       NOT NULL CHECK (length(prev_hash) = 32),
    hash       bytea       NOT NULL CHECK (length(hash) = 32),
    sealed_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_checkpoint (
    position   bigint      PRIMARY KEY CHECK (position > 0),
    hash       bytea       NOT NULL CHECK (length(hash) = 32),
    created_at timestamptz NOT NULL,
    key_id     text        NOT NULL,
    signature  bytea       NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
-- A record carries the id of the transaction that wrote it, whatever the
-- INSERT said: the sealer's order rests on it.
CREATE FUNCTION audit_stamp_xid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.xid := pg_current_xact_id();
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_record_stamp_xid BEFORE INSERT ON audit_record
    FOR EACH ROW EXECUTE FUNCTION audit_stamp_xid();

CREATE TRIGGER audit_record_append_only BEFORE UPDATE OR DELETE ON audit_record
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_record_no_truncate BEFORE TRUNCATE ON audit_record
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

CREATE TRIGGER audit_chain_append_only BEFORE UPDATE OR DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

CREATE TRIGGER audit_checkpoint_append_only BEFORE UPDATE OR DELETE ON audit_checkpoint
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- +goose Down
DROP TABLE audit_checkpoint;
DROP TABLE audit_chain;
DROP TABLE audit_record;
DROP FUNCTION audit_stamp_xid();
DROP FUNCTION audit_refuse_change();
