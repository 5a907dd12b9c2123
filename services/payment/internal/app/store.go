package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/audit"
	"gerbang/pkg/events"
	"gerbang/services/payment/internal/domain"
)

// Store is what the use cases need of the payment service's database: its
// reads, and InTx, which runs a change in one short transaction. The
// domain never sees the transaction.
type Store interface {
	InTx(ctx context.Context, fn func(Tx) error) error

	GetInvoice(ctx context.Context, id uuid.UUID) (*domain.Invoice, error)
	GetInvoiceByCode(ctx context.Context, code domain.BillingCode) (*domain.Invoice, error)
	ListInvoices(ctx context.Context, f InvoiceFilter) ([]*domain.Invoice, error)
	// PaymentsOf returns the payments of an invoice, or of a billing code
	// when no invoice has it.
	PaymentsOf(ctx context.Context, invoiceID uuid.UUID, billingCode string) ([]domain.Payment, error)
	// Transactions returns the ledger transactions of an invoice (all when
	// invoiceID is uuid.Nil), in order.
	Transactions(ctx context.Context, invoiceID uuid.UUID) ([]domain.Transaction, error)
	// Balances derives every account's balance from the postings.
	Balances(ctx context.Context) (domain.Balances, error)
	GetRefund(ctx context.Context, id uuid.UUID) (*domain.Refund, error)
	ListRefunds(ctx context.Context, state string, before uuid.UUID, limit int) ([]*domain.Refund, error)
	ReconciliationReport(ctx context.Context, id uuid.UUID) (Report, error)
}

// Tx is one transaction: every write of a state change, its outbox event
// and its audit record go through the same Tx. An event consumer's
// transaction is adopted as a Tx, so the inbox row commits with them.
type Tx interface {
	Enqueue(ctx context.Context, ev events.Event, aggregate string) error
	Audit(ctx context.Context, e audit.Entry) error

	// InsertInvoice stores a new invoice; when one for the same purpose and
	// reference exists it stores nothing and returns that one (created
	// false). A billing code taken by another invoice is drawn again.
	InsertInvoice(ctx context.Context, inv *domain.Invoice) (stored *domain.Invoice, created bool, err error)
	// LockInvoice and LockInvoiceByCode load an invoice FOR UPDATE.
	LockInvoice(ctx context.Context, id uuid.UUID) (*domain.Invoice, error)
	LockInvoiceByCode(ctx context.Context, code string) (*domain.Invoice, error)
	// UpdateInvoice writes the invoice's state; readVersion is the version
	// it was read at (a stale one is PreconditionFailed).
	UpdateInvoice(ctx context.Context, inv *domain.Invoice, readVersion int) error
	// DueInvoices locks up to limit invoices past their expiry at now in a
	// state they expire from (domain.ExpirableStates), skipping rows
	// another instance holds.
	DueInvoices(ctx context.Context, now time.Time, limit int) ([]*domain.Invoice, error)

	// AppendTransaction appends a balanced ledger transaction.
	AppendTransaction(ctx context.Context, lt domain.Transaction) error
	// TransactionOf returns the invoice's first transaction of kind not
	// yet reversed (NotFound when none).
	TransactionOf(ctx context.Context, invoiceID uuid.UUID, kind domain.TransactionKind) (domain.Transaction, error)

	// InsertPayment records a payment unless its gateway reference is
	// known; inserted is false for a duplicate.
	InsertPayment(ctx context.Context, p domain.Payment) (inserted bool, err error)
	// SuspendedAmount sums the payments of an invoice kept for review.
	SuspendedAmount(ctx context.Context, invoiceID uuid.UUID) (int64, error)

	InsertBidSecurity(ctx context.Context, s *domain.BidSecurity) error
	UpdateBidSecurity(ctx context.Context, s *domain.BidSecurity) error
	// LockBidSecurityOfInvoice returns the security an invoice backs,
	// locked; nil when it backs none.
	LockBidSecurityOfInvoice(ctx context.Context, invoiceID uuid.UUID) (*domain.BidSecurity, error)
	// LockBidSecurities returns the securities of a tender (of one vendor
	// when vendor is not ""), locked with their invoices, invoice first.
	LockBidSecurities(ctx context.Context, tenderID, vendor string) ([]*domain.BidSecurity, error)
	// RecordAward notes a tender's final award; false when it was noted
	// before (the first award event wins).
	RecordAward(ctx context.Context, tenderID, winner string, at time.Time) (recorded bool, err error)
	// AwardWinner returns the winner of a tender whose award is final.
	AwardWinner(ctx context.Context, tenderID string) (winner string, awarded bool, err error)

	// InsertRefund stores a new refund; an invoice with a live refund
	// refuses a second (Conflict).
	InsertRefund(ctx context.Context, r *domain.Refund) error
	UpdateRefund(ctx context.Context, r *domain.Refund) error
	LockRefund(ctx context.Context, id uuid.UUID) (*domain.Refund, error)
	// PayableRefunds locks up to limit refunds in a state they are paid
	// out from (domain.PayableRefundStates), skipping those another
	// instance holds.
	PayableRefunds(ctx context.Context, limit int) ([]*domain.Refund, error)

	// InsertReconciliation starts a statement import; a file imported
	// before is refused (Conflict).
	InsertReconciliation(ctx context.Context, id uuid.UUID, by, sha string, at time.Time) error
	// MatchPayment finds and locks the oldest payment of this billing code
	// and amount that no statement line has matched, nor any of except
	// (the payments this import matched already); nil when none.
	MatchPayment(ctx context.Context, code string, amount int64, except []uuid.UUID) (*MatchedPayment, error)
	// InsertStatementLines stores a statement's lines, matched or not, in
	// one statement.
	InsertStatementLines(ctx context.Context, reconciliationID uuid.UUID, lines []StatementMatch) error
}

// InvoiceFilter selects a page of invoices, newest first.
type InvoiceFilter struct {
	Payer  string    // only this payer's; "" for all
	State  string    // only in this state; "" for all
	Before uuid.UUID // keyset cursor: ids below this one; uuid.Nil for the first page
	Limit  int
}

// MatchedPayment is a payment a statement line matched.
type MatchedPayment struct {
	PaymentID uuid.UUID
	InvoiceID uuid.UUID // uuid.Nil for a payment of an unknown billing code
	Outcome   domain.PaymentOutcome
}

// StatementMatch is a statement line and the payment it matched
// (uuid.Nil: none).
type StatementMatch struct {
	Line      domain.StatementLine
	PaymentID uuid.UUID
}
