package app

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/services/payment/internal/domain"
)

// CallbackResult says what a gateway callback did.
type CallbackResult struct {
	PaymentID    uuid.UUID
	InvoiceID    uuid.UUID // uuid.Nil for an unknown billing code
	Duplicate    bool      // the gateway reference was known: nothing changed
	Outcome      domain.PaymentOutcome
	ReviewReason domain.ReviewReason
}

// ReceiveCallback verifies a gateway callback (signature over the timestamp
// and the raw body, five-minute tolerance) and records its payment once per
// gateway reference. The right amount in time pays the invoice (ledger,
// payment.invoice.paid, bid security held); anything else is kept for
// review, never dropped. A repeated callback changes nothing.
func (s *Service) ReceiveCallback(ctx context.Context, timestamp, signature string, body []byte) (CallbackResult, error) {
	now := s.clock.Now()
	if err := domain.VerifyCallback(s.secret, timestamp, signature, body, now); err != nil {
		return CallbackResult{}, err
	}
	p, err := domain.ParseCallbackPayload(body)
	if err != nil {
		return CallbackResult{}, err
	}
	var res CallbackResult
	err = s.store.InTx(ctx, func(t Tx) error {
		var err error
		res, err = s.applyPayment(ctx, t, p, now)
		return err
	})
	if errors.Is(err, errDuplicate) {
		s.log.Info("gateway callback repeated: nothing changed", "gateway_reference", p.GatewayReference)
		return res, nil
	}
	return res, err
}

// errDuplicate rolls back a callback whose gateway reference is known.
var errDuplicate = errors.New("duplicate gateway reference")

func (s *Service) applyPayment(ctx context.Context, t Tx, p domain.CallbackPayload, now time.Time) (CallbackResult, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return CallbackResult{}, err
	}
	pay := domain.Payment{ID: id, GatewayReference: p.GatewayReference, BillingCode: p.BillingCode, Amount: p.Amount,
		Proof: p.Proof, PaidAt: p.PaidAt.UTC(), ReceivedAt: now}
	// The invoice row lock orders concurrent callbacks of one invoice; the
	// unique gateway reference makes every copy after the first a no-op.
	inv, err := t.LockInvoiceByCode(ctx, p.BillingCode)
	switch {
	case apperr.Is(err, apperr.NotFound):
		inv = nil
		pay.Outcome, pay.ReviewReason = domain.OutcomeManualReview, domain.ReviewUnknownCode
	case err != nil:
		return CallbackResult{}, err
	}
	var before map[string]any
	read := 0
	if inv != nil {
		before, read = invoiceSnapshot(inv), inv.Version()
		pay.InvoiceID = inv.ID()
		if pay.Outcome, pay.ReviewReason, err = inv.ReceivePayment(p.Amount, pay.PaidAt, now); err != nil {
			return CallbackResult{}, err
		}
	}
	inserted, err := t.InsertPayment(ctx, pay)
	if err != nil {
		return CallbackResult{}, err
	}
	if !inserted {
		// Seen before: the transaction rolls back, nothing changes.
		return CallbackResult{Duplicate: true, InvoiceID: pay.InvoiceID}, errDuplicate
	}
	res := CallbackResult{PaymentID: pay.ID, InvoiceID: pay.InvoiceID, Outcome: pay.Outcome, ReviewReason: pay.ReviewReason}
	payer := ""
	if inv != nil {
		payer = inv.Payer()
		if inv.Version() != read {
			if err := t.UpdateInvoice(ctx, inv, read); err != nil {
				return CallbackResult{}, err
			}
			action := "invoice.pay"
			if pay.Outcome == domain.OutcomeManualReview {
				action = "invoice.hold_for_review"
			}
			if err := s.audit(ctx, t, "gateway", action, "invoice", inv.ID().String(), before, invoiceSnapshot(inv), string(pay.ReviewReason)); err != nil {
				return CallbackResult{}, err
			}
		}
	}
	lt, err := domain.PaymentTransaction(pay.InvoiceID, payer, pay.Amount, pay.Outcome, now)
	if err != nil {
		return CallbackResult{}, err
	}
	if err := t.AppendTransaction(ctx, lt); err != nil {
		return CallbackResult{}, err
	}
	if err := s.audit(ctx, t, "gateway", "payment.receive", "payment", pay.ID.String(), nil, pay, string(pay.ReviewReason)); err != nil {
		return CallbackResult{}, err
	}
	if pay.Outcome != domain.OutcomePaid {
		s.log.Warn("payment held for manual review", "payment", pay.ID, "billing_code", pay.BillingCode, "reason", pay.ReviewReason)
		return res, nil
	}
	ev := InvoicePaid{EventInvoice: invoiceOf(inv), PaymentID: pay.ID.String(), PaidAt: &pay.PaidAt, Proof: pay.Proof}
	if err := s.publish(ctx, t, ev, inv.ID(), now); err != nil {
		return CallbackResult{}, err
	}
	if inv.Purpose() == domain.PurposeBidSecurity {
		if err := s.holdBidSecurity(ctx, t, inv, now); err != nil {
			return CallbackResult{}, err
		}
	}
	return res, nil
}
