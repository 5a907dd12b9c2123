package app_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"gerbang/services/payment/internal/app"
	"gerbang/services/payment/internal/domain"
)

// TestBidSecuritiesAreReleasedOrForfeitedExactlyOnceWhateverTheOrderOfEvents
// plays the events of one tender (the loser's security requested and paid,
// the award finalised, a forfeit requested) in every order, with
// duplicates, and checks that the loser's security ends released or
// forfeited exactly once, with one event and one ledger transaction, and
// the winner's stays held.
func TestBidSecuritiesAreReleasedOrForfeitedExactlyOnceWhateverTheOrderOfEvents(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cases := []struct {
		steps string
		want  domain.BidSecurityState
	}{
		{"request,pay,award", domain.SecurityReleased},
		{"request,award,pay", domain.SecurityReleased},
		{"award,request,pay", domain.SecurityReleased},
		{"request,pay,forfeit", domain.SecurityForfeited},
		{"request,forfeit,pay", domain.SecurityForfeited},
		{"request,pay,award,forfeit", domain.SecurityReleased},
		{"request,pay,forfeit,award", domain.SecurityForfeited},
		{"request,award,forfeit,pay", domain.SecurityReleased},
		{"request,forfeit,award,pay", domain.SecurityForfeited},
		{"award,request,forfeit,pay", domain.SecurityReleased},
		{"request,pay,award,award,forfeit,award", domain.SecurityReleased},
		{"request,request,pay,pay,forfeit,forfeit,award,award", domain.SecurityForfeited},
		{"request,pay", domain.SecurityHeld},
		{"request,award", domain.SecurityAwaitingPayment},
	}
	for i, tc := range cases {
		t.Run(tc.steps, func(t *testing.T) {
			tender := fmt.Sprintf("TND-%d", i)
			var loser *domain.Invoice
			winner := f.security(t, tender, "WINNER", 7000)
			f.pay(t, winner, tender+"-W")
			payments := 0
			for _, step := range strings.Split(tc.steps, ",") {
				var err error
				switch step {
				case "request":
					loser = f.security(t, tender, "LOSER", 5000)
				case "pay":
					payments++
					f.pay(t, loser, fmt.Sprintf("%s-L%d", tender, payments))
				case "award":
					err = f.store.InTx(ctx, func(tx app.Tx) error { return f.svc.AwardFinalised(ctx, tx, tender, "WINNER") })
				case "forfeit":
					err = f.store.InTx(ctx, func(tx app.Tx) error {
						return f.svc.ForfeitBidSecurity(ctx, tx, tender, "LOSER", "withdrew after the opening")
					})
				}
				if err != nil {
					t.Fatalf("%s: %v", step, err)
				}
			}
			secs, err := f.store.BidSecurities(ctx, tender)
			if err != nil || len(secs) != 2 {
				t.Fatalf("%d securities, %v", len(secs), err)
			}
			for _, s := range secs {
				want := tc.want
				if s.Vendor == "WINNER" {
					want = domain.SecurityHeld
				}
				if s.State != want {
					t.Fatalf("%s's security is %s, want %s", s.Vendor, s.State, want)
				}
			}
			released := f.count(t, `SELECT count(*) FROM outbox WHERE type = $1 AND aggregate = $2`, app.SubjectBidSecurityReleased, "invoice:"+loser.ID().String())
			forfeited := f.count(t, `SELECT count(*) FROM outbox WHERE type = $1 AND aggregate = $2`, app.SubjectBidSecurityForfeit, "invoice:"+loser.ID().String())
			moves := f.count(t, `SELECT count(*) FROM ledger_transaction WHERE invoice_id = $1 AND kind IN ('security_released', 'security_forfeited')`, loser.ID())
			settled := tc.want == domain.SecurityReleased || tc.want == domain.SecurityForfeited
			if settled && (released+forfeited != 1 || moves != 1) || !settled && released+forfeited+moves != 0 {
				t.Fatalf("released %d, forfeited %d events, %d ledger moves", released, forfeited, moves)
			}
			if tc.want == domain.SecurityReleased && f.state(t, loser.ID()) != domain.InvoiceRefundPending {
				t.Fatalf("released security's invoice is %s", f.state(t, loser.ID()))
			}
		})
	}
	b := f.assertLedgerBalanced(t)
	// Escrow still holds the two unsettled securities of the loser (held, and
	// awaiting payment) and every winner's.
	if got := b.Of(domain.AccountEscrow("LOSER"), "IDR"); got != -2*5000 {
		t.Fatalf("loser escrow %d", got)
	}
	if got := b.Of(domain.AccountEscrow("WINNER"), "IDR"); got != -int64(len(cases))*7000 {
		t.Fatalf("winner escrow %d", got)
	}
}

func TestForfeitOfAnUnknownSecurityIsRetriedLater(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	err := f.store.InTx(ctx, func(tx app.Tx) error { return f.svc.ForfeitBidSecurity(ctx, tx, "TND-X", "V", "r") })
	if !errors.Is(err, app.ErrSecurityUnknown) {
		t.Fatalf("got %v", err)
	}
}

func TestPaymentsRacingTheAwardSettleEverySecurityOnceWithoutDeadlock(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const n = 20
	var invs []*domain.Invoice
	for i := range n {
		invs = append(invs, f.security(t, "TND-RACE", fmt.Sprintf("V-%02d", i), 1000))
	}
	errs := make(chan error, n+1)
	var wg sync.WaitGroup
	for i, inv := range invs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts, sig, body := signedCallback(t, secret, f.clock.Now(), fmt.Sprintf("GW-RACE-%d", i), string(inv.BillingCode()), 1000)
			_, err := f.svc.ReceiveCallback(ctx, ts, sig, body)
			errs <- err
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		errs <- f.store.InTx(ctx, func(tx app.Tx) error { return f.svc.AwardFinalised(ctx, tx, "TND-RACE", "V-00") })
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	secs, err := f.store.BidSecurities(ctx, "TND-RACE")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secs {
		want := domain.SecurityReleased
		if s.Vendor == "V-00" {
			want = domain.SecurityHeld
		}
		if s.State != want {
			t.Fatalf("%s: %s, want %s", s.Vendor, s.State, want)
		}
	}
	if got := f.count(t, `SELECT count(*) FROM ledger_transaction WHERE kind = 'security_released'`); got != n-1 {
		t.Fatalf("%d releases booked, want %d", got, n-1)
	}
	f.assertLedgerBalanced(t)
}
