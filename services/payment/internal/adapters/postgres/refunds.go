package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/pkg/dbx"
	"gerbang/services/payment/internal/domain"
)

const refundColumns = `id, invoice_id, payer, amount, currency, from_account, reason, state, requested_by, decided_by,
	decision_note, created_at, decided_at, completed_at, version`

type refundRow struct {
	ID           uuid.UUID    `db:"id"`
	InvoiceID    uuid.UUID    `db:"invoice_id"`
	Payer        string       `db:"payer"`
	Amount       int64        `db:"amount"`
	Currency     string       `db:"currency"`
	FromAccount  string       `db:"from_account"`
	Reason       string       `db:"reason"`
	State        string       `db:"state"`
	RequestedBy  string       `db:"requested_by"`
	DecidedBy    string       `db:"decided_by"`
	DecisionNote string       `db:"decision_note"`
	CreatedAt    time.Time    `db:"created_at"`
	DecidedAt    sql.NullTime `db:"decided_at"`
	CompletedAt  sql.NullTime `db:"completed_at"`
	Version      int          `db:"version"`
}

func (r refundRow) refund() *domain.Refund {
	return &domain.Refund{ID: r.ID, InvoiceID: r.InvoiceID, Payer: r.Payer, Amount: domain.Money{Amount: r.Amount, Currency: r.Currency},
		From: domain.Account(r.FromAccount), Reason: r.Reason, State: domain.RefundState(r.State), RequestedBy: r.RequestedBy,
		DecidedBy: r.DecidedBy, DecisionNote: r.DecisionNote, CreatedAt: r.CreatedAt.UTC(), DecidedAt: r.DecidedAt.Time.UTC(),
		CompletedAt: r.CompletedAt.Time.UTC(), Version: r.Version}
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// InsertRefund stores a new refund; an invoice with a live refund refuses
// a second (Conflict).
func (t *Tx) InsertRefund(ctx context.Context, r *domain.Refund) error {
	_, err := t.tx.ExecContext(ctx, `
		INSERT INTO refund (`+refundColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		r.ID, r.InvoiceID, r.Payer, r.Amount.Amount, r.Amount.Currency, string(r.From), r.Reason, string(r.State),
		r.RequestedBy, r.DecidedBy, r.DecisionNote, r.CreatedAt, nullTime(r.DecidedAt), nullTime(r.CompletedAt), r.Version)
	if err != nil {
		return dbx.MapConstraint(fmt.Errorf("insert refund of invoice %s: %w", r.InvoiceID, err),
			"This invoice already has a refund requested or under way.")
	}
	return nil
}

// UpdateRefund writes a refund's decision or completion.
func (t *Tx) UpdateRefund(ctx context.Context, r *domain.Refund) error {
	_, err := t.tx.ExecContext(ctx, `
		UPDATE refund SET state = $2, decided_by = $3, decision_note = $4, decided_at = $5, completed_at = $6, version = $7
		WHERE id = $1`, r.ID, string(r.State), r.DecidedBy, r.DecisionNote, nullTime(r.DecidedAt), nullTime(r.CompletedAt), r.Version)
	if err != nil {
		return dbx.MapConstraint(fmt.Errorf("update refund %s: %w", r.ID, err), "A refund must be decided by another officer.")
	}
	return nil
}

// LockRefund loads a refund and locks it.
func (t *Tx) LockRefund(ctx context.Context, id uuid.UUID) (*domain.Refund, error) {
	var r refundRow
	err := t.tx.GetContext(ctx, &r, `SELECT `+refundColumns+` FROM refund WHERE id = $1 FOR UPDATE`, id)
	if dbx.IsNoRows(err) {
		return nil, apperr.New(apperr.NotFound, "No such refund.")
	}
	if err != nil {
		return nil, fmt.Errorf("load refund %s: %w", id, err)
	}
	return r.refund(), nil
}

// PayableRefunds locks up to limit refunds awaiting payout (in a state
// domain.PayableRefundStates), skipping those another instance holds.
func (t *Tx) PayableRefunds(ctx context.Context, limit int) ([]*domain.Refund, error) {
	var rows []refundRow
	if err := t.tx.SelectContext(ctx, &rows, `
		SELECT `+refundColumns+` FROM refund WHERE state = ANY($2)
		ORDER BY decided_at LIMIT $1 FOR UPDATE SKIP LOCKED`, limit, names(domain.PayableRefundStates())); err != nil {
		return nil, fmt.Errorf("select approved refunds: %w", err)
	}
	out := make([]*domain.Refund, len(rows))
	for i, r := range rows {
		out[i] = r.refund()
	}
	return out, nil
}

// SuspendedAmount sums the payments of an invoice kept for review.
func (t *Tx) SuspendedAmount(ctx context.Context, invoiceID uuid.UUID) (int64, error) {
	var n int64
	err := t.tx.GetContext(ctx, &n, `
		SELECT coalesce(sum(amount), 0)::bigint FROM payment WHERE invoice_id = $1 AND outcome = $2`,
		invoiceID, domain.OutcomeManualReview)
	if err != nil {
		return 0, fmt.Errorf("sum suspended payments of %s: %w", invoiceID, err)
	}
	return n, nil
}

// GetRefund reads one refund.
func (s *Store) GetRefund(ctx context.Context, id uuid.UUID) (*domain.Refund, error) {
	var r refundRow
	err := s.db.GetContext(ctx, &r, `SELECT `+refundColumns+` FROM refund WHERE id = $1`, id)
	if dbx.IsNoRows(err) {
		return nil, apperr.New(apperr.NotFound, "No such refund.")
	}
	if err != nil {
		return nil, fmt.Errorf("load refund %s: %w", id, err)
	}
	return r.refund(), nil
}

// ListRefunds returns refunds (in a state when state is not ""), newest first.
func (s *Store) ListRefunds(ctx context.Context, state string, before uuid.UUID, limit int) ([]*domain.Refund, error) {
	var rows []refundRow
	var b any
	if before != uuid.Nil {
		b = before
	}
	if err := s.db.SelectContext(ctx, &rows, `
		SELECT `+refundColumns+` FROM refund
		WHERE ($1 = '' OR state = $1) AND ($2::uuid IS NULL OR id < $2::uuid)
		ORDER BY id DESC LIMIT $3`, state, b, limit); err != nil {
		return nil, fmt.Errorf("list refunds: %w", err)
	}
	out := make([]*domain.Refund, len(rows))
	for i, r := range rows {
		out[i] = r.refund()
	}
	return out, nil
}
