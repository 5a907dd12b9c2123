package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/auth"
	"gerbang/services/payment/internal/adapters/postgres"
	"gerbang/services/payment/internal/domain"
)

// Reconcile imports a bank statement CSV and matches its lines to payments
// by billing code and amount, all in one transaction: a malformed line
// refuses the whole file (every bad line reported by number) and nothing is
// imported. A paid invoice whose payment is matched becomes reconciled.
func (s *Service) Reconcile(ctx context.Context, p auth.Principal, csv []byte) (postgres.Report, error) {
	lines, err := domain.ParseStatement(csv)
	if err != nil {
		return postgres.Report{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return postgres.Report{}, err
	}
	sum := sha256.Sum256(csv)
	err = s.store.InTx(ctx, func(t *postgres.Tx) error {
		now := s.clock.Now()
		if err := t.InsertReconciliation(ctx, id, p.Subject, hex.EncodeToString(sum[:]), now); err != nil {
			return err
		}
		matched := 0
		for _, l := range lines {
			m, err := t.MatchPayment(ctx, l.BillingCode, l.Amount)
			if err != nil {
				return err
			}
			pid := uuid.Nil
			if m != nil {
				pid = m.PaymentID
				matched++
				if err := s.reconcileInvoice(ctx, t, m, now); err != nil {
					return err
				}
			}
			if err := t.InsertStatementLine(ctx, id, l, pid); err != nil {
				return err
			}
		}
		return s.audit(ctx, t, "reconciliation", "reconciliation.import", "reconciliation", id.String(), nil,
			map[string]any{"lines": len(lines), "matched": matched, "file_sha256": hex.EncodeToString(sum[:])}, "")
	})
	if err != nil {
		return postgres.Report{}, err
	}
	return s.store.ReconciliationReport(ctx, id)
}

// reconcileInvoice moves the invoice of a matched payment that paid it from
// paid to reconciled; other states stay (a refund under way, a review).
func (s *Service) reconcileInvoice(ctx context.Context, t *postgres.Tx, m *postgres.MatchedPayment, now time.Time) error {
	if !m.InvoiceID.Valid || m.Outcome != string(domain.OutcomePaid) {
		return nil
	}
	inv, err := t.LockInvoice(ctx, m.InvoiceID.UUID)
	if err != nil || inv.State() != domain.InvoicePaid {
		return err
	}
	return s.transition(ctx, t, inv, domain.ActReconcile, "reconciliation", "", now)
}

// ReconciliationReport reads an earlier reconciliation.
func (s *Service) ReconciliationReport(ctx context.Context, id uuid.UUID) (postgres.Report, error) {
	return s.store.ReconciliationReport(ctx, id)
}
