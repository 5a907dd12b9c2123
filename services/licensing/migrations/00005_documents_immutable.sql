-- +goose Up
-- Documents are never changed or removed once stored: a revision adds a
-- new one.
-- +goose StatementBegin
CREATE FUNCTION document_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'documents are immutable: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER document_immutable BEFORE UPDATE OR DELETE ON document
    FOR EACH ROW EXECUTE FUNCTION document_refuse_change();

-- +goose Down
DROP TRIGGER document_immutable ON document;
DROP FUNCTION document_refuse_change();
