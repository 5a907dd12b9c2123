package domain

import (
	"slices"
	"time"

	"github.com/google/uuid"
)

// BidSecurityState is where a vendor's bid security is.
type BidSecurityState string

const (
	SecurityAwaitingPayment BidSecurityState = "awaiting_payment" // invoiced, not paid
	SecurityHeld            BidSecurityState = "held"             // paid, in escrow
	SecurityReleased        BidSecurityState = "released"         // refunded to the vendor
	SecurityForfeited       BidSecurityState = "forfeited"        // taken as state revenue
)

// SecurityDecision is what the tender decided about a security.
type SecurityDecision string

const (
	DecisionNone    SecurityDecision = ""
	DecisionRelease SecurityDecision = "release"
	DecisionForfeit SecurityDecision = "forfeit"
)

// BidSecurity is one vendor's security for one tender, backed by an invoice.
//
// Exactly one of released or forfeited, whatever the order or repetition of
// events: the first decision about a security wins and every later one is a
// no-op. A decision that comes before the money (the award finalised while
// the invoice is unpaid) is kept and applied the moment it is paid.
type BidSecurity struct {
	ID        uuid.UUID
	InvoiceID uuid.UUID
	TenderID  string
	Vendor    string
	Amount    Money
	State     BidSecurityState
	Pending   SecurityDecision // decided while awaiting payment
	Reason    string           // why it was forfeited
	UpdatedAt time.Time
}

// NewBidSecurity starts a security awaiting payment of its invoice.
func NewBidSecurity(inv *Invoice, tenderID, vendor string, now time.Time) (*BidSecurity, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return nil, err
	}
	return &BidSecurity{ID: id, InvoiceID: inv.ID(), TenderID: tenderID, Vendor: vendor,
		Amount: inv.Amount(), State: SecurityAwaitingPayment, UpdatedAt: now.UTC()}, nil
}

// BidSecurityStates lists every state, in a fixed order.
func BidSecurityStates() []BidSecurityState {
	return []BidSecurityState{SecurityAwaitingPayment, SecurityHeld, SecurityReleased, SecurityForfeited}
}

// SecurityAction is a move of the bid security machine.
type SecurityAction string

const (
	SecurityHold    SecurityAction = "hold"    // gateway, its invoice was paid: awaiting_payment -> held
	SecurityRelease SecurityAction = "release" // system, the award went to another vendor (or to none): held -> released
	SecurityForfeit SecurityAction = "forfeit" // system, on the tender's request: held -> forfeited
)

// SecurityActions lists every action, in a fixed order.
func SecurityActions() []SecurityAction {
	return []SecurityAction{SecurityHold, SecurityRelease, SecurityForfeit}
}

// SecurityTransitions returns the bid security machine, every row with the
// one actor allowed to take it.
func SecurityTransitions() []Transition[BidSecurityState, SecurityAction] {
	return []Transition[BidSecurityState, SecurityAction]{
		{SecurityHold, []BidSecurityState{SecurityAwaitingPayment}, SecurityHeld, ActorGateway},
		{SecurityRelease, []BidSecurityState{SecurityHeld}, SecurityReleased, ActorSystem},
		{SecurityForfeit, []BidSecurityState{SecurityHeld}, SecurityForfeited, ActorSystem},
	}
}

// NextSecurityState returns the state action by actor leads to from from,
// refused as the invoice machine's moves are.
func NextSecurityState(from BidSecurityState, action SecurityAction, by Actor) (BidSecurityState, error) {
	return next("a bid security", SecurityTransitions(), from, action, by)
}

// Settled reports whether the security was released or forfeited: no move
// leaves it.
func (s *BidSecurity) Settled() bool { return terminal(SecurityTransitions(), s.State) }

// Hold puts the paid security in escrow, then applies a decision taken
// while it was unpaid. It returns the decision applied now, if any. A
// security paid again (held or settled already) stays as it is.
func (s *BidSecurity) Hold(now time.Time) (applied SecurityDecision) {
	to, err := NextSecurityState(s.State, SecurityHold, ActorGateway)
	if err != nil {
		return DecisionNone
	}
	s.State, s.UpdatedAt = to, now.UTC()
	if d := s.Pending; d != DecisionNone {
		s.Pending = DecisionNone
		return s.decide(d, s.Reason, now)
	}
	return DecisionNone
}

// Decide records the tender's decision. It returns the decision applied
// now (the security moved to released or forfeited), or DecisionNone when
// the decision was only noted (unpaid: the first decision noted is kept)
// or ignored (already decided).
func (s *BidSecurity) Decide(d SecurityDecision, reason string, now time.Time) SecurityDecision {
	switch {
	case s.Settled():
		return DecisionNone
	case slices.Contains(fromStates(SecurityTransitions(), SecurityHold), s.State):
		if s.Pending == DecisionNone {
			s.Pending, s.UpdatedAt = d, now.UTC()
			if d == DecisionForfeit {
				s.Reason = reason
			}
		}
		return DecisionNone
	}
	return s.decide(d, reason, now)
}

func (s *BidSecurity) decide(d SecurityDecision, reason string, now time.Time) SecurityDecision {
	to, err := NextSecurityState(s.State, SecurityAction(d), ActorSystem)
	if err != nil {
		return DecisionNone
	}
	s.State = to
	if d == DecisionForfeit {
		s.Reason = reason
	}
	s.UpdatedAt = now.UTC()
	return d
}
