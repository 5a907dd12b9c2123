package domain

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
)

// Purpose says what an invoice is for.
type Purpose string

const (
	PurposeLicenseFee  Purpose = "license_fee"  // a license fee, state revenue (PNBP) once paid
	PurposeBidSecurity Purpose = "bid_security" // a tender bid security, held in escrow until the award
	PurposeOther       Purpose = "other"        // another state fee invoiced by finance
)

// ParsePurpose checks a purpose given as input.
func ParsePurpose(s, field string) (Purpose, error) {
	switch p := Purpose(s); p {
	case PurposeLicenseFee, PurposeBidSecurity, PurposeOther:
		return p, nil
	}
	return "", apperr.InvalidFields("The purpose is not known.", apperr.Field(field, "must be license_fee, bid_security or other"))
}

// InvoiceState is where an invoice is in its life (DESIGN.md, Payment).
type InvoiceState string

const (
	InvoicePending       InvoiceState = "pending"
	InvoicePaid          InvoiceState = "paid"
	InvoiceReconciled    InvoiceState = "reconciled"
	InvoiceExpired       InvoiceState = "expired"
	InvoiceCancelled     InvoiceState = "cancelled"
	InvoiceRefundPending InvoiceState = "refund_pending"
	InvoiceRefunded      InvoiceState = "refunded"
	InvoiceManualReview  InvoiceState = "manual_review"
)

// InvoiceStates lists every state, in a fixed order.
func InvoiceStates() []InvoiceState {
	return []InvoiceState{InvoicePending, InvoicePaid, InvoiceReconciled, InvoiceExpired,
		InvoiceCancelled, InvoiceRefundPending, InvoiceRefunded, InvoiceManualReview}
}

// InvoiceAction is a step that moves an invoice.
type InvoiceAction string

const (
	ActPay            InvoiceAction = "pay"             // the right amount arrived in time
	ActReconcile      InvoiceAction = "reconcile"       // a bank statement line matched the payment
	ActExpire         InvoiceAction = "expire"          // unpaid past its expiry
	ActCancel         InvoiceAction = "cancel"          // withdrawn before payment
	ActRequestRefund  InvoiceAction = "request_refund"  // money to go back to the payer
	ActCompleteRefund InvoiceAction = "complete_refund" // the refund was paid out
	ActHoldForReview  InvoiceAction = "hold_for_review" // a payment came late or for the wrong amount
	ActAcceptReviewed InvoiceAction = "accept_reviewed" // finance accepts a reviewed payment as payment
	ActRefundReviewed InvoiceAction = "refund_reviewed" // finance sends a reviewed payment back
)

// InvoiceActions lists every action, in a fixed order.
func InvoiceActions() []InvoiceAction {
	return []InvoiceAction{ActPay, ActReconcile, ActExpire, ActCancel, ActRequestRefund,
		ActCompleteRefund, ActHoldForReview, ActAcceptReviewed, ActRefundReviewed}
}

// invoiceTransitions is the whole state machine: from state, by action, to
// state. What is not here is refused.
//
// Beyond DESIGN.md's arrows: a reconciled invoice may still be refunded (a
// bid security is often reconciled before the award releases it), and a
// payment under review is either accepted (→ paid) or sent back
// (→ refund_pending): never dropped.
var invoiceTransitions = map[InvoiceState]map[InvoiceAction]InvoiceState{
	InvoicePending: {
		ActPay:           InvoicePaid,
		ActExpire:        InvoiceExpired,
		ActCancel:        InvoiceCancelled,
		ActHoldForReview: InvoiceManualReview,
	},
	InvoicePaid: {
		ActReconcile:     InvoiceReconciled,
		ActRequestRefund: InvoiceRefundPending,
	},
	InvoiceReconciled: {
		ActRequestRefund: InvoiceRefundPending,
	},
	InvoiceExpired:   {ActHoldForReview: InvoiceManualReview},
	InvoiceCancelled: {ActHoldForReview: InvoiceManualReview},
	InvoiceRefundPending: {
		ActCompleteRefund: InvoiceRefunded,
	},
	InvoiceManualReview: {
		ActAcceptReviewed: InvoicePaid,
		ActRefundReviewed: InvoiceRefundPending,
	},
	InvoiceRefunded: {},
}

// NextInvoiceState returns the state action leads to from from, or an
// apperr Conflict (with current_state) when the machine refuses it.
func NextInvoiceState(from InvoiceState, action InvoiceAction) (InvoiceState, error) {
	if to, ok := invoiceTransitions[from][action]; ok {
		return to, nil
	}
	return "", apperr.New(apperr.Conflict, "An invoice in state %s cannot %s.", from, strings.ReplaceAll(string(action), "_", " ")).
		With("current_state", string(from))
}

// Invoice asks a payer for an amount, payable by its billing code until it
// expires.
type Invoice struct {
	id          uuid.UUID
	billingCode BillingCode
	purpose     Purpose
	reference   string
	payer       string
	amount      Money
	description string
	state       InvoiceState
	expiresAt   time.Time
	createdAt   time.Time
	updatedAt   time.Time
	version     int
}

// NewInvoiceInput is what creating an invoice needs.
type NewInvoiceInput struct {
	Purpose     Purpose
	Reference   string // the requesting record (application id, tender/vendor pair, ...); unique per purpose
	Payer       string // the paying business (the org of its users' tokens)
	Amount      Money
	Description string
	ExpiresAt   time.Time
}

// Limits of invoice fields.
const (
	MaxReferenceLength   = 200
	MaxDescriptionLength = 500
	MinValidity          = time.Hour
	MaxValidity          = 90 * 24 * time.Hour
	DefaultValidity      = 7 * 24 * time.Hour
)

// NewInvoice validates in and builds a pending invoice with a fresh billing
// code. Input field names in errors are those of the API body.
func NewInvoice(in NewInvoiceInput, now time.Time) (*Invoice, error) {
	var fields []apperr.FieldError
	if _, err := ParsePurpose(string(in.Purpose), "purpose"); err != nil {
		fields = append(fields, apperr.Field("purpose", "must be license_fee, bid_security or other"))
	}
	if r := strings.TrimSpace(in.Reference); r == "" || utf8.RuneCountInString(r) > MaxReferenceLength {
		fields = append(fields, apperr.Field("reference", "must be 1 to %d characters", MaxReferenceLength))
	}
	if p := strings.TrimSpace(in.Payer); p == "" || len(p) > 100 {
		fields = append(fields, apperr.Field("payer", "must name the paying business (1 to 100 characters)"))
	}
	if in.Amount.Amount <= 0 {
		fields = append(fields, apperr.Field("amount.amount", "must be a positive whole number of rupiah"))
	}
	if in.Amount.Currency != CurrencyIDR {
		fields = append(fields, apperr.Field("amount.currency", "must be %s", CurrencyIDR))
	}
	if utf8.RuneCountInString(in.Description) > MaxDescriptionLength {
		fields = append(fields, apperr.Field("description", "must be at most %d characters", MaxDescriptionLength))
	}
	expires := in.ExpiresAt
	if expires.IsZero() {
		expires = now.Add(DefaultValidity)
	}
	if d := expires.Sub(now); d < MinValidity || d > MaxValidity {
		fields = append(fields, apperr.Field("expires_at", "must be between %s and %d days from now", MinValidity, int(MaxValidity.Hours()/24)))
	}
	if len(fields) > 0 {
		return nil, apperr.InvalidFields("The invoice cannot be created as given.", fields...)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("new invoice id: %w", err)
	}
	code, err := NewBillingCode(in.Purpose)
	if err != nil {
		return nil, err
	}
	now = now.UTC().Truncate(time.Microsecond)
	return &Invoice{
		id: id, billingCode: code, purpose: in.Purpose,
		reference: strings.TrimSpace(in.Reference), payer: strings.TrimSpace(in.Payer),
		amount: in.Amount, description: in.Description, state: InvoicePending,
		expiresAt: expires.UTC().Truncate(time.Microsecond), createdAt: now, updatedAt: now, version: 1,
	}, nil
}

// InvoiceRecord is an invoice as stored; UnmarshalInvoiceFromDatabase trusts
// it without the creation rules (they held when it was created).
type InvoiceRecord struct {
	ID          uuid.UUID
	BillingCode BillingCode
	Purpose     Purpose
	Reference   string
	Payer       string
	Amount      Money
	Description string
	State       InvoiceState
	ExpiresAt   time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int
}

// UnmarshalInvoiceFromDatabase rebuilds a stored invoice.
func UnmarshalInvoiceFromDatabase(r InvoiceRecord) *Invoice {
	return &Invoice{id: r.ID, billingCode: r.BillingCode, purpose: r.Purpose, reference: r.Reference,
		payer: r.Payer, amount: r.Amount, description: r.Description, state: r.State,
		expiresAt: r.ExpiresAt, createdAt: r.CreatedAt, updatedAt: r.UpdatedAt, version: r.Version}
}

// Record returns the invoice's stored form (also its audit snapshot).
func (inv *Invoice) Record() InvoiceRecord {
	return InvoiceRecord{ID: inv.id, BillingCode: inv.billingCode, Purpose: inv.purpose, Reference: inv.reference,
		Payer: inv.payer, Amount: inv.amount, Description: inv.description, State: inv.state,
		ExpiresAt: inv.expiresAt, CreatedAt: inv.createdAt, UpdatedAt: inv.updatedAt, Version: inv.version}
}

func (inv *Invoice) ID() uuid.UUID            { return inv.id }
func (inv *Invoice) BillingCode() BillingCode { return inv.billingCode }
func (inv *Invoice) Purpose() Purpose         { return inv.purpose }
func (inv *Invoice) Reference() string        { return inv.reference }
func (inv *Invoice) Payer() string            { return inv.payer }
func (inv *Invoice) Amount() Money            { return inv.amount }
func (inv *Invoice) State() InvoiceState      { return inv.state }
func (inv *Invoice) ExpiresAt() time.Time     { return inv.expiresAt }
func (inv *Invoice) Version() int             { return inv.version }

// Apply moves the invoice by action, or refuses with a Conflict naming the
// current state.
func (inv *Invoice) Apply(action InvoiceAction, now time.Time) error {
	to, err := NextInvoiceState(inv.state, action)
	if err != nil {
		return err
	}
	inv.state = to
	inv.updatedAt = now.UTC().Truncate(time.Microsecond)
	inv.version++
	return nil
}

// RegenerateBillingCode draws another code after a collision on insert.
func (inv *Invoice) RegenerateBillingCode() error {
	code, err := NewBillingCode(inv.purpose)
	if err != nil {
		return err
	}
	inv.billingCode = code
	return nil
}

// Expired reports whether the invoice is past its expiry at now.
func (inv *Invoice) Expired(now time.Time) bool { return !now.Before(inv.expiresAt) }

// PaymentOutcome is what a confirmed payment does to its invoice.
type PaymentOutcome string

const (
	OutcomePaid         PaymentOutcome = "applied"       // the invoice is paid by it
	OutcomeManualReview PaymentOutcome = "manual_review" // kept for finance: late, wrong amount, duplicate or unknown code
)

// ReviewReason says why a payment waits for finance.
type ReviewReason string

const (
	ReviewNone        ReviewReason = ""
	ReviewWrongAmount ReviewReason = "wrong_amount"
	ReviewLate        ReviewReason = "late"         // after the expiry, or for an expired or cancelled invoice
	ReviewAlreadyPaid ReviewReason = "already_paid" // a second payment of a settled invoice
	ReviewUnknownCode ReviewReason = "unknown_code" // no invoice has this billing code
)

// ReceivePayment applies a payment of amount made at paidAt to the invoice.
// The right amount in time pays it; anything else is kept for review, never
// dropped: the invoice goes to manual_review when it was pending, expired or
// cancelled, and stays as it is when it was already settled.
func (inv *Invoice) ReceivePayment(amount Money, paidAt, now time.Time) (PaymentOutcome, ReviewReason, error) {
	reason := ReviewNone
	switch {
	case inv.state != InvoicePending && inv.state != InvoiceExpired && inv.state != InvoiceCancelled:
		return OutcomeManualReview, ReviewAlreadyPaid, nil
	case inv.state != InvoicePending || inv.Expired(paidAt):
		reason = ReviewLate
	case amount != inv.amount:
		reason = ReviewWrongAmount
	}
	if reason != ReviewNone {
		if err := inv.Apply(ActHoldForReview, now); err != nil {
			return "", "", err
		}
		return OutcomeManualReview, reason, nil
	}
	if err := inv.Apply(ActPay, now); err != nil {
		return "", "", err
	}
	return OutcomePaid, ReviewNone, nil
}
