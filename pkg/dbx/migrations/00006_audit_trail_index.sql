-- +goose Up
-- An entity's history (audit.Trail: an application's steps for the people
-- it concerns) reads its records by entity, in the order written.
CREATE INDEX audit_record_entity ON audit_record (entity_type, entity_id, id);

-- +goose Down
DROP INDEX audit_record_entity;
