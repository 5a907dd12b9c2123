// Package postgres stores the portal's accounts in PostgreSQL.
package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"gerbang/pkg/apperr"
	"gerbang/pkg/audit"
	"gerbang/pkg/dbx"
	"gerbang/services/portal/internal/domain"
)

// Accounts is the users table.
type Accounts struct {
	db *sqlx.DB
}

// NewAccounts returns the repository of accounts in db.
func NewAccounts(db *sqlx.DB) *Accounts { return &Accounts{db: db} }

type accountRow struct {
	ID           uuid.UUID      `db:"id"`
	Email        string         `db:"email"`
	DisplayName  string         `db:"display_name"`
	PasswordHash string         `db:"password_hash"`
	Roles        pq.StringArray `db:"roles"`
	Org          *uuid.UUID     `db:"org"`
	Phone        *string        `db:"phone"`
	VerifiedAt   *time.Time     `db:"email_verified_at"`
	DisabledAt   *time.Time     `db:"disabled_at"`
	CreatedAt    time.Time      `db:"created_at"`
}

func (r accountRow) account() domain.Account {
	a := domain.Account{
		ID: r.ID, Email: r.Email, DisplayName: r.DisplayName, PasswordHash: r.PasswordHash,
		Roles: []string(r.Roles), Org: r.Org, EmailVerifiedAt: r.VerifiedAt, Disabled: r.DisabledAt != nil, CreatedAt: r.CreatedAt,
	}
	if r.Phone != nil {
		a.Phone = *r.Phone
	}
	return a
}

const accountColumns = `id, email, display_name, password_hash, roles, org, phone, email_verified_at, disabled_at, created_at`

const selectAccount = `SELECT ` + accountColumns + ` FROM users`

// ByEmail returns the account with the normalised email.
func (s *Accounts) ByEmail(ctx context.Context, email string) (domain.Account, error) {
	return s.one(ctx, selectAccount+` WHERE email = $1`, email)
}

// ByID returns the account with id.
func (s *Accounts) ByID(ctx context.Context, id uuid.UUID) (domain.Account, error) {
	return s.one(ctx, selectAccount+` WHERE id = $1`, id)
}

func (s *Accounts) one(ctx context.Context, query string, arg any) (domain.Account, error) {
	var row accountRow
	if err := s.db.GetContext(ctx, &row, query, arg); err != nil {
		if dbx.IsNoRows(err) {
			return domain.Account{}, apperr.New(apperr.NotFound, "No such account.")
		}
		return domain.Account{}, fmt.Errorf("read account: %w", err)
	}
	return row.account(), nil
}

// Emails returns which of emails have accounts.
func (s *Accounts) Emails(ctx context.Context, emails []string) (map[string]bool, error) {
	var found []string
	if err := s.db.SelectContext(ctx, &found, `SELECT email FROM users WHERE email = ANY($1)`, pq.StringArray(emails)); err != nil {
		return nil, fmt.Errorf("read account emails: %w", err)
	}
	have := make(map[string]bool, len(found))
	for _, e := range found {
		have[e] = true
	}
	return have, nil
}

// auditView is what the audit trail keeps of an account: never the hash.
type auditView struct {
	ID          string   `json:"id"`
	Email       string   `json:"email"`
	DisplayName string   `json:"display_name"`
	Phone       string   `json:"phone,omitempty"`
	Roles       []string `json:"roles"`
	Org         *string  `json:"org"`
}

func auditViewOf(a domain.Account) auditView {
	view := auditView{ID: a.ID.String(), Email: a.Email, DisplayName: a.DisplayName, Phone: a.Phone, Roles: a.Roles}
	if a.Org != nil {
		org := a.Org.String()
		view.Org = &org
	}
	return view
}

// CreateIfAbsent stores a unless its email is taken, with its audit record in
// the same transaction, and reports whether it stored it.
func (s *Accounts) CreateIfAbsent(ctx context.Context, a domain.Account, actor string) (bool, error) {
	created := false
	err := dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var err error
		created, err = insertAccount(ctx, tx, a, actor, "account.create")
		return err
	})
	if err != nil {
		return false, fmt.Errorf("create account %s: %w", a.Email, err)
	}
	return created, nil
}

// insertAccount stores a unless its email is taken, with its audit record,
// and reports whether it stored it.
func insertAccount(ctx context.Context, tx *sqlx.Tx, a domain.Account, actor, action string) (bool, error) {
	var phone *string
	if a.Phone != "" {
		phone = &a.Phone
	}
	res, err := tx.ExecContext(ctx, `
		INSERT INTO users (id, email, display_name, password_hash, roles, org, phone, email_verified_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT DO NOTHING`,
		a.ID, a.Email, a.DisplayName, a.PasswordHash, pq.StringArray(a.Roles), a.Org, phone, a.EmailVerifiedAt, a.CreatedAt)
	if err != nil {
		return false, dbx.MapConstraint(err, "An account with this id already exists.")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, audit.Record(ctx, tx, audit.Entry{
		Actor: actor, Action: action, EntityType: "account", EntityID: a.ID.String(),
		After: auditViewOf(a), At: a.CreatedAt,
	})
}
