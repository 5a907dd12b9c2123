// Package postgres keeps the licensing service's state in PostgreSQL:
// businesses, the catalog, the holiday calendar, applications, documents
// and licenses. Every state change runs in one transaction (Tx) that also
// writes its outbox events and audit records (pkg/journal), and keeps
// the Idempotency-Key of a create (pkg/idempotency). It satisfies the
// interfaces package app declares (app.Store, app.Tx).
package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"gerbang/pkg/apperr"
	"gerbang/pkg/audit"
	"gerbang/pkg/caller"
	"gerbang/pkg/dbx"
	"gerbang/pkg/idempotency"
	"gerbang/pkg/journal"
	"gerbang/pkg/keyset"
	"gerbang/services/licensing/internal/app"
)

// Store is the licensing database.
type Store struct {
	db      *sqlx.DB
	journal journal.Journal
}

var (
	_ app.Store = (*Store)(nil)
	_ app.Tx    = (*Tx)(nil)
)

// New returns a store over db; its events carry the service's source.
func New(db *sqlx.DB) *Store { return &Store{db: db, journal: journal.New(app.Source)} }

// DB returns the pool (for the platform's consumers and relays).
func (s *Store) DB() *sqlx.DB { return s.db }

// Tx is one transaction of a state change.
type Tx struct {
	tx      *sqlx.Tx
	journal journal.Journal
}

// Join returns a Tx over a transaction begun elsewhere (an event
// consumer's, whose inbox row commits with the effect).
func (s *Store) Join(tx *sqlx.Tx) app.Tx { return &Tx{tx: tx, journal: s.journal} }

// InTx runs fn in one transaction, committed when fn returns nil.
func (s *Store) InTx(ctx context.Context, fn func(tx app.Tx) error) error {
	return dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error { return fn(s.Join(tx)) })
}

// Claim takes an Idempotency-Key in this transaction (pkg/idempotency).
func (t *Tx) Claim(ctx context.Context, k idempotency.Key, answer any) (bool, error) {
	return idempotency.Claim(ctx, t.tx, k, answer)
}

// Store keeps the answer to an Idempotency-Key in this transaction.
func (t *Tx) Store(ctx context.Context, k idempotency.Key, answer any) error {
	return idempotency.Store(ctx, t.tx, k, answer)
}

// Publish writes an event to the outbox in this transaction.
func (t *Tx) Publish(ctx context.Context, e journal.Event) error {
	return t.journal.Publish(ctx, t.tx, e)
}

// Audit writes an audit record in this transaction; the entry names its
// actor.
func (t *Tx) Audit(ctx context.Context, e audit.Entry) error {
	return t.journal.Audit(ctx, t.tx, caller.Caller{}, e)
}

func notFound(what, id string) error {
	return apperr.New(apperr.NotFound, "no %s %s", what, id)
}

func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// ownedPage reads a page of the owner's rows of a table (every row for
// owner ""), oldest first, keyed by id. from selects the columns FROM the
// table; the page adds $1 (owner), $2 (the last id of the previous page)
// and $3 (limit).
func ownedPage[R any](ctx context.Context, q queryer, from string, owner string, p keyset.Page, idOf func(R) string) ([]R, string, error) {
	keys, err := p.After(1)
	if err != nil {
		return nil, "", err
	}
	after := "00000000-0000-0000-0000-000000000000"
	if keys != nil {
		if uuid.Validate(keys[0]) != nil {
			return nil, "", keyset.BadCursor()
		}
		after = keys[0]
	}
	var rows []R
	if err := q.SelectContext(ctx, &rows, from+` WHERE ($1 = '' OR owner_subject = $1) AND id > $2::uuid ORDER BY id LIMIT $3`, owner, after, p.Size()+1); err != nil {
		return nil, "", wrap(err, "list page")
	}
	rows, next := keyset.Trim(rows, p, func(r R) []string { return []string{idOf(r)} })
	return rows, next, nil
}
