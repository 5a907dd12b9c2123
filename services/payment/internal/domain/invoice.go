package domain

import (
	"fmt"
	"slices"
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

// InvoiceAction is a move of the invoice machine.
type InvoiceAction string

const (
	ActPay             InvoiceAction = "pay"              // gateway, the right amount in time: pending -> paid
	ActHoldForReview   InvoiceAction = "hold_for_review"  // gateway, late or the wrong amount: pending | expired | cancelled -> manual_review
	ActReconcile       InvoiceAction = "reconcile"        // finance, a statement line matched the payment: paid -> reconciled
	ActExpire          InvoiceAction = "expire"           // system, unpaid past its expiry: pending -> expired
	ActCancel          InvoiceAction = "cancel"           // finance, withdrawn before payment: pending -> cancelled
	ActRequestRefund   InvoiceAction = "request_refund"   // finance, a second officer approved a refund: paid | reconciled -> refund_pending
	ActReleaseSecurity InvoiceAction = "release_security" // system, the award released a bid security: paid | reconciled -> refund_pending
	ActCompleteRefund  InvoiceAction = "complete_refund"  // system, the refund was paid out: refund_pending -> refunded
	ActAcceptReviewed  InvoiceAction = "accept_reviewed"  // finance accepts a reviewed payment: manual_review -> paid
	ActRefundReviewed  InvoiceAction = "refund_reviewed"  // finance sends a reviewed payment back: manual_review -> refund_pending
)

// InvoiceActions lists every action, in a fixed order.
func InvoiceActions() []InvoiceAction {
	return []InvoiceAction{ActPay, ActHoldForReview, ActReconcile, ActExpire, ActCancel, ActRequestRefund,
		ActReleaseSecurity, ActCompleteRefund, ActAcceptReviewed, ActRefundReviewed}
}

// InvoiceTransitions returns the invoice machine, every row with the one
// actor allowed to take it.
//
// Beyond DESIGN.md's arrows: a reconciled invoice may still be refunded (a
// bid security is often reconciled before the award releases it), and a
// payment under review is either accepted (-> paid) or sent back
// (-> refund_pending): never dropped.
func InvoiceTransitions() []Transition[InvoiceState, InvoiceAction] {
	return []Transition[InvoiceState, InvoiceAction]{
		{ActPay, []InvoiceState{InvoicePending}, InvoicePaid, ActorGateway},
		{ActHoldForReview, []InvoiceState{InvoicePending, InvoiceExpired, InvoiceCancelled}, InvoiceManualReview, ActorGateway},
		{ActReconcile, []InvoiceState{InvoicePaid}, InvoiceReconciled, ActorFinance},
		{ActExpire, []InvoiceState{InvoicePending}, InvoiceExpired, ActorSystem},
		{ActCancel, []InvoiceState{InvoicePending}, InvoiceCancelled, ActorFinance},
		{ActRequestRefund, []InvoiceState{InvoicePaid, InvoiceReconciled}, InvoiceRefundPending, ActorFinance},
		{ActReleaseSecurity, []InvoiceState{InvoicePaid, InvoiceReconciled}, InvoiceRefundPending, ActorSystem},
		{ActCompleteRefund, []InvoiceState{InvoiceRefundPending}, InvoiceRefunded, ActorSystem},
		{ActAcceptReviewed, []InvoiceState{InvoiceManualReview}, InvoicePaid, ActorFinance},
		{ActRefundReviewed, []InvoiceState{InvoiceManualReview}, InvoiceRefundPending, ActorFinance},
	}
}

// NextInvoiceState returns the state action by actor leads to from from:
// a Conflict (with current_state) when the machine does not start action
// there, Forbidden when the action is another actor's.
func NextInvoiceState(from InvoiceState, action InvoiceAction, by Actor) (InvoiceState, error) {
	return next("an invoice", InvoiceTransitions(), from, action, by)
}

// ExpirableStates are the states an invoice expires from once past its
// expiry: those expire starts from. The scheduler passes them to the
// database.
func ExpirableStates() []InvoiceState { return fromStates(InvoiceTransitions(), ActExpire) }

// Terminal reports whether no move leaves s.
func (s InvoiceState) Terminal() bool { return terminal(InvoiceTransitions(), s) }

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

// ExpiryWithin keeps a deadline another service asked for inside the
// validity an invoice allows at now: at least a minute over the shortest
// validity (so that the invoice, built a moment later, is still valid for
// at least that long), at most the longest.
func ExpiryWithin(requested, now time.Time) time.Time {
	if lo := now.Add(MinValidity + time.Minute); requested.Before(lo) {
		return lo
	}
	if hi := now.Add(MaxValidity); requested.After(hi) {
		return hi
	}
	return requested
}

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
	if in.Amount.Amount <= 0 || in.Amount.Amount > MaxInvoiceAmount {
		fields = append(fields, amountField("amount.amount", in.Amount.Amount))
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

// Apply moves the invoice by action taken by actor, or refuses as
// NextInvoiceState does.
func (inv *Invoice) Apply(action InvoiceAction, by Actor, now time.Time) error {
	to, err := NextInvoiceState(inv.state, action, by)
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
	var reason ReviewReason
	switch {
	case !slices.Contains(fromStates(InvoiceTransitions(), ActHoldForReview), inv.state):
		return OutcomeManualReview, ReviewAlreadyPaid, nil
	case !slices.Contains(fromStates(InvoiceTransitions(), ActPay), inv.state) || inv.Expired(paidAt):
		reason = ReviewLate
	case amount != inv.amount:
		reason = ReviewWrongAmount
	default:
		if err := inv.Apply(ActPay, ActorGateway, now); err != nil {
			return "", "", err
		}
		return OutcomePaid, ReviewNone, nil
	}
	if err := inv.Apply(ActHoldForReview, ActorGateway, now); err != nil {
		return "", "", err
	}
	return OutcomeManualReview, reason, nil
}

// RefundSource says where the money of a refund requested for the invoice
// comes back from: state revenue for a paid (or reconciled) fee, suspense
// for a payment under review (its amount is what is suspended, not the
// invoice's). A bid security is released by the tender's award, not
// refunded on request, unless its payment is under review; any other state
// has nothing to refund (Conflict).
func (inv *Invoice) RefundSource() (from Account, suspended bool, err error) {
	if inv.purpose == PurposeBidSecurity && inv.state != InvoiceManualReview {
		return "", false, apperr.New(apperr.Conflict, "A bid security is released by the tender's award, not refunded on request.").
			With("current_state", string(inv.state))
	}
	switch {
	case slices.Contains(fromStates(InvoiceTransitions(), ActRequestRefund), inv.state):
		return AccountPNBPRevenue, false, nil
	case slices.Contains(fromStates(InvoiceTransitions(), ActRefundReviewed), inv.state):
		return AccountSuspense, true, nil
	}
	return "", false, apperr.New(apperr.Conflict, "Only a paid invoice, or one whose payment is under review, can be refunded; this one is %s.", inv.state).
		With("current_state", string(inv.state))
}

// RefundApproval is the invoice move an approved refund makes: a payment
// under review is sent back, a paid invoice's money is owed back.
func (inv *Invoice) RefundApproval() InvoiceAction {
	if inv.state == InvoiceManualReview {
		return ActRefundReviewed
	}
	return ActRequestRefund
}

// CheckAcceptReview says whether finance may accept the payment under
// review of suspended rupiah as the invoice's payment: only an invoice
// under review, and only a payment of its amount (another is refunded).
func (inv *Invoice) CheckAcceptReview(suspended int64) error {
	if _, err := NextInvoiceState(inv.state, ActAcceptReviewed, ActorFinance); err != nil {
		return apperr.New(apperr.Conflict, "Only an invoice whose payment is under review can have it accepted; this one is %s.", inv.state).
			With("current_state", string(inv.state))
	}
	if suspended != inv.amount.Amount {
		return apperr.New(apperr.Conflict, "The payment under review (%d) is not the invoice's amount (%d); refund it instead.", suspended, inv.amount.Amount).
			With("current_state", string(inv.state))
	}
	return nil
}

// AcceptedPaymentCredit is the account a payment accepted after review
// pays: the receivable while the issue is booked, or, when expiry reversed
// the issue, the revenue (a fee) or the vendor's escrow (a bid security)
// directly.
func (inv *Invoice) AcceptedPaymentCredit(issueBooked bool) Account {
	switch {
	case issueBooked:
		return AccountReceivable(inv.payer)
	case inv.purpose == PurposeBidSecurity:
		return AccountEscrow(inv.payer)
	}
	return AccountPNBPRevenue
}

// ReconcilesBy reports whether a statement line matching a payment with
// outcome moves the invoice to reconciled: a payment that paid it, while
// it is paid (a refund under way or a review stays as it is).
func (inv *Invoice) ReconcilesBy(outcome PaymentOutcome) bool {
	if outcome != OutcomePaid {
		return false
	}
	_, err := NextInvoiceState(inv.state, ActReconcile, ActorFinance)
	return err == nil
}
