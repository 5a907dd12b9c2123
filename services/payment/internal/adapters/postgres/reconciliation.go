package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/pkg/dbx"
	"gerbang/services/payment/internal/domain"
)

// InsertReconciliation starts a statement import; a file imported before
// is refused (Conflict).
func (t *Tx) InsertReconciliation(ctx context.Context, id uuid.UUID, by, sha string, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, `
		INSERT INTO reconciliation (id, uploaded_by, file_sha256, created_at) VALUES ($1, $2, $3, $4)`, id, by, sha, at)
	if err != nil {
		return dbx.MapConstraint(fmt.Errorf("insert reconciliation: %w", err), "This statement was uploaded already.")
	}
	return nil
}

// MatchedPayment is a payment a statement line matched.
type MatchedPayment struct {
	PaymentID uuid.UUID     `db:"id"`
	InvoiceID uuid.NullUUID `db:"invoice_id"`
	Outcome   string        `db:"outcome"`
}

// MatchPayment finds and locks the oldest payment of this billing code and
// amount that no statement line has matched yet.
func (t *Tx) MatchPayment(ctx context.Context, code string, amount int64) (*MatchedPayment, error) {
	var m MatchedPayment
	err := t.tx.GetContext(ctx, &m, `
		SELECT p.id, p.invoice_id, p.outcome FROM payment p
		WHERE p.billing_code = $1 AND p.amount = $2
		  AND NOT EXISTS (SELECT 1 FROM reconciliation_line l WHERE l.payment_id = p.id)
		ORDER BY p.paid_at, p.id LIMIT 1
		FOR UPDATE OF p`, code, amount)
	if dbx.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("match payment of %s: %w", code, err)
	}
	return &m, nil
}

// InsertStatementLine stores a line, matched to paymentID or not (uuid.Nil).
func (t *Tx) InsertStatementLine(ctx context.Context, recID uuid.UUID, l domain.StatementLine, paymentID uuid.UUID) error {
	var pid any
	if paymentID != uuid.Nil {
		pid = paymentID
	}
	_, err := t.tx.ExecContext(ctx, `
		INSERT INTO reconciliation_line (reconciliation_id, line_no, value_date, billing_code, amount, bank_reference, payment_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, recID, l.LineNo, l.ValueDate, l.BillingCode, l.Amount, l.BankReference, pid)
	if err != nil {
		return dbx.MapConstraint(fmt.Errorf("insert statement line %d: %w", l.LineNo, err),
			"Another statement matched the same payment at the same moment; upload this one again.")
	}
	return nil
}

// ReportLine is a statement line in a reconciliation report.
type ReportLine struct {
	LineNo        int           `db:"line_no"`
	ValueDate     time.Time     `db:"value_date"`
	BillingCode   string        `db:"billing_code"`
	Amount        int64         `db:"amount"`
	BankReference string        `db:"bank_reference"`
	PaymentID     uuid.NullUUID `db:"payment_id"`
	InvoiceID     uuid.NullUUID `db:"invoice_id"`
}

// ReportPayment is a payment no statement line has matched.
type ReportPayment struct {
	PaymentID        uuid.UUID     `db:"id"`
	GatewayReference string        `db:"gateway_reference"`
	BillingCode      string        `db:"billing_code"`
	Amount           int64         `db:"amount"`
	PaidAt           time.Time     `db:"paid_at"`
	InvoiceID        uuid.NullUUID `db:"invoice_id"`
	Outcome          string        `db:"outcome"`
}

// Report is a reconciliation's outcome.
type Report struct {
	ID                uuid.UUID
	UploadedBy        string
	CreatedAt         time.Time
	Matched           []ReportLine
	UnmatchedLines    []ReportLine
	UnmatchedPayments []ReportPayment
}

// ReconciliationReport reads a reconciliation: its lines matched and not,
// and the payments received by then that no statement has matched.
func (s *Store) ReconciliationReport(ctx context.Context, id uuid.UUID) (Report, error) {
	var r Report
	var head struct {
		UploadedBy string    `db:"uploaded_by"`
		CreatedAt  time.Time `db:"created_at"`
	}
	err := s.db.GetContext(ctx, &head, `SELECT uploaded_by, created_at FROM reconciliation WHERE id = $1`, id)
	if dbx.IsNoRows(err) {
		return r, apperr.New(apperr.NotFound, "No such reconciliation.")
	}
	if err != nil {
		return r, fmt.Errorf("load reconciliation %s: %w", id, err)
	}
	r.ID, r.UploadedBy, r.CreatedAt = id, head.UploadedBy, head.CreatedAt.UTC()
	var lines []ReportLine
	if err := s.db.SelectContext(ctx, &lines, `
		SELECT l.line_no, l.value_date, l.billing_code, l.amount, l.bank_reference, l.payment_id, p.invoice_id
		FROM reconciliation_line l LEFT JOIN payment p ON p.id = l.payment_id
		WHERE l.reconciliation_id = $1 ORDER BY l.line_no`, id); err != nil {
		return r, fmt.Errorf("load lines of reconciliation %s: %w", id, err)
	}
	r.Matched, r.UnmatchedLines = []ReportLine{}, []ReportLine{}
	for _, l := range lines {
		if l.PaymentID.Valid {
			r.Matched = append(r.Matched, l)
		} else {
			r.UnmatchedLines = append(r.UnmatchedLines, l)
		}
	}
	r.UnmatchedPayments = []ReportPayment{}
	if err := s.db.SelectContext(ctx, &r.UnmatchedPayments, `
		SELECT p.id, p.gateway_reference, p.billing_code, p.amount, p.paid_at, p.invoice_id, p.outcome
		FROM payment p
		WHERE p.received_at <= $1
		  AND NOT EXISTS (SELECT 1 FROM reconciliation_line l WHERE l.payment_id = p.id)
		ORDER BY p.paid_at, p.id LIMIT 1000`, head.CreatedAt); err != nil {
		return r, fmt.Errorf("load unmatched payments: %w", err)
	}
	return r, nil
}
