package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/auth"
	"gerbang/services/payment/internal/domain"
)

// Reconcile imports a bank statement CSV and matches its lines to payments
// by billing code and amount, all in one transaction: a malformed line
// refuses the whole file (every bad line reported by number) and nothing is
// imported. A paid invoice whose payment is matched becomes reconciled. The
// lines are stored together, in one statement.
func (s *Service) Reconcile(ctx context.Context, p auth.Principal, csv []byte) (Report, error) {
	lines, err := domain.ParseStatement(csv)
	if err != nil {
		return Report{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Report{}, err
	}
	sum := sha256.Sum256(csv)
	err = s.store.InTx(ctx, func(t Tx) error {
		now := s.clock.Now()
		if err := t.InsertReconciliation(ctx, id, p.Subject, hex.EncodeToString(sum[:]), now); err != nil {
			return err
		}
		matches := make([]StatementMatch, len(lines))
		var matched []uuid.UUID
		for i, l := range lines {
			matches[i].Line = l
			m, err := t.MatchPayment(ctx, l.BillingCode, l.Amount, matched)
			if err != nil {
				return err
			}
			if m == nil {
				continue
			}
			matches[i].PaymentID = m.PaymentID
			matched = append(matched, m.PaymentID)
			if err := s.reconcileInvoice(ctx, t, m, now); err != nil {
				return err
			}
		}
		if err := t.InsertStatementLines(ctx, id, matches); err != nil {
			return err
		}
		return s.audit(ctx, t, "reconciliation", "reconciliation.import", "reconciliation", id.String(), nil,
			map[string]any{"lines": len(lines), "matched": len(matched), "file_sha256": hex.EncodeToString(sum[:])}, "")
	})
	if err != nil {
		return Report{}, err
	}
	return s.store.ReconciliationReport(ctx, id)
}

// reconcileInvoice moves the invoice of a matched payment that paid it from
// paid to reconciled; other states stay (a refund under way, a review).
func (s *Service) reconcileInvoice(ctx context.Context, t Tx, m *MatchedPayment, now time.Time) error {
	if m.InvoiceID == uuid.Nil || m.Outcome != domain.OutcomePaid {
		return nil
	}
	inv, err := t.LockInvoice(ctx, m.InvoiceID)
	if err != nil || !inv.ReconcilesBy(m.Outcome) {
		return err
	}
	return s.transition(ctx, t, inv, domain.ActReconcile, domain.ActorFinance, "reconciliation", "", now)
}

// ReconciliationReport reads an earlier reconciliation.
func (s *Service) ReconciliationReport(ctx context.Context, id uuid.UUID) (Report, error) {
	return s.store.ReconciliationReport(ctx, id)
}
