package app

import (
	"context"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/services/payment/internal/adapters/postgres"
	"gerbang/services/payment/internal/domain"
)

// AcceptReviewedPayment lets finance accept a payment held for review as
// the invoice's payment (a late payment of the right amount): the invoice
// becomes paid, the money moves out of suspense, payment.invoice.paid is
// published and a bid security is held. A payment of another amount cannot
// be accepted; it is refunded instead.
func (s *Service) AcceptReviewedPayment(ctx context.Context, invoiceID uuid.UUID, reason string) (*domain.Invoice, error) {
	var inv *domain.Invoice
	err := s.store.InTx(ctx, func(t *postgres.Tx) error {
		now := s.clock.Now()
		var err error
		if inv, err = t.LockInvoice(ctx, invoiceID); err != nil {
			return err
		}
		if inv.State() != domain.InvoiceManualReview {
			return apperr.New(apperr.Conflict, "Only an invoice whose payment is under review can have it accepted; this one is %s.", inv.State()).
				With("current_state", string(inv.State()))
		}
		suspended, err := t.SuspendedAmount(ctx, inv.ID())
		if err != nil {
			return err
		}
		if suspended != inv.Amount().Amount {
			return apperr.New(apperr.Conflict, "The payment under review (%d) is not the invoice's amount (%d); refund it instead.", suspended, inv.Amount().Amount).
				With("current_state", string(inv.State()))
		}
		// The money under review pays what is owed: the receivable, or, when
		// expiry reversed the issue, the revenue or escrow directly.
		credit := domain.AccountReceivable(inv.Payer())
		if _, err := t.TransactionOf(ctx, inv.ID(), domain.TxInvoiceIssued); apperr.Is(err, apperr.NotFound) {
			credit = domain.AccountPNBPRevenue
			if inv.Purpose() == domain.PurposeBidSecurity {
				credit = domain.AccountEscrow(inv.Payer())
			}
		} else if err != nil {
			return err
		}
		if err := s.transition(ctx, t, inv, domain.ActAcceptReviewed, "finance", reason, now); err != nil {
			return err
		}
		lt, err := domain.AcceptedPaymentTransaction(inv.ID(), credit, inv.Amount(), now)
		if err != nil {
			return err
		}
		if err := t.AppendTransaction(ctx, lt); err != nil {
			return err
		}
		if err := s.publish(ctx, t, EventInvoicePaid, inv.ID(), invoiceEvent(inv), now); err != nil {
			return err
		}
		if inv.Purpose() == domain.PurposeBidSecurity {
			return s.holdBidSecurity(ctx, t, inv, now)
		}
		return nil
	})
	return inv, err
}
