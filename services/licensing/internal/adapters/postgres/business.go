package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"gerbang/pkg/apperr"
	"gerbang/pkg/dbx"
	"gerbang/pkg/keyset"
	"gerbang/services/licensing/internal/app"
	"gerbang/services/licensing/internal/domain"
)

type businessRow struct {
	ID           string         `db:"id"`
	NIB          string         `db:"nib"`
	OwnerSubject string         `db:"owner_subject"`
	Name         string         `db:"name"`
	NPWP         string         `db:"npwp"`
	Address      string         `db:"address"`
	Scale        string         `db:"scale"`
	KBLI         pq.StringArray `db:"kbli"`
	CreatedAt    time.Time      `db:"created_at"`
	Version      int            `db:"version"`
}

const businessColumns = `id, nib, owner_subject, name, npwp, address, scale, kbli, created_at, version`

func (r businessRow) domain() domain.Business {
	return domain.Business{
		ID: r.ID, NIB: domain.NIB(r.NIB), OwnerSubject: r.OwnerSubject, Name: r.Name, NPWP: domain.NPWP(r.NPWP),
		Address: r.Address, Scale: domain.Scale(r.Scale), KBLI: []string(r.KBLI),
	}
}

func (r businessRow) record() app.BusinessRecord {
	return app.BusinessRecord{Business: r.domain(), CreatedAt: r.CreatedAt, Version: r.Version}
}

// InsertBusiness stores b with its id (a fresh one when it has none) and
// the given NIB. A taken NIB is app.ErrNIBTaken, so the caller can draw
// again; the id of a business already registered is a Conflict.
func (t *Tx) InsertBusiness(ctx context.Context, b domain.Business, now time.Time) (app.BusinessRecord, error) {
	if b.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return app.BusinessRecord{}, err
		}
		b.ID = id.String()
	}
	_, err := t.tx.ExecContext(ctx, `
		INSERT INTO business (id, nib, owner_subject, name, npwp, address, scale, kbli, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		b.ID, string(b.NIB), b.OwnerSubject, b.Name, string(b.NPWP), b.Address, string(b.Scale), pq.StringArray(b.KBLI), now)
	if dbx.SQLState(err) == dbx.UniqueViolation {
		switch dbx.Constraint(err) {
		case "business_pkey":
			return app.BusinessRecord{}, apperr.New(apperr.Conflict, "Your organisation already has a business registered (id %s): a user acts for one business, so change that one instead (PATCH /v1/businesses/%s).", b.ID, b.ID)
		case "business_nib_key":
			return app.BusinessRecord{}, fmt.Errorf("insert business: %w", app.ErrNIBTaken)
		}
	}
	if err != nil {
		return app.BusinessRecord{}, wrap(err, "insert business")
	}
	return app.BusinessRecord{Business: b, CreatedAt: now, Version: 1}, nil
}

// Business returns a business; owner "" reads any business (officers),
// otherwise only one the owner holds (another's is NotFound).
func (t *Tx) Business(ctx context.Context, id, owner string) (app.BusinessRecord, error) {
	return getBusiness(ctx, t.tx, id, owner)
}

// Business reads a business outside a transaction.
func (s *Store) Business(ctx context.Context, id, owner string) (app.BusinessRecord, error) {
	return getBusiness(ctx, s.db, id, owner)
}

// LockBusiness selects a business FOR UPDATE (the owner's only, unless
// owner is "").
func (t *Tx) LockBusiness(ctx context.Context, id, owner string) (app.BusinessRecord, error) {
	return getBusiness(ctx, t.tx, id, owner, " FOR UPDATE")
}

// SaveBusiness writes a business's details and bumps its version.
func (t *Tx) SaveBusiness(ctx context.Context, b domain.Business) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE business SET name = $2, address = $3, scale = $4, kbli = $5, version = version + 1 WHERE id = $1`,
		b.ID, b.Name, b.Address, string(b.Scale), pq.StringArray(b.KBLI))
	return wrap(err, "save business %s", b.ID)
}

func getBusiness(ctx context.Context, q queryer, id, owner string, lock ...string) (app.BusinessRecord, error) {
	if uuid.Validate(id) != nil {
		return app.BusinessRecord{}, notFound("business", id)
	}
	var r businessRow
	err := q.GetContext(ctx, &r, `SELECT `+businessColumns+` FROM business WHERE id = $1 AND ($2 = '' OR owner_subject = $2)`+strings.Join(lock, ""), id, owner)
	if dbx.IsNoRows(err) {
		return app.BusinessRecord{}, notFound("business", id)
	}
	if err != nil {
		return app.BusinessRecord{}, wrap(err, "get business %s", id)
	}
	return r.record(), nil
}

// Businesses lists the owner's businesses (all for owner ""), oldest first.
func (s *Store) Businesses(ctx context.Context, owner string, p keyset.Page) ([]app.BusinessRecord, string, error) {
	rows, next, err := ownedPage(ctx, s.db, `SELECT `+businessColumns+` FROM business`, owner, p,
		func(r businessRow) string { return r.ID })
	if err != nil {
		return nil, "", err
	}
	out := make([]app.BusinessRecord, len(rows))
	for i, r := range rows {
		out[i] = r.record()
	}
	return out, next, nil
}
