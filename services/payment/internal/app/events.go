package app

import (
	"time"

	"gerbang/services/payment/internal/domain"
)

// Source is the CloudEvents source of the service's events.
const Source = "/payment"

// The subjects (CloudEvents types) of the events the payment service
// publishes; every one has its schema in api/events/<subject>.json.
const (
	SubjectInvoiceIssued       = "payment.invoice.issued"
	SubjectInvoicePaid         = "payment.invoice.paid"
	SubjectInvoiceExpired      = "payment.invoice.expired"
	SubjectInvoiceCancelled    = "payment.invoice.cancelled"
	SubjectBidSecurityReleased = "payment.bid_security.released"
	SubjectBidSecurityForfeit  = "payment.bid_security.forfeited"
	SubjectRefundCompleted     = "payment.refund.completed"
)

// Subjects lists every subject the service publishes.
func Subjects() []string {
	return []string{SubjectInvoiceIssued, SubjectInvoicePaid, SubjectInvoiceExpired, SubjectInvoiceCancelled,
		SubjectBidSecurityReleased, SubjectBidSecurityForfeit, SubjectRefundCompleted}
}

// Event is the data of one event the service publishes; its type names its
// subject.
type Event interface{ Subject() string }

// Money is an amount of whole rupiah, as events carry it.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

func money(m domain.Money) Money { return Money{Amount: m.Amount, Currency: m.Currency} }

// EventInvoice is what every payment.invoice.* event says of its invoice.
type EventInvoice struct {
	InvoiceID   string    `json:"invoice_id"`
	BillingCode string    `json:"billing_code"`
	Purpose     string    `json:"purpose"`
	Reference   string    `json:"reference"`
	Payer       string    `json:"payer"`
	Amount      Money     `json:"amount"`
	State       string    `json:"state"`
	ExpiresAt   time.Time `json:"expires_at"`
}

func invoiceOf(inv *domain.Invoice) EventInvoice {
	return EventInvoice{InvoiceID: inv.ID().String(), BillingCode: string(inv.BillingCode()), Purpose: string(inv.Purpose()),
		Reference: inv.Reference(), Payer: inv.Payer(), Amount: money(inv.Amount()), State: string(inv.State()), ExpiresAt: inv.ExpiresAt()}
}

// InvoiceIssued is the data of payment.invoice.issued; a bid security's
// names its tender.
type InvoiceIssued struct {
	EventInvoice
	TenderID string `json:"tender_id,omitempty"`
}

// InvoicePaid is the data of payment.invoice.paid: the payment that paid
// it, when it was a gateway's confirmation (not a review accepted).
type InvoicePaid struct {
	EventInvoice
	PaymentID string     `json:"payment_id,omitempty"`
	PaidAt    *time.Time `json:"paid_at,omitempty"`
	Proof     string     `json:"proof,omitempty"`
}

// InvoiceExpired is the data of payment.invoice.expired.
type InvoiceExpired struct{ EventInvoice }

// InvoiceCancelled is the data of payment.invoice.cancelled.
type InvoiceCancelled struct{ EventInvoice }

// EventBidSecurity is what payment.bid_security.* events say of a security.
type EventBidSecurity struct {
	BidSecurityID string `json:"bid_security_id"`
	InvoiceID     string `json:"invoice_id"`
	TenderID      string `json:"tender_id"`
	Vendor        string `json:"vendor"`
	Amount        Money  `json:"amount"`
	Reason        string `json:"reason,omitempty"`
}

func bidSecurityOf(s *domain.BidSecurity) EventBidSecurity {
	return EventBidSecurity{BidSecurityID: s.ID.String(), InvoiceID: s.InvoiceID.String(), TenderID: s.TenderID,
		Vendor: s.Vendor, Amount: money(s.Amount), Reason: s.Reason}
}

// BidSecurityReleased is the data of payment.bid_security.released.
type BidSecurityReleased struct{ EventBidSecurity }

// BidSecurityForfeited is the data of payment.bid_security.forfeited.
type BidSecurityForfeited struct{ EventBidSecurity }

// RefundCompleted is the data of payment.refund.completed.
type RefundCompleted struct {
	RefundID    string    `json:"refund_id"`
	InvoiceID   string    `json:"invoice_id"`
	BillingCode string    `json:"billing_code"`
	Purpose     string    `json:"purpose"`
	Reference   string    `json:"reference"`
	Payer       string    `json:"payer"`
	Amount      Money     `json:"amount"`
	Reason      string    `json:"reason"`
	CompletedAt time.Time `json:"completed_at"`
}

func (InvoiceIssued) Subject() string        { return SubjectInvoiceIssued }
func (InvoicePaid) Subject() string          { return SubjectInvoicePaid }
func (InvoiceExpired) Subject() string       { return SubjectInvoiceExpired }
func (InvoiceCancelled) Subject() string     { return SubjectInvoiceCancelled }
func (BidSecurityReleased) Subject() string  { return SubjectBidSecurityReleased }
func (BidSecurityForfeited) Subject() string { return SubjectBidSecurityForfeit }
func (RefundCompleted) Subject() string      { return SubjectRefundCompleted }
