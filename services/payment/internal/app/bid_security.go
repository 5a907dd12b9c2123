package app

import (
	"context"
	"fmt"
	"time"

	"gerbang/services/payment/internal/domain"
)

// openBidSecurity starts the security an invoice backs. When the tender's
// award is already final and the vendor lost, the release is decided at once
// (applied when the money arrives): events of one tender may come in any
// order.
func (s *Service) openBidSecurity(ctx context.Context, t Tx, inv *domain.Invoice, tenderID string, now time.Time) error {
	sec, err := domain.NewBidSecurity(inv, tenderID, inv.Payer(), now)
	if err != nil {
		return err
	}
	winner, awarded, err := t.AwardWinner(ctx, tenderID)
	if err != nil {
		return err
	}
	if awarded && winner != sec.Vendor {
		sec.Decide(domain.DecisionRelease, "", now)
	}
	return t.InsertBidSecurity(ctx, sec)
}

// holdBidSecurity puts a paid security in escrow and applies a decision taken
// while it was unpaid. inv is the security's invoice, locked by the caller.
func (s *Service) holdBidSecurity(ctx context.Context, t Tx, inv *domain.Invoice, now time.Time) error {
	sec, err := t.LockBidSecurityOfInvoice(ctx, inv.ID())
	if err != nil || sec == nil {
		return err
	}
	before := *sec
	applied := sec.Hold(now)
	if err := t.UpdateBidSecurity(ctx, sec); err != nil {
		return err
	}
	if err := s.audit(ctx, t, "payments", "bid_security.hold", "bid_security", sec.ID.String(), before, sec, ""); err != nil {
		return err
	}
	if applied != domain.DecisionNone {
		return s.settleBidSecurity(ctx, t, inv, sec, applied, now)
	}
	return nil
}

// settleBidSecurity books and announces a release or forfeit just applied to
// sec. A release owes the amount back to the vendor (the invoice goes to
// refund_pending); a forfeit turns it into state revenue.
func (s *Service) settleBidSecurity(ctx context.Context, t Tx, inv *domain.Invoice, sec *domain.BidSecurity, d domain.SecurityDecision, now time.Time) error {
	var ev Event = BidSecurityForfeited{bidSecurityOf(sec)}
	if d == domain.DecisionRelease {
		ev = BidSecurityReleased{bidSecurityOf(sec)}
		if err := s.transition(ctx, t, inv, domain.ActReleaseSecurity, domain.ActorSystem, "bid-securities", "bid security released after the award", now); err != nil {
			return err
		}
		if err := s.openRefundByRule(ctx, t, inv, sec.Amount, "bid security released after the award", now); err != nil {
			return err
		}
	}
	lt, err := domain.SecurityTransaction(sec, d, now)
	if err != nil {
		return err
	}
	if err := t.AppendTransaction(ctx, lt); err != nil {
		return err
	}
	return s.publish(ctx, t, ev, inv.ID(), now)
}

// decideBidSecurity applies the tender's decision to one locked security.
func (s *Service) decideBidSecurity(ctx context.Context, t Tx, sec *domain.BidSecurity, d domain.SecurityDecision, reason string, now time.Time) error {
	before := *sec
	applied := sec.Decide(d, reason, now)
	if before == *sec {
		s.log.Info("bid security decision ignored: already decided", "bid_security", sec.ID, "state", sec.State, "decision", d)
		return nil
	}
	if err := t.UpdateBidSecurity(ctx, sec); err != nil {
		return err
	}
	if err := s.audit(ctx, t, "bid-securities", "bid_security."+string(d), "bid_security", sec.ID.String(), before, sec, reason); err != nil {
		return err
	}
	if applied == domain.DecisionNone {
		return nil
	}
	inv, err := t.LockInvoice(ctx, sec.InvoiceID)
	if err != nil {
		return err
	}
	return s.settleBidSecurity(ctx, t, inv, sec, applied, now)
}

// AwardFinalised releases the securities of every bidder but the winner
// (all of them when winner is "": the tender was cancelled or failed).
// The first award of a tender counts; a repeated one changes nothing.
func (s *Service) AwardFinalised(ctx context.Context, t Tx, tenderID, winner string) error {
	now := s.clock.Now()
	recorded, err := t.RecordAward(ctx, tenderID, winner, now)
	if err != nil || !recorded {
		return err
	}
	secs, err := t.LockBidSecurities(ctx, tenderID, "")
	if err != nil {
		return err
	}
	for _, sec := range secs {
		if sec.Vendor == winner {
			continue
		}
		if err := s.decideBidSecurity(ctx, t, sec, domain.DecisionRelease, "", now); err != nil {
			return fmt.Errorf("release bid security %s: %w", sec.ID, err)
		}
	}
	return nil
}

// ErrSecurityUnknown means a forfeit names a security not (yet) invoiced;
// the consumer retries it later.
var ErrSecurityUnknown = fmt.Errorf("bid security not known yet")

// ForfeitBidSecurity forfeits a vendor's security on the tender's request.
// A security already released stays released.
func (s *Service) ForfeitBidSecurity(ctx context.Context, t Tx, tenderID, vendor, reason string) error {
	secs, err := t.LockBidSecurities(ctx, tenderID, vendor)
	if err != nil {
		return err
	}
	if len(secs) == 0 {
		return fmt.Errorf("forfeit for %s in %s: %w", vendor, tenderID, ErrSecurityUnknown)
	}
	return s.decideBidSecurity(ctx, t, secs[0], domain.DecisionForfeit, reason, s.clock.Now())
}
