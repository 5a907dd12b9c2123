-- +goose Up
-- A revision request names one or more documents, each with the officer's
-- comment ([{"requirement": ..., "note": ...}]); revision_requirement and
-- revision_note stay as the first of them, for the readers of before.
ALTER TABLE application ADD COLUMN revisions jsonb NOT NULL DEFAULT '[]';
UPDATE application SET revisions = jsonb_build_array(jsonb_build_object('requirement', revision_requirement, 'note', revision_note))
WHERE revision_requirement <> '';

-- +goose Down
ALTER TABLE application DROP COLUMN revisions;
