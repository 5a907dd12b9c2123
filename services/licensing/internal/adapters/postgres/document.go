package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/dbx"
	"gerbang/services/licensing/internal/domain"
)

type documentRow struct {
	ID            string    `db:"id"`
	ApplicationID string    `db:"application_id"`
	Requirement   string    `db:"requirement"`
	Filename      string    `db:"filename"`
	ContentType   string    `db:"content_type"`
	SizeBytes     int64     `db:"size_bytes"`
	SHA256        string    `db:"sha256"`
	BlobKey       string    `db:"blob_key"`
	UploadedBy    string    `db:"uploaded_by"`
	UploadedAt    time.Time `db:"uploaded_at"`
}

const documentColumns = `id, application_id, requirement, filename, content_type, size_bytes, sha256, blob_key, uploaded_by, uploaded_at`

func (r documentRow) domain() domain.Document {
	return domain.Document{
		ID: r.ID, ApplicationID: r.ApplicationID, Requirement: r.Requirement, Filename: r.Filename, ContentType: r.ContentType,
		SizeBytes: r.SizeBytes, SHA256: r.SHA256, BlobKey: r.BlobKey, UploadedBy: r.UploadedBy, UploadedAt: r.UploadedAt.UTC(),
	}
}

// InsertDocument stores a document with a fresh id.
func (t *Tx) InsertDocument(ctx context.Context, d domain.Document) (domain.Document, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return d, err
	}
	d.ID = id.String()
	_, err = t.tx.ExecContext(ctx, `INSERT INTO document (`+documentColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		d.ID, d.ApplicationID, d.Requirement, d.Filename, d.ContentType, d.SizeBytes, d.SHA256, d.BlobKey, d.UploadedBy, d.UploadedAt)
	return d, wrap(err, "insert document")
}

// Documents lists an application's documents, oldest first.
func (s *Store) Documents(ctx context.Context, applicationID string) ([]domain.Document, error) {
	var rows []documentRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+documentColumns+` FROM document WHERE application_id = $1 ORDER BY id`, applicationID); err != nil {
		return nil, wrap(err, "list documents of %s", applicationID)
	}
	out := make([]domain.Document, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// Document returns one document of an application.
func (s *Store) Document(ctx context.Context, applicationID, id string) (domain.Document, error) {
	if uuid.Validate(id) != nil {
		return domain.Document{}, notFound("document", id)
	}
	var r documentRow
	err := s.db.GetContext(ctx, &r, `SELECT `+documentColumns+` FROM document WHERE application_id = $1 AND id = $2`, applicationID, id)
	if dbx.IsNoRows(err) {
		return domain.Document{}, notFound("document", id)
	}
	if err != nil {
		return domain.Document{}, wrap(err, "get document %s", id)
	}
	return r.domain(), nil
}

// BlobInUse reports whether any document refers to a blob.
func (t *Tx) BlobInUse(ctx context.Context, key string) (bool, error) {
	var n int
	err := t.tx.GetContext(ctx, &n, `SELECT count(*) FROM document WHERE blob_key = $1`, key)
	return n > 0, wrap(err, "count uses of blob %s", key)
}

// UploadedRequirements lists the requirement codes an application has a
// document for.
func (t *Tx) UploadedRequirements(ctx context.Context, applicationID string) ([]string, error) {
	var codes []string
	err := t.tx.SelectContext(ctx, &codes, `SELECT DISTINCT requirement FROM document WHERE application_id = $1`, applicationID)
	return codes, wrap(err, "list uploaded requirements of %s", applicationID)
}
