package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"pgregory.net/rapid"

	"gerbang/services/payment/internal/app"
	"gerbang/services/payment/internal/domain"
)

// TestLedgerInPostgresStaysBalancedOverRandomOperations drives the real use
// cases against PostgreSQL with random sequences of invoices, payments
// (right and wrong amounts), expiries, awards, forfeits, refunds (four
// eyes) and payouts, each run with its own payers and tender, and checks
// after every run that:
//   - every stored transaction balances, and the balances PostgreSQL
//     derives from the postings equal those replayed from the stored
//     transactions;
//   - per invoice, the receivable and escrow postings match its state;
//   - gateway clearing moved by what was paid in less what was paid out;
//   - every settled security was released or forfeited exactly once.
func TestLedgerInPostgresStaysBalancedOverRandomOperations(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		run := uuid.NewString()[:8]
		payers := []string{"P1-" + run, "P2-" + run}
		tender := "T-" + run
		clearingBefore := f.balance(rt, domain.AccountGatewayClearing)
		var invoices []*domain.Invoice
		paidIn, paidOut := int64(0), int64(0)
		pick := func() *domain.Invoice {
			if len(invoices) == 0 {
				return nil
			}
			return invoices[rapid.IntRange(0, len(invoices)-1).Draw(rt, "invoice")]
		}
		for i := range rapid.IntRange(1, 14).Draw(rt, "steps") {
			switch op := rapid.SampledFrom([]string{"fee", "security", "pay", "pay_wrong", "expire", "award", "forfeit", "refund", "payout"}).Draw(rt, "op"); op {
			case "fee", "security":
				payer := rapid.SampledFrom(payers).Draw(rt, "payer")
				amount := rapid.Int64Range(1, 1e9).Draw(rt, "amount")
				var inv *domain.Invoice
				if op == "fee" {
					inv = f.fee(t, fmt.Sprintf("%s-%d", run, i), payer, amount)
				} else {
					inv = f.security(t, tender, payer, amount)
				}
				invoices = append(invoices, inv)
			case "pay", "pay_wrong":
				inv := pick()
				if inv == nil {
					continue
				}
				amount := inv.Amount().Amount
				if op == "pay_wrong" {
					amount++
				}
				ts, sig, body := signedCallback(t, secret, f.clock.Now(), fmt.Sprintf("GW-%s-%d", run, i), string(inv.BillingCode()), amount)
				if _, err := f.svc.ReceiveCallback(ctx, ts, sig, body); err != nil {
					rt.Fatal(err)
				}
				paidIn += amount
			case "expire":
				f.clock.Advance(25 * time.Hour)
				if _, err := f.svc.ExpireDueInvoices(ctx, 1000); err != nil {
					rt.Fatal(err)
				}
			case "award":
				winner := rapid.SampledFrom(payers).Draw(rt, "winner")
				if err := f.store.InTx(ctx, func(tx app.Tx) error { return f.svc.AwardFinalised(ctx, tx, tender, winner) }); err != nil {
					rt.Fatal(err)
				}
			case "forfeit":
				vendor := rapid.SampledFrom(payers).Draw(rt, "vendor")
				err := f.store.InTx(ctx, func(tx app.Tx) error { return f.svc.ForfeitBidSecurity(ctx, tx, tender, vendor, "rule") })
				if err != nil && !isUnknownSecurity(err) {
					rt.Fatal(err)
				}
			case "refund":
				inv := pick()
				if inv == nil {
					continue
				}
				r, err := f.svc.RequestRefund(ctx, finance, inv.ID(), "random refund")
				if err != nil {
					continue // not refundable in its state: refused, nothing written
				}
				if _, err := f.svc.DecideRefund(ctx, finance2, r.ID, true, ""); err != nil {
					rt.Fatal(err)
				}
			case "payout":
				before := f.balance(rt, domain.AccountGatewayClearing)
				if _, err := f.svc.PayOutRefunds(ctx, 1000); err != nil {
					rt.Fatal(err)
				}
				paidOut += before - f.balance(rt, domain.AccountGatewayClearing)
			}
		}
		b := f.assertLedgerBalanced(t)
		if got := b.Of(domain.AccountGatewayClearing, "IDR") - clearingBefore; got != paidIn-paidOut {
			rt.Fatalf("clearing moved %d, want %d in - %d out", got, paidIn, paidOut)
		}
		for _, inv := range invoices {
			f.checkInvoicePostings(rt, inv)
		}
	})
}

func isUnknownSecurity(err error) bool { return err != nil && errorsIs(err, appErrSecurityUnknown) }

func (f *fixture) balance(rt *rapid.T, a domain.Account) int64 {
	b, err := f.store.Balances(context.Background())
	if err != nil {
		rt.Fatal(err)
	}
	return b.Of(a, "IDR")
}

// checkInvoicePostings checks an invoice's receivable and escrow postings
// against its state, and its security's settlement events.
func (f *fixture) checkInvoicePostings(rt *rapid.T, inv *domain.Invoice) {
	stored, err := f.store.GetInvoice(context.Background(), inv.ID())
	if err != nil {
		rt.Fatal(err)
	}
	txs, err := f.store.Transactions(context.Background(), inv.ID())
	if err != nil {
		rt.Fatal(err)
	}
	b := domain.Balances{}
	for _, tx := range txs {
		b.Add(tx)
	}
	issueReversed := false
	for _, tx := range txs {
		issueReversed = issueReversed || tx.Kind == domain.TxReversal
	}
	owed := int64(0)
	if stored.State() == domain.InvoicePending || (stored.State() == domain.InvoiceManualReview && !issueReversed) {
		owed = inv.Amount().Amount
	}
	if got := b.Of(domain.AccountReceivable(inv.Payer()), "IDR"); got != owed {
		rt.Fatalf("invoice %s (%s): receivable %d, want %d", inv.Reference(), stored.State(), got, owed)
	}
	if inv.Purpose() != domain.PurposeBidSecurity {
		return
	}
	secs, err := f.store.BidSecurities(context.Background(), inv.Record().Reference[:len(inv.Record().Reference)-len(inv.Payer())-1])
	if err != nil {
		rt.Fatal(err)
	}
	var sec *domain.BidSecurity
	for _, s := range secs {
		if s.InvoiceID == inv.ID() {
			sec = s
		}
	}
	if sec == nil {
		rt.Fatalf("no security for invoice %s", inv.ID())
	}
	held := int64(0)
	if sec.State == domain.SecurityHeld || (sec.State == domain.SecurityAwaitingPayment && !issueReversed) {
		held = -inv.Amount().Amount
	}
	if got := b.Of(domain.AccountEscrow(inv.Payer()), "IDR"); got != held {
		rt.Fatalf("security %s (%s, invoice %s): escrow %d, want %d", sec.ID, sec.State, stored.State(), got, held)
	}
	moves := 0
	for _, tx := range txs {
		if tx.Kind == domain.TxSecurityReleased || tx.Kind == domain.TxSecurityForfeit {
			moves++
		}
	}
	if want := map[bool]int{true: 1, false: 0}[sec.Settled()]; moves != want {
		rt.Fatalf("security %s (%s): %d settlements", sec.ID, sec.State, moves)
	}
}
