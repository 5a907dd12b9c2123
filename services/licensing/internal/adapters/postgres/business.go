package postgres

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"gerbang/pkg/apperr"
	"gerbang/pkg/dbx"
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

// BusinessRecord is a business with its registration time and version.
type BusinessRecord struct {
	domain.Business
	CreatedAt time.Time
	Version   int
}

func (r businessRow) record() BusinessRecord {
	return BusinessRecord{Business: r.domain(), CreatedAt: r.CreatedAt, Version: r.Version}
}

// InsertBusiness stores b with its id (a fresh one when it has none) and the
// given NIB. A taken NIB is
// reported by IsNIBTaken so the caller can draw again.
func (t *Tx) InsertBusiness(ctx context.Context, b domain.Business, now time.Time) (BusinessRecord, error) {
	rec, _, err := t.InsertBusinessOnce(ctx, b, now, "")
	return rec, err
}

// InsertBusinessOnce is InsertBusiness under the Idempotency-Key its owner
// sent ("" for none). If the owner registered one under that key before, it
// stores nothing and returns that one, with created false.
func (t *Tx) InsertBusinessOnce(ctx context.Context, b domain.Business, now time.Time, key string) (_ BusinessRecord, created bool, err error) {
	if b.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return BusinessRecord{}, false, err
		}
		b.ID = id.String()
	}
	res, err := t.tx.ExecContext(ctx, `
		INSERT INTO business (id, nib, owner_subject, name, npwp, address, scale, kbli, created_at, idempotency_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (owner_subject, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING`,
		b.ID, string(b.NIB), b.OwnerSubject, b.Name, string(b.NPWP), b.Address, string(b.Scale), pq.StringArray(b.KBLI), now,
		sql.NullString{String: key, Valid: key != ""})
	if dbx.SQLState(err) == dbx.UniqueViolation && dbx.Constraint(err) == "business_pkey" {
		return BusinessRecord{}, false, apperr.New(apperr.Conflict, "Your organisation already has a business registered (id %s): a user acts for one business, so change that one instead (PATCH /v1/businesses/%s).", b.ID, b.ID)
	}
	if err != nil {
		return BusinessRecord{}, false, wrap(err, "insert business")
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return BusinessRecord{Business: b, CreatedAt: now, Version: 1}, n == 1, wrap(err, "insert business")
	}
	var r businessRow
	if err := t.tx.GetContext(ctx, &r, `SELECT `+businessColumns+` FROM business WHERE owner_subject = $1 AND idempotency_key = $2`,
		b.OwnerSubject, key); err != nil {
		return BusinessRecord{}, false, wrap(err, "business of key %q", key)
	}
	return r.record(), false, nil
}

// IsNIBTaken reports whether err is the NIB's unique constraint.
func IsNIBTaken(err error) bool {
	return dbx.SQLState(err) == dbx.UniqueViolation && dbx.Constraint(err) == "business_nib_key"
}

// Business returns a business; owner "" reads any business (officers),
// otherwise only one the owner holds (another's is NotFound).
func (t *Tx) Business(ctx context.Context, id, owner string) (BusinessRecord, error) {
	return getBusiness(ctx, t.tx, id, owner)
}

// Business reads a business outside a transaction.
func (s *Store) Business(ctx context.Context, id, owner string) (BusinessRecord, error) {
	return getBusiness(ctx, s.db, id, owner)
}

// LockBusiness selects a business FOR UPDATE (the owner's only, unless
// owner is "").
func (t *Tx) LockBusiness(ctx context.Context, id, owner string) (BusinessRecord, error) {
	return getBusiness(ctx, t.tx, id, owner, " FOR UPDATE")
}

// SaveBusiness writes a business's details and bumps its version.
func (t *Tx) SaveBusiness(ctx context.Context, b domain.Business) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE business SET name = $2, address = $3, scale = $4, kbli = $5, version = version + 1 WHERE id = $1`,
		b.ID, b.Name, b.Address, string(b.Scale), pq.StringArray(b.KBLI))
	return wrap(err, "save business %s", b.ID)
}

func getBusiness(ctx context.Context, q queryer, id, owner string, lock ...string) (BusinessRecord, error) {
	if uuid.Validate(id) != nil {
		return BusinessRecord{}, notFound("business", id)
	}
	var r businessRow
	err := q.GetContext(ctx, &r, `SELECT `+businessColumns+` FROM business WHERE id = $1 AND ($2 = '' OR owner_subject = $2)`+strings.Join(lock, ""), id, owner)
	if dbx.IsNoRows(err) {
		return BusinessRecord{}, notFound("business", id)
	}
	if err != nil {
		return BusinessRecord{}, wrap(err, "get business %s", id)
	}
	return r.record(), nil
}

// Businesses lists the owner's businesses (all for owner ""), oldest first.
func (s *Store) Businesses(ctx context.Context, owner string, p Page) ([]BusinessRecord, string, error) {
	rows, next, err := ownedPage(ctx, s.db, `SELECT `+businessColumns+` FROM business`, owner, p,
		func(r businessRow) string { return r.ID })
	if err != nil {
		return nil, "", err
	}
	out := make([]BusinessRecord, len(rows))
	for i, r := range rows {
		out[i] = r.record()
	}
	return out, next, nil
}
