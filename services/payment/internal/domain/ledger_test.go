package domain

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"pgregory.net/rapid"
)

// journal is an in-memory ledger: the appended transactions and balances
// kept up to date as each is appended (the "stored" balances), to be checked
// against balances derived from the postings afresh.
type journal struct {
	txs    []Transaction
	stored Balances
}

func (j *journal) append(t *rapid.T, tx Transaction, err error) {
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Balanced(); err != nil {
		t.Fatalf("unbalanced %s: %v", tx.Kind, err)
	}
	j.txs = append(j.txs, tx)
	j.stored.Add(tx)
}

func (j *journal) derived() Balances {
	b := Balances{}
	for _, tx := range j.txs {
		b.Add(tx)
	}
	return b
}

type modelInvoice struct {
	inv      *Invoice
	security *BidSecurity
	issued   Transaction
	reversed bool // the issue was reversed (expired)
}

// TestLedgerStaysBalancedOverRandomPaymentsRefundsReleasesAndForfeits runs
// random sequences of the service's money movements through the domain and
// checks after every step that each transaction balances, that balances
// derived from all postings equal the ones kept as they were appended, and
// that money is conserved where the rules say so.
func TestLedgerStaysBalancedOverRandomPaymentsRefundsReleasesAndForfeits(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		now := t0
		j := &journal{stored: Balances{}}
		var invoices []*modelInvoice
		payers := []string{"ORG-A", "ORG-B", "ORG-C"}
		pick := func(label string) *modelInvoice {
			if len(invoices) == 0 {
				return nil
			}
			return invoices[rapid.IntRange(0, len(invoices)-1).Draw(t, label)]
		}
		expectedRevenue := int64(0) // fees paid and kept + securities forfeited
		steps := rapid.IntRange(1, 60).Draw(t, "steps")
		for range steps {
			now = now.Add(time.Minute)
			switch op := rapid.SampledFrom([]string{"issue", "pay", "pay_wrong", "expire", "release", "forfeit", "refund", "complete_refund"}).Draw(t, "op"); op {
			case "issue":
				purpose := rapid.SampledFrom([]Purpose{PurposeLicenseFee, PurposeBidSecurity}).Draw(t, "purpose")
				inv, err := NewInvoice(NewInvoiceInput{Purpose: purpose, Reference: fmt.Sprint(len(invoices)),
					Payer: rapid.SampledFrom(payers).Draw(t, "payer"), Amount: IDR(rapid.Int64Range(1, 1e10).Draw(t, "amount")),
					ExpiresAt: now.Add(24 * time.Hour)}, now)
				if err != nil {
					t.Fatal(err)
				}
				m := &modelInvoice{inv: inv}
				if purpose == PurposeBidSecurity {
					if m.security, err = NewBidSecurity(inv, "T-1", inv.Payer(), now); err != nil {
						t.Fatal(err)
					}
				}
				tx, err := IssuedTransaction(inv, now)
				m.issued = tx
				j.append(t, tx, err)
				invoices = append(invoices, m)
			case "pay", "pay_wrong":
				m := pick("invoice")
				if m == nil {
					continue
				}
				amount := m.inv.Amount()
				if op == "pay_wrong" {
					amount.Amount += rapid.Int64Range(1, 1000).Draw(t, "extra")
				}
				outcome, _, err := m.inv.ReceivePayment(amount, now, now)
				if err != nil {
					t.Fatal(err)
				}
				tx, err := PaymentTransaction(m.inv.ID(), m.inv.Payer(), amount, outcome, now)
				j.append(t, tx, err)
				if outcome == OutcomePaid {
					if m.security != nil {
						if d := m.security.Hold(now); d != DecisionNone {
							tx, err := settle(m, d, now)
							j.append(t, tx, err)
						}
					} else {
						expectedRevenue += amount.Amount
					}
				}
			case "expire":
				m := pick("invoice")
				if m == nil || m.inv.Apply(ActExpire, ActorSystem, now) != nil {
					continue
				}
				tx, err := Reverse(m.issued, now)
				j.append(t, tx, err)
				m.reversed = true
			case "release", "forfeit":
				m := pick("invoice")
				if m == nil || m.security == nil {
					continue
				}
				d := DecisionRelease
				if op == "forfeit" {
					d = DecisionForfeit
				}
				if applied := m.security.Decide(d, "", now); applied != DecisionNone {
					tx, err := settle(m, applied, now)
					j.append(t, tx, err)
				}
			case "refund":
				m := pick("invoice")
				if m == nil || m.security != nil || m.inv.Apply(ActRequestRefund, ActorFinance, now) != nil {
					continue
				}
				tx, err := RefundApprovedTransaction(m.inv.ID(), m.inv.Payer(), AccountPNBPRevenue, m.inv.Amount(), now)
				j.append(t, tx, err)
				expectedRevenue -= m.inv.Amount().Amount
			case "complete_refund":
				m := pick("invoice")
				if m == nil || m.inv.Apply(ActCompleteRefund, ActorSystem, now) != nil {
					continue
				}
				tx, err := RefundPaidTransaction(m.inv.ID(), m.inv.Payer(), m.inv.Amount(), now)
				j.append(t, tx, err)
			}
			checkLedger(t, j, invoices, expectedRevenue)
		}
	})
}

func settle(m *modelInvoice, d SecurityDecision, now time.Time) (Transaction, error) {
	if d == DecisionRelease {
		if err := m.inv.Apply(ActReleaseSecurity, ActorSystem, now); err != nil {
			return Transaction{}, err
		}
	}
	return SecurityTransaction(m.security, d, now)
}

func checkLedger(t *rapid.T, j *journal, invoices []*modelInvoice, expectedRevenue int64) {
	derived := j.derived()
	if fmt.Sprint(derived) != fmt.Sprint(j.stored) {
		t.Fatalf("derived balances %v differ from stored %v", derived, j.stored)
	}
	total := int64(0)
	for _, a := range derived.Accounts() {
		total += derived.Of(a, CurrencyIDR)
	}
	if total != 0 {
		t.Fatalf("the whole ledger sums to %d", total)
	}
	// Revenue is credited (negative): issued pending fees, plus what was
	// paid and kept, plus forfeits, less refunds.
	pendingFees, forfeits := int64(0), int64(0)
	escrow := map[string]int64{}
	for _, m := range invoices {
		if m.security != nil {
			escrow[m.security.Vendor] += 0 // every vendor is checked, also those owed nothing
		}
		owed := !m.reversed && (m.inv.State() == InvoicePending || m.inv.State() == InvoiceManualReview)
		switch {
		case m.security == nil && owed:
			pendingFees += m.inv.Amount().Amount
		case m.security != nil && m.security.State == SecurityForfeited:
			forfeits += m.inv.Amount().Amount
		case m.security != nil && (owed || m.security.State == SecurityHeld):
			escrow[m.security.Vendor] += m.inv.Amount().Amount
		}
	}
	if got, want := -derived.Of(AccountPNBPRevenue, CurrencyIDR), expectedRevenue+pendingFees+forfeits; got != want {
		t.Fatalf("revenue %d, want %d", got, want)
	}
	for vendor, want := range escrow {
		if got := -derived.Of(AccountEscrow(vendor), CurrencyIDR); got != want {
			t.Fatalf("escrow of %s is %d, want %d", vendor, got, want)
		}
	}
	for _, tx := range j.txs {
		if tx.Kind == TxReversal && tx.Reverses == uuid.Nil {
			t.Fatalf("reversal %s names no transaction", tx.ID)
		}
	}
}

func TestReversalUndoesATransaction(t *testing.T) {
	inv := newTestInvoice(t, PurposeLicenseFee, 250000)
	issued, err := IssuedTransaction(inv, t0)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := Reverse(issued, t0)
	if err != nil {
		t.Fatal(err)
	}
	b := Balances{}
	b.Add(issued)
	b.Add(rev)
	if len(b) != 0 || rev.Reverses != issued.ID || rev.Balanced() != nil {
		t.Fatalf("after reversal balances %v, reverses %s", b, rev.Reverses)
	}
}

func TestUnbalancedTransactionsAreRefused(t *testing.T) {
	cases := map[string][]Posting{
		"one line":        {{"a", 5, "IDR"}},
		"sum not zero":    {{"a", 5, "IDR"}, {"b", -4, "IDR"}},
		"zero line":       {{"a", 0, "IDR"}, {"b", 0, "IDR"}},
		"across currency": {{"a", 5, "IDR"}, {"b", -5, "USD"}},
	}
	for name, ps := range cases {
		if err := (Transaction{Postings: ps}).Balanced(); err == nil {
			t.Errorf("%s: balanced", name)
		}
	}
}
