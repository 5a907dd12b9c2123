package domain

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
)

// RefundState is where a refund is.
type RefundState string

const (
	RefundRequested RefundState = "requested" // asked by one finance officer, awaiting a second
	RefundApproved  RefundState = "approved"  // approved by a second officer (or by rule), awaiting payout
	RefundRejected  RefundState = "rejected"  // refused by the second officer
	RefundCompleted RefundState = "completed" // paid out through the gateway
)

// RuleActor approves refunds that a rule decides (a bid security released
// after the award): no person's second pair of eyes is needed.
const RuleActor = "rule:bid_security_released"

// Refund gives money back to a payer. Four eyes: the officer who requests a
// refund cannot approve or reject it.
type Refund struct {
	ID           uuid.UUID
	InvoiceID    uuid.UUID
	Payer        string
	Amount       Money
	From         Account // where the money is taken back from (revenue, suspense, or nothing: already payable)
	Reason       string
	State        RefundState
	RequestedBy  string
	DecidedBy    string
	DecisionNote string
	CreatedAt    time.Time
	DecidedAt    time.Time
	CompletedAt  time.Time
	Version      int
}

// NewRefund is a refund requested by requester for the invoice.
func NewRefund(inv *Invoice, amount Money, from Account, requester, reason string, now time.Time) (*Refund, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > MaxDescriptionLength {
		return nil, apperr.InvalidFields("Say why the money goes back.", apperr.Field("reason", "must be 1 to %d characters", MaxDescriptionLength))
	}
	if amount.Amount > MaxInvoiceAmount {
		return nil, apperr.New(apperr.Unprocessable, "A refund is of a positive amount up to %d rupiah; this one would be %d.", MaxInvoiceAmount, amount.Amount)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, err
	}
	return &Refund{ID: id, InvoiceID: inv.ID(), Payer: inv.Payer(), Amount: amount, From: from, Reason: reason,
		State: RefundRequested, RequestedBy: requester, CreatedAt: now.UTC(), Version: 1}, nil
}

// RefundAction is a move of the refund machine.
type RefundAction string

const (
	RefundApprove       RefundAction = "approve"         // finance, a second officer: requested -> approved
	RefundReject        RefundAction = "reject"          // finance, a second officer: requested -> rejected
	RefundApproveByRule RefundAction = "approve_by_rule" // system, a bid security released: requested -> approved
	RefundComplete      RefundAction = "complete"        // system, paid out through the gateway: approved -> completed
)

// RefundStates lists every state, in a fixed order.
func RefundStates() []RefundState {
	return []RefundState{RefundRequested, RefundApproved, RefundRejected, RefundCompleted}
}

// RefundActions lists every action, in a fixed order.
func RefundActions() []RefundAction {
	return []RefundAction{RefundApprove, RefundReject, RefundApproveByRule, RefundComplete}
}

// RefundTransitions returns the refund machine, every row with the one
// actor allowed to take it. Four eyes, beyond the table: the officer who
// requested a refund cannot decide it.
func RefundTransitions() []Transition[RefundState, RefundAction] {
	return []Transition[RefundState, RefundAction]{
		{RefundApprove, []RefundState{RefundRequested}, RefundApproved, ActorFinance},
		{RefundReject, []RefundState{RefundRequested}, RefundRejected, ActorFinance},
		{RefundApproveByRule, []RefundState{RefundRequested}, RefundApproved, ActorSystem},
		{RefundComplete, []RefundState{RefundApproved}, RefundCompleted, ActorSystem},
	}
}

// NextRefundState returns the state action by actor leads to from from,
// refused as the invoice machine's moves are.
func NextRefundState(from RefundState, action RefundAction, by Actor) (RefundState, error) {
	return next("a refund", RefundTransitions(), from, action, by)
}

// PayableRefundStates are the states a refund is paid out from: those
// complete starts from. The payout passes them to the database.
func PayableRefundStates() []RefundState { return fromStates(RefundTransitions(), RefundComplete) }

// Approve is the second officer's yes.
func (r *Refund) Approve(by string, now time.Time) error {
	return r.decide(RefundApprove, ActorFinance, by, "", now)
}

// Reject is the second officer's no.
func (r *Refund) Reject(by, note string, now time.Time) error {
	return r.decide(RefundReject, ActorFinance, by, note, now)
}

// ApproveByRule approves a refund that a rule decides (a bid security
// released after the award): no person's second pair of eyes is needed.
func (r *Refund) ApproveByRule(now time.Time) error {
	return r.decide(RefundApproveByRule, ActorSystem, RuleActor, "", now)
}

func (r *Refund) decide(action RefundAction, actor Actor, by, note string, now time.Time) error {
	to, err := NextRefundState(r.State, action, actor)
	if err != nil {
		return err
	}
	if by == r.RequestedBy {
		return apperr.New(apperr.Forbidden, "Four eyes: a refund must be decided by another finance officer than the one who requested it.")
	}
	r.State, r.DecidedBy, r.DecisionNote, r.DecidedAt = to, by, note, now.UTC()
	r.Version++
	return nil
}

// Complete marks an approved refund paid out.
func (r *Refund) Complete(now time.Time) error {
	to, err := NextRefundState(r.State, RefundComplete, ActorSystem)
	if err != nil {
		return err
	}
	r.State, r.CompletedAt = to, now.UTC()
	r.Version++
	return nil
}
