package app

import (
	"context"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/services/payment/internal/domain"
)

// AcceptReviewedPayment lets finance accept a payment held for review as
// the invoice's payment (a late payment of the right amount): the invoice
// becomes paid, the money moves out of suspense, payment.invoice.paid is
// published and a bid security is held. A payment of another amount cannot
// be accepted; it is refunded instead.
func (s *Service) AcceptReviewedPayment(ctx context.Context, invoiceID uuid.UUID, reason string) (*domain.Invoice, error) {
	var inv *domain.Invoice
	err := s.store.InTx(ctx, func(t Tx) error {
		now := s.clock.Now()
		var err error
		if inv, err = t.LockInvoice(ctx, invoiceID); err != nil {
			return err
		}
		suspended, err := t.SuspendedAmount(ctx, inv.ID())
		if err != nil {
			return err
		}
		if err := inv.CheckAcceptReview(suspended); err != nil {
			return err
		}
		_, err = t.TransactionOf(ctx, inv.ID(), domain.TxInvoiceIssued)
		if err != nil && !apperr.Is(err, apperr.NotFound) {
			return err
		}
		credit := inv.AcceptedPaymentCredit(err == nil)
		if err := s.transition(ctx, t, inv, domain.ActAcceptReviewed, domain.ActorFinance, "finance", reason, now); err != nil {
			return err
		}
		lt, err := domain.AcceptedPaymentTransaction(inv.ID(), credit, inv.Amount(), now)
		if err != nil {
			return err
		}
		if err := t.AppendTransaction(ctx, lt); err != nil {
			return err
		}
		if err := s.publish(ctx, t, InvoicePaid{EventInvoice: invoiceOf(inv)}, inv.ID(), now); err != nil {
			return err
		}
		if inv.Purpose() == domain.PurposeBidSecurity {
			return s.holdBidSecurity(ctx, t, inv, now)
		}
		return nil
	})
	return inv, err
}
