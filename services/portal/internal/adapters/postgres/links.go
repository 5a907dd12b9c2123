package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"gerbang/pkg/apperr"
	"gerbang/pkg/audit"
	"gerbang/pkg/dbx"
	"gerbang/services/portal/internal/domain"
)

// linkGone is the one answer to a link that is unknown, used, replaced or
// expired: the holder can do nothing else with it either way.
func linkGone() error {
	return apperr.New(apperr.NotFound, "The link is not valid any more.")
}

// SignUp stores a new account with the link that verifies its email, in one
// transaction with the audit record, unless an account has a's email; it
// reports whether it stored it.
func (s *Accounts) SignUp(ctx context.Context, a domain.Account, link domain.LinkToken) (bool, error) {
	created := false
	err := dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var err error
		if created, err = insertAccount(ctx, tx, a, a.ID.String(), "account.sign_up"); err != nil || !created {
			return err
		}
		return insertLink(ctx, tx, a.ID, link, a.CreatedAt)
	})
	if err != nil {
		return false, fmt.Errorf("sign up %s: %w", a.Email, err)
	}
	return created, nil
}

// IssueLink stores link for the account id; the account's earlier links of
// the same purpose stop working.
func (s *Accounts) IssueLink(ctx context.Context, id uuid.UUID, link domain.LinkToken, now time.Time) error {
	err := dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		return insertLink(ctx, tx, id, link, now)
	})
	if err != nil {
		return fmt.Errorf("issue %s link of %s: %w", link.Purpose, id, err)
	}
	return nil
}

func insertLink(ctx context.Context, tx *sqlx.Tx, id uuid.UUID, link domain.LinkToken, now time.Time) error {
	if err := retireLinks(ctx, tx, id, link.Purpose, now); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO account_links (token_hash, user_id, purpose, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`,
		link.Hash, id, string(link.Purpose), now, link.ExpiresAt)
	return dbx.MapConstraint(err, "The link could not be stored.")
}

// retireLinks ends the open links of purpose of the account id.
func retireLinks(ctx context.Context, tx *sqlx.Tx, id uuid.UUID, purpose domain.LinkPurpose, now time.Time) error {
	_, err := tx.ExecContext(ctx, `
		UPDATE account_links SET used_at = $3
		WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`, id, string(purpose), now)
	if err != nil {
		return fmt.Errorf("retire %s links: %w", purpose, err)
	}
	return nil
}

// OpenLink returns the account a link of purpose with the secret's hash
// belongs to, without using it; an apperr NotFound when the link is
// unknown, used, replaced or expired, or its account disabled.
func (s *Accounts) OpenLink(ctx context.Context, purpose domain.LinkPurpose, hash []byte, now time.Time) (domain.Account, error) {
	var row accountRow
	err := s.db.GetContext(ctx, &row, `
		SELECT `+prefixed("u.", accountColumns)+`
		FROM account_links l JOIN users u ON u.id = l.user_id
		WHERE l.token_hash = $1 AND l.purpose = $2 AND l.used_at IS NULL AND l.expires_at > $3 AND u.disabled_at IS NULL`,
		hash, string(purpose), now)
	if dbx.IsNoRows(err) {
		return domain.Account{}, linkGone()
	}
	if err != nil {
		return domain.Account{}, fmt.Errorf("open %s link: %w", purpose, err)
	}
	return row.account(), nil
}

// useLink marks the link used and returns its account's id, in tx; an
// apperr NotFound when it does not work (any more). Two requests racing
// with one link: the row lock lets one through.
func useLink(ctx context.Context, tx *sqlx.Tx, purpose domain.LinkPurpose, hash []byte, now time.Time) (uuid.UUID, error) {
	var id uuid.UUID
	err := tx.GetContext(ctx, &id, `
		UPDATE account_links l SET used_at = $3
		FROM users u
		WHERE l.token_hash = $1 AND l.purpose = $2 AND l.used_at IS NULL AND l.expires_at > $3
		  AND u.id = l.user_id AND u.disabled_at IS NULL
		RETURNING l.user_id`, hash, string(purpose), now)
	if dbx.IsNoRows(err) {
		return uuid.Nil, linkGone()
	}
	if err != nil {
		return uuid.Nil, fmt.Errorf("use %s link: %w", purpose, err)
	}
	return id, nil
}

// VerifyEmail uses a verification link: its account's email is verified
// from now (if it was not already).
func (s *Accounts) VerifyEmail(ctx context.Context, hash []byte, now time.Time) (domain.Account, error) {
	var acc domain.Account
	err := dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		id, err := useLink(ctx, tx, domain.PurposeVerifyEmail, hash, now)
		if err != nil {
			return err
		}
		if acc, err = updateAccount(ctx, tx, `email_verified_at = coalesce(email_verified_at, $2)`, id, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{
			Actor: id.String(), Action: "account.verify_email", EntityType: "account", EntityID: id.String(),
			After: map[string]any{"email": acc.Email, "email_verified_at": acc.EmailVerifiedAt}, At: now,
		})
	})
	if err != nil {
		return domain.Account{}, fmt.Errorf("verify email: %w", err)
	}
	return acc, nil
}

// ResetPassword uses a reset link: its account takes passwordHash, and its
// email counts as verified (the link reached it). The account's other reset
// links stop working.
func (s *Accounts) ResetPassword(ctx context.Context, hash []byte, passwordHash string, now time.Time) (domain.Account, error) {
	var acc domain.Account
	err := dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		id, err := useLink(ctx, tx, domain.PurposeResetPassword, hash, now)
		if err != nil {
			return err
		}
		if err := retireLinks(ctx, tx, id, domain.PurposeResetPassword, now); err != nil {
			return err
		}
		if acc, err = updateAccount(ctx, tx, `password_hash = $3, email_verified_at = coalesce(email_verified_at, $2)`, id, now, passwordHash); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{
			Actor: id.String(), Action: "account.reset_password", EntityType: "account", EntityID: id.String(), At: now,
		})
	})
	if err != nil {
		return domain.Account{}, fmt.Errorf("reset password: %w", err)
	}
	return acc, nil
}

// ChangePassword replaces the account's password hash oldHash by newHash; an
// apperr Conflict when the hash is no longer oldHash (changed meanwhile).
// The account's open reset links stop working.
func (s *Accounts) ChangePassword(ctx context.Context, id uuid.UUID, oldHash, newHash string, now time.Time) (domain.Account, error) {
	var acc domain.Account
	err := dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var row accountRow
		err := tx.GetContext(ctx, &row, `
			UPDATE users SET password_hash = $3
			WHERE id = $1 AND password_hash = $2 AND disabled_at IS NULL
			RETURNING `+accountColumns, id, oldHash, newHash)
		if dbx.IsNoRows(err) {
			return apperr.New(apperr.Conflict, "The password was changed meanwhile.")
		}
		if err != nil {
			return err
		}
		acc = row.account()
		if err := retireLinks(ctx, tx, id, domain.PurposeResetPassword, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{
			Actor: id.String(), Action: "account.change_password", EntityType: "account", EntityID: id.String(), At: now,
		})
	})
	if err != nil {
		return domain.Account{}, fmt.Errorf("change password of %s: %w", id, err)
	}
	return acc, nil
}

// updateAccount sets columns ($1 is the id, $2 now, then args) and returns
// the account as it is after.
func updateAccount(ctx context.Context, tx *sqlx.Tx, set string, id uuid.UUID, now time.Time, args ...any) (domain.Account, error) {
	var row accountRow
	err := tx.GetContext(ctx, &row, `UPDATE users SET `+set+` WHERE id = $1 RETURNING `+accountColumns,
		append([]any{id, now}, args...)...)
	if err != nil {
		return domain.Account{}, fmt.Errorf("update account %s: %w", id, err)
	}
	return row.account(), nil
}

// prefixed qualifies each column of a comma-separated list with prefix.
func prefixed(prefix, columns string) string {
	cols := strings.Split(columns, ", ")
	for i, c := range cols {
		cols[i] = prefix + c
	}
	return strings.Join(cols, ", ")
}
