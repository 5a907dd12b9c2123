// Package postgres keeps the licensing service's state in PostgreSQL:
// businesses, the catalog, the holiday calendar, applications, documents
// and licenses. Every state change runs in one transaction (Tx) that also
// writes its outbox event (pkg/events) and audit record (pkg/audit).
package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"gerbang/pkg/apperr"
	"gerbang/pkg/audit"
	"gerbang/pkg/dbx"
	"gerbang/pkg/events"
)

// Store is the licensing database.
type Store struct {
	db *sqlx.DB
}

// New returns a store over db.
func New(db *sqlx.DB) *Store { return &Store{db: db} }

// DB returns the pool (for the platform's consumers and relays).
func (s *Store) DB() *sqlx.DB { return s.db }

// Tx is one transaction of a state change.
type Tx struct {
	tx *sqlx.Tx
}

// WrapTx returns a Tx over a transaction begun elsewhere (an event
// consumer's, whose inbox row commits with the effect).
func WrapTx(tx *sqlx.Tx) *Tx { return &Tx{tx: tx} }

// InTx runs fn in one transaction, committed when fn returns nil.
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	return dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error { return fn(&Tx{tx: tx}) })
}

// Publish writes ev to the outbox in this transaction.
func (t *Tx) Publish(ctx context.Context, ev events.Event, aggregate string) error {
	return events.Enqueue(ctx, t.tx, ev, aggregate)
}

// Audit writes an audit record in this transaction.
func (t *Tx) Audit(ctx context.Context, e audit.Entry) error {
	return audit.Record(ctx, t.tx, e)
}

// Page is a keyset page request: at most Limit rows after Cursor.
type Page struct {
	Limit  int
	Cursor string
}

// limit returns a limit between 1 and 100 (default 50, as the contract says).
func (p Page) limit() int {
	switch {
	case p.Limit <= 0:
		return 50
	case p.Limit > 100:
		return 100
	}
	return p.Limit
}

// encodeCursor makes an opaque cursor of the keys of the last row.
func encodeCursor(keys ...string) string {
	b, _ := json.Marshal(keys)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor of n keys; "" gives nil.
func decodeCursor(c string, n int) ([]string, error) {
	if c == "" {
		return nil, nil
	}
	bad := badCursor()
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, bad
	}
	var keys []string
	if err := json.Unmarshal(b, &keys); err != nil || len(keys) != n {
		return nil, bad
	}
	return keys, nil
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

func badCursor() error {
	return apperr.InvalidFields("the cursor is not valid", apperr.Field("cursor", "pass the next_cursor of the previous page as it was given"))
}

// ownedPage reads a page of the owner's rows of a table (every row for
// owner ""), oldest first, keyed by id. from selects the columns FROM the
// table; the page adds $1 (owner), $2 (the last id of the previous page)
// and $3 (limit).
func ownedPage[R any](ctx context.Context, q queryer, from string, owner string, p Page, idOf func(R) string) ([]R, string, error) {
	keys, err := decodeCursor(p.Cursor, 1)
	if err != nil {
		return nil, "", err
	}
	after := "00000000-0000-0000-0000-000000000000"
	if keys != nil {
		if uuid.Validate(keys[0]) != nil {
			return nil, "", badCursor()
		}
		after = keys[0]
	}
	var rows []R
	if err := q.SelectContext(ctx, &rows, from+` WHERE ($1 = '' OR owner_subject = $1) AND id > $2::uuid ORDER BY id LIMIT $3`, owner, after, p.limit()+1); err != nil {
		return nil, "", wrap(err, "list page")
	}
	next := ""
	if len(rows) > p.limit() {
		rows = rows[:p.limit()]
		next = encodeCursor(idOf(rows[len(rows)-1]))
	}
	return rows, next, nil
}
