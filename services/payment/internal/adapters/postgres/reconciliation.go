package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"gerbang/pkg/apperr"
	"gerbang/pkg/dbx"
	"gerbang/services/payment/internal/app"
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

// MatchPayment finds and locks the oldest payment of this billing code and
// amount that no statement line has matched yet, nor any of except.
func (t *Tx) MatchPayment(ctx context.Context, code string, amount int64, except []uuid.UUID) (*app.MatchedPayment, error) {
	var m struct {
		PaymentID uuid.UUID     `db:"id"`
		InvoiceID uuid.NullUUID `db:"invoice_id"`
		Outcome   string        `db:"outcome"`
	}
	err := t.tx.GetContext(ctx, &m, `
		SELECT p.id, p.invoice_id, p.outcome FROM payment p
		WHERE p.billing_code = $1 AND p.amount = $2 AND p.id <> ALL($3::uuid[])
		  AND NOT EXISTS (SELECT 1 FROM reconciliation_line l WHERE l.payment_id = p.id)
		ORDER BY p.paid_at, p.id LIMIT 1
		FOR UPDATE OF p`, code, amount, uuids(except))
	if dbx.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("match payment of %s: %w", code, err)
	}
	return &app.MatchedPayment{PaymentID: m.PaymentID, InvoiceID: m.InvoiceID.UUID, Outcome: domain.PaymentOutcome(m.Outcome)}, nil
}

func uuids(ids []uuid.UUID) pq.StringArray {
	out := make(pq.StringArray, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}

// InsertStatementLines stores a statement's lines, each matched to its
// payment or not (uuid.Nil), in one statement whatever their number.
func (t *Tx) InsertStatementLines(ctx context.Context, recID uuid.UUID, lines []app.StatementMatch) error {
	n := len(lines)
	lineNos, dates := make(pq.Int64Array, n), make(pq.StringArray, n)
	codes, amounts := make(pq.StringArray, n), make(pq.Int64Array, n)
	refs, payments := make(pq.StringArray, n), make([]uuid.NullUUID, n)
	for i, m := range lines {
		l := m.Line
		lineNos[i], dates[i], codes[i], amounts[i], refs[i] = int64(l.LineNo), l.ValueDate.Format(time.DateOnly), l.BillingCode, l.Amount, l.BankReference
		payments[i] = uuid.NullUUID{UUID: m.PaymentID, Valid: m.PaymentID != uuid.Nil}
	}
	_, err := t.tx.ExecContext(ctx, `
		INSERT INTO reconciliation_line (reconciliation_id, line_no, value_date, billing_code, amount, bank_reference, payment_id)
		SELECT $1, l.line_no, l.value_date, l.billing_code, l.amount, l.bank_reference, l.payment_id
		FROM unnest($2::int[], $3::date[], $4::text[], $5::bigint[], $6::text[], $7::uuid[])
			AS l(line_no, value_date, billing_code, amount, bank_reference, payment_id)`,
		recID, lineNos, dates, codes, amounts, refs, pq.Array(payments))
	if err != nil {
		return dbx.MapConstraint(fmt.Errorf("insert %d statement lines: %w", n, err),
			"Another statement matched the same payment at the same moment; upload this one again.")
	}
	return nil
}

type reportLineRow struct {
	LineNo        int           `db:"line_no"`
	ValueDate     time.Time     `db:"value_date"`
	BillingCode   string        `db:"billing_code"`
	Amount        int64         `db:"amount"`
	BankReference string        `db:"bank_reference"`
	PaymentID     uuid.NullUUID `db:"payment_id"`
	InvoiceID     uuid.NullUUID `db:"invoice_id"`
}

type reportPaymentRow struct {
	PaymentID        uuid.UUID     `db:"id"`
	GatewayReference string        `db:"gateway_reference"`
	BillingCode      string        `db:"billing_code"`
	Amount           int64         `db:"amount"`
	PaidAt           time.Time     `db:"paid_at"`
	InvoiceID        uuid.NullUUID `db:"invoice_id"`
	Outcome          string        `db:"outcome"`
}

// ReconciliationReport reads a reconciliation: its lines matched and not,
// and the payments received by then that no statement has matched.
func (s *Store) ReconciliationReport(ctx context.Context, id uuid.UUID) (app.Report, error) {
	var r app.Report
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
	var lines []reportLineRow
	if err := s.db.SelectContext(ctx, &lines, `
		SELECT l.line_no, l.value_date, l.billing_code, l.amount, l.bank_reference, l.payment_id, p.invoice_id
		FROM reconciliation_line l LEFT JOIN payment p ON p.id = l.payment_id
		WHERE l.reconciliation_id = $1 ORDER BY l.line_no`, id); err != nil {
		return r, fmt.Errorf("load lines of reconciliation %s: %w", id, err)
	}
	r.Matched, r.UnmatchedLines = []app.ReportLine{}, []app.ReportLine{}
	for _, l := range lines {
		line := app.ReportLine{LineNo: l.LineNo, ValueDate: l.ValueDate, BillingCode: l.BillingCode, Amount: l.Amount,
			BankReference: l.BankReference, PaymentID: l.PaymentID.UUID, InvoiceID: l.InvoiceID.UUID}
		if l.PaymentID.Valid {
			r.Matched = append(r.Matched, line)
		} else {
			r.UnmatchedLines = append(r.UnmatchedLines, line)
		}
	}
	var payments []reportPaymentRow
	if err := s.db.SelectContext(ctx, &payments, `
		SELECT p.id, p.gateway_reference, p.billing_code, p.amount, p.paid_at, p.invoice_id, p.outcome
		FROM payment p
		WHERE p.received_at <= $1
		  AND NOT EXISTS (SELECT 1 FROM reconciliation_line l WHERE l.payment_id = p.id)
		ORDER BY p.paid_at, p.id LIMIT 1000`, head.CreatedAt); err != nil {
		return r, fmt.Errorf("load unmatched payments: %w", err)
	}
	r.UnmatchedPayments = make([]app.ReportPayment, len(payments))
	for i, p := range payments {
		r.UnmatchedPayments[i] = app.ReportPayment{PaymentID: p.PaymentID, GatewayReference: p.GatewayReference,
			BillingCode: p.BillingCode, Amount: p.Amount, PaidAt: p.PaidAt, InvoiceID: p.InvoiceID.UUID, Outcome: p.Outcome}
	}
	return r, nil
}
