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
	id, err := uuid.NewV7()
	if err != nil {
		return nil, err
	}
	return &Refund{ID: id, InvoiceID: inv.ID(), Payer: inv.Payer(), Amount: amount, From: from, Reason: reason,
		State: RefundRequested, RequestedBy: requester, CreatedAt: now.UTC(), Version: 1}, nil
}

func (r *Refund) refuse(action string) error {
	return apperr.New(apperr.Conflict, "A refund in state %s cannot be %s.", r.State, action).With("current_state", string(r.State))
}

// Approve is the second officer's yes.
func (r *Refund) Approve(by string, now time.Time) error {
	return r.decide(by, RefundApproved, "", now)
}

// Reject is the second officer's no.
func (r *Refund) Reject(by, note string, now time.Time) error {
	return r.decide(by, RefundRejected, note, now)
}

func (r *Refund) decide(by string, to RefundState, note string, now time.Time) error {
	if r.State != RefundRequested {
		return r.refuse(string(to))
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
	if r.State != RefundApproved {
		return r.refuse("completed")
	}
	r.State, r.CompletedAt = RefundCompleted, now.UTC()
	r.Version++
	return nil
}
