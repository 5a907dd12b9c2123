package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"

	"gerbang/services/payment/internal/domain"
)

// ExpireDueInvoices expires up to limit pending invoices past their expiry,
// in one transaction: each is marked expired, its issue reversed in the
// ledger, payment.invoice.expired published and audited. Rows another
// instance is expiring are skipped, so any number of instances may run it.
// It returns how many it expired.
func (s *Service) ExpireDueInvoices(ctx context.Context, limit int) (int, error) {
	now := s.clock.Now()
	n := 0
	err := s.store.InTx(ctx, func(t Tx) error {
		due, err := t.DueInvoices(ctx, now, limit)
		if err != nil {
			return err
		}
		for _, inv := range due {
			if err := s.closeUnpaid(ctx, t, inv, domain.ActExpire, domain.ActorSystem, "expiry", ""); err != nil {
				return err
			}
		}
		n = len(due)
		return nil
	})
	return n, err
}

// closeUnpaid expires or cancels a locked pending invoice, reverses its
// issue in the ledger and announces it.
func (s *Service) closeUnpaid(ctx context.Context, t Tx, inv *domain.Invoice, action domain.InvoiceAction, by domain.Actor, system, reason string) error {
	now := s.clock.Now()
	if err := s.transition(ctx, t, inv, action, by, system, reason, now); err != nil {
		return err
	}
	if err := s.reverseIssue(ctx, t, inv, now); err != nil {
		return err
	}
	var ev Event = InvoiceExpired{invoiceOf(inv)}
	if action == domain.ActCancel {
		ev = InvoiceCancelled{invoiceOf(inv)}
	}
	return s.publish(ctx, t, ev, inv.ID(), now)
}

// reverseIssue reverses the invoice's issue transaction unless it was
// reversed already.
func (s *Service) reverseIssue(ctx context.Context, t Tx, inv *domain.Invoice, now time.Time) error {
	issued, err := t.TransactionOf(ctx, inv.ID(), domain.TxInvoiceIssued)
	if apperr.Is(err, apperr.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	rev, err := domain.Reverse(issued, now)
	if err != nil {
		return err
	}
	return t.AppendTransaction(ctx, rev)
}

// CancelInvoice withdraws a pending invoice (finance).
func (s *Service) CancelInvoice(ctx context.Context, id uuid.UUID, reason string) (*domain.Invoice, error) {
	var inv *domain.Invoice
	err := s.store.InTx(ctx, func(t Tx) error {
		var err error
		if inv, err = t.LockInvoice(ctx, id); err != nil {
			return err
		}
		return s.closeUnpaid(ctx, t, inv, domain.ActCancel, domain.ActorFinance, "finance", reason)
	})
	return inv, err
}
