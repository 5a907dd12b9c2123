package domain

import (
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
)

// Account names a ledger account. Accounts of a party carry its id after a
// colon ("receivable:ORG-1"); the state's own accounts carry none.
type Account string

// The chart of accounts. Debits are positive amounts, credits negative; a
// transaction's postings sum to zero per currency.
//
//	receivable:<payer>      asset     what a payer owes on issued invoices
//	gateway_clearing        asset     money the gateway confirmed, on its way to the treasury (cash)
//	pnbp_revenue            revenue   state revenue (PNBP): fees, forfeited securities
//	bid_security_escrow:<v> liability bid securities held for vendor v
//	refunds_payable:<payer> liability refunds owed to a payer, until paid out
//	payment_suspense        liability payments under manual review (late, wrong amount, duplicate, unknown)
const (
	AccountGatewayClearing Account = "gateway_clearing"
	AccountPNBPRevenue     Account = "pnbp_revenue"
	AccountSuspense        Account = "payment_suspense"
)

func AccountReceivable(payer string) Account     { return Account("receivable:" + payer) }
func AccountEscrow(vendor string) Account        { return Account("bid_security_escrow:" + vendor) }
func AccountRefundsPayable(payer string) Account { return Account("refunds_payable:" + payer) }

// TransactionKind says which money movement a transaction books.
type TransactionKind string

const (
	TxInvoiceIssued    TransactionKind = "invoice_issued"     // Dr receivable, Cr revenue (fee) or escrow (security)
	TxPaymentReceived  TransactionKind = "payment_received"   // Dr clearing, Cr receivable
	TxPaymentSuspended TransactionKind = "payment_suspended"  // Dr clearing, Cr suspense
	TxSecurityReleased TransactionKind = "security_released"  // Dr escrow, Cr refunds payable
	TxSecurityForfeit  TransactionKind = "security_forfeited" // Dr escrow, Cr revenue
	TxRefundApproved   TransactionKind = "refund_approved"    // Dr revenue or suspense, Cr refunds payable
	TxRefundPaid       TransactionKind = "refund_paid"        // Dr refunds payable, Cr clearing
	TxPaymentAccepted  TransactionKind = "payment_accepted"   // Dr suspense, Cr receivable (or revenue / escrow after expiry)
	TxReversal         TransactionKind = "reversal"           // the negation of an earlier transaction
)

// Posting is one line of a transaction: amount debited (+) or credited (−)
// to an account.
type Posting struct {
	Account  Account `json:"account"`
	Amount   int64   `json:"amount"`
	Currency string  `json:"currency"`
}

// Transaction is one balanced money movement. Transactions are appended,
// never changed: a mistake is corrected by a reversing transaction.
type Transaction struct {
	ID        uuid.UUID
	Kind      TransactionKind
	InvoiceID uuid.UUID // the invoice it concerns
	Reverses  uuid.UUID // for a reversal: the transaction it undoes
	At        time.Time
	Postings  []Posting
}

// Balanced reports whether the postings sum to zero in every currency, with
// at least two postings and no zero line.
func (t Transaction) Balanced() error {
	if len(t.Postings) < 2 {
		return fmt.Errorf("transaction %s has %d postings: a double entry needs two or more", t.ID, len(t.Postings))
	}
	sums := map[string]int64{}
	for _, p := range t.Postings {
		if p.Amount == 0 {
			return fmt.Errorf("transaction %s posts zero to %s", t.ID, p.Account)
		}
		sums[p.Currency] += p.Amount
	}
	for cur, s := range sums {
		if s != 0 {
			return fmt.Errorf("transaction %s does not balance in %s: postings sum to %d", t.ID, cur, s)
		}
	}
	return nil
}

// newTransaction builds a two-line transaction moving m from credit to debit.
func newTransaction(kind TransactionKind, invoiceID uuid.UUID, debit, credit Account, m Money, at time.Time) (Transaction, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return Transaction{}, fmt.Errorf("new transaction id: %w", err)
	}
	return Transaction{ID: id, Kind: kind, InvoiceID: invoiceID, At: at.UTC(), Postings: []Posting{
		{Account: debit, Amount: m.Amount, Currency: m.Currency},
		{Account: credit, Amount: -m.Amount, Currency: m.Currency},
	}}, nil
}

// IssuedTransaction books an invoice as owed: the payer's receivable against
// state revenue (a fee) or the vendor's escrow (a bid security).
func IssuedTransaction(inv *Invoice, at time.Time) (Transaction, error) {
	credit := AccountPNBPRevenue
	if inv.Purpose() == PurposeBidSecurity {
		credit = AccountEscrow(inv.Payer())
	}
	return newTransaction(TxInvoiceIssued, inv.ID(), AccountReceivable(inv.Payer()), credit, inv.Amount(), at)
}

// PaymentTransaction books money confirmed by the gateway: against the
// payer's receivable when it pays the invoice, into suspense when it waits
// for review.
func PaymentTransaction(invoiceID uuid.UUID, payer string, amount Money, outcome PaymentOutcome, at time.Time) (Transaction, error) {
	if outcome == OutcomePaid {
		return newTransaction(TxPaymentReceived, invoiceID, AccountGatewayClearing, AccountReceivable(payer), amount, at)
	}
	return newTransaction(TxPaymentSuspended, invoiceID, AccountGatewayClearing, AccountSuspense, amount, at)
}

// AcceptedPaymentTransaction books a reviewed payment accepted by finance:
// out of suspense into what it pays.
func AcceptedPaymentTransaction(invoiceID uuid.UUID, credit Account, amount Money, at time.Time) (Transaction, error) {
	return newTransaction(TxPaymentAccepted, invoiceID, AccountSuspense, credit, amount, at)
}

// SecurityTransaction books a bid security's release (owed back to the
// vendor) or forfeit (state revenue).
func SecurityTransaction(s *BidSecurity, d SecurityDecision, at time.Time) (Transaction, error) {
	if d == DecisionForfeit {
		return newTransaction(TxSecurityForfeit, s.InvoiceID, AccountEscrow(s.Vendor), AccountPNBPRevenue, s.Amount, at)
	}
	return newTransaction(TxSecurityReleased, s.InvoiceID, AccountEscrow(s.Vendor), AccountRefundsPayable(s.Vendor), s.Amount, at)
}

// RefundApprovedTransaction books a refund owed: taken back from state
// revenue (a fee) or from suspense (a payment under review).
func RefundApprovedTransaction(invoiceID uuid.UUID, payer string, from Account, amount Money, at time.Time) (Transaction, error) {
	return newTransaction(TxRefundApproved, invoiceID, from, AccountRefundsPayable(payer), amount, at)
}

// RefundPaidTransaction books a refund paid out through the gateway.
func RefundPaidTransaction(invoiceID uuid.UUID, payer string, amount Money, at time.Time) (Transaction, error) {
	return newTransaction(TxRefundPaid, invoiceID, AccountRefundsPayable(payer), AccountGatewayClearing, amount, at)
}

// Reverse returns the transaction that undoes t: the same postings negated.
func Reverse(t Transaction, at time.Time) (Transaction, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return Transaction{}, fmt.Errorf("new transaction id: %w", err)
	}
	r := Transaction{ID: id, Kind: TxReversal, InvoiceID: t.InvoiceID, Reverses: t.ID, At: at.UTC(),
		Postings: make([]Posting, len(t.Postings))}
	for i, p := range t.Postings {
		r.Postings[i] = Posting{Account: p.Account, Amount: -p.Amount, Currency: p.Currency}
	}
	return r, nil
}

// Balances sums postings per account and currency.
type Balances map[Account]map[string]int64

// Add posts every line of t.
func (b Balances) Add(t Transaction) {
	for _, p := range t.Postings {
		if b[p.Account] == nil {
			b[p.Account] = map[string]int64{}
		}
		b[p.Account][p.Currency] += p.Amount
		if b[p.Account][p.Currency] == 0 {
			delete(b[p.Account], p.Currency)
			if len(b[p.Account]) == 0 {
				delete(b, p.Account)
			}
		}
	}
}

// ErrBalanceOutOfRange: an account's balance does not fit the API's int64.
// The bounds on every amount (MaxInvoiceAmount) keep it out of reach, by a
// factor of about 90,000 invoices at the largest amount.
func ErrBalanceOutOfRange(account, currency string) error {
	return apperr.New(apperr.Unprocessable, "The balance of %s in %s is beyond what the API can express; ask an operator to check the ledger.", account, currency)
}

// Totals sums the balances per currency; ok is false when a sum does not
// fit an int64.
func (b Balances) Totals() (totals map[string]int64, ok bool) {
	totals = map[string]int64{}
	for _, byCurrency := range b {
		for cur, amount := range byCurrency {
			sum, overflow := addInt64(totals[cur], amount)
			if overflow {
				return nil, false
			}
			totals[cur] = sum
		}
	}
	return totals, true
}

func addInt64(a, b int64) (int64, bool) {
	s := a + b
	return s, (b > 0 && s < a) || (b < 0 && s > a)
}

// Of returns the balance of an account in a currency.
func (b Balances) Of(a Account, currency string) int64 { return b[a][currency] }

// Accounts returns the accounts with a non-zero balance, sorted.
func (b Balances) Accounts() []Account {
	out := make([]Account, 0, len(b))
	for a := range b {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
