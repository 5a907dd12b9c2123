package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/services/payment/internal/domain"
)

// RequestRefund asks to give a paid invoice's money back (a fee paid by
// mistake, or a payment under review). A second finance officer decides.
// Bid securities are refunded by the award, not by request.
func (s *Service) RequestRefund(ctx context.Context, p auth.Principal, invoiceID uuid.UUID, reason string) (*domain.Refund, error) {
	var r *domain.Refund
	err := s.store.InTx(ctx, func(t Tx) error {
		now := s.clock.Now()
		inv, err := t.LockInvoice(ctx, invoiceID)
		if err != nil {
			return err
		}
		from, suspended, err := inv.RefundSource()
		if err != nil {
			return err
		}
		amount := inv.Amount()
		if suspended {
			if amount.Amount, err = t.SuspendedAmount(ctx, inv.ID()); err != nil {
				return err
			}
		}
		if r, err = domain.NewRefund(inv, amount, from, p.Subject, reason, now); err != nil {
			return err
		}
		if err := t.InsertRefund(ctx, r); err != nil {
			return err
		}
		return s.audit(ctx, t, "refunds", "refund.request", "refund", r.ID.String(), nil, r, reason)
	})
	return r, err
}

// DecideRefund approves or rejects a requested refund: the decider must be
// another finance officer than the requester (four eyes). Approval puts the
// invoice in refund_pending and books the money as owed to the payer.
func (s *Service) DecideRefund(ctx context.Context, p auth.Principal, id uuid.UUID, approve bool, note string) (*domain.Refund, error) {
	var r *domain.Refund
	err := s.store.InTx(ctx, func(t Tx) error {
		now := s.clock.Now()
		var err error
		if r, err = t.LockRefund(ctx, id); err != nil {
			return err
		}
		before := *r
		if !approve {
			if err := r.Reject(p.Subject, note, now); err != nil {
				return err
			}
			if err := t.UpdateRefund(ctx, r); err != nil {
				return err
			}
			return s.audit(ctx, t, "refunds", "refund.reject", "refund", r.ID.String(), before, r, note)
		}
		if err := r.Approve(p.Subject, now); err != nil {
			return err
		}
		inv, err := t.LockInvoice(ctx, r.InvoiceID)
		if err != nil {
			return err
		}
		action := inv.RefundApproval()
		if err := s.transition(ctx, t, inv, action, domain.ActorFinance, "refunds", r.Reason, now); err != nil {
			return err
		}
		if action == domain.ActRefundReviewed {
			// The invoice will not be paid by the payment sent back: what
			// it asked for is no longer owed (unless expiry reversed it).
			if err := s.reverseIssue(ctx, t, inv, now); err != nil {
				return err
			}
		}
		lt, err := domain.RefundApprovedTransaction(inv.ID(), r.Payer, r.From, r.Amount, now)
		if err != nil {
			return err
		}
		if err := t.AppendTransaction(ctx, lt); err != nil {
			return err
		}
		if err := t.UpdateRefund(ctx, r); err != nil {
			return err
		}
		return s.audit(ctx, t, "refunds", "refund.approve", "refund", r.ID.String(), before, r, note)
	})
	return r, err
}

// openRefundByRule starts the payout of a released bid security: approved
// by the rule, the ledger already owing it to the vendor.
func (s *Service) openRefundByRule(ctx context.Context, t Tx, inv *domain.Invoice, amount domain.Money, reason string, now time.Time) error {
	r, err := domain.NewRefund(inv, amount, "", "system:bid-securities", reason, now)
	if err != nil {
		return err
	}
	if err := r.ApproveByRule(now); err != nil {
		return err
	}
	if err := t.InsertRefund(ctx, r); err != nil {
		return err
	}
	return s.audit(ctx, t, "bid-securities", "refund.approve_by_rule", "refund", r.ID.String(), nil, r, reason)
}

// PayOutRefunds pays approved refunds through the (sandbox) gateway, up to
// limit in one transaction: each is completed, its invoice refunded, the
// payout booked and payment.refund.completed published. Refunds another
// instance holds are skipped. It returns how many it paid.
func (s *Service) PayOutRefunds(ctx context.Context, limit int) (int, error) {
	n := 0
	err := s.store.InTx(ctx, func(t Tx) error {
		now := s.clock.Now()
		refunds, err := t.PayableRefunds(ctx, limit)
		if err != nil {
			return err
		}
		for _, r := range refunds {
			before := *r
			if err := r.Complete(now); err != nil {
				return err
			}
			inv, err := t.LockInvoice(ctx, r.InvoiceID)
			if err != nil {
				return err
			}
			if err := s.transition(ctx, t, inv, domain.ActCompleteRefund, domain.ActorSystem, "refund-payout", r.Reason, now); err != nil {
				return err
			}
			lt, err := domain.RefundPaidTransaction(inv.ID(), r.Payer, r.Amount, now)
			if err != nil {
				return err
			}
			if err := t.AppendTransaction(ctx, lt); err != nil {
				return err
			}
			if err := t.UpdateRefund(ctx, r); err != nil {
				return err
			}
			if err := s.audit(ctx, t, "refund-payout", "refund.complete", "refund", r.ID.String(), before, r, ""); err != nil {
				return err
			}
			if err := s.publish(ctx, t, RefundCompleted{RefundID: r.ID.String(), InvoiceID: inv.ID().String(),
				BillingCode: string(inv.BillingCode()), Purpose: string(inv.Purpose()), Reference: inv.Reference(), Payer: r.Payer,
				Amount: money(r.Amount), Reason: r.Reason, CompletedAt: now}, inv.ID(), now); err != nil {
				return err
			}
		}
		n = len(refunds)
		return nil
	})
	return n, err
}

// GetRefund returns a refund to finance and auditors, or to the payer of
// its invoice; others get not found.
func (s *Service) GetRefund(ctx context.Context, p auth.Principal, id uuid.UUID) (*domain.Refund, error) {
	r, err := s.store.GetRefund(ctx, id)
	if err != nil {
		return nil, err
	}
	if !seesAll(p) && !(p.HasRole(auth.RoleBusiness) && p.Org != "" && p.Org == r.Payer) {
		return nil, apperr.New(apperr.NotFound, "No such refund.")
	}
	return r, nil
}

// ListRefunds returns refunds, newest first (finance and auditors).
func (s *Service) ListRefunds(ctx context.Context, state string, limit int) ([]*domain.Refund, error) {
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	return s.store.ListRefunds(ctx, state, uuid.Nil, limit)
}
