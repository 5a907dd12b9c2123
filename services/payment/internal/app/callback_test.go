package app_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"gerbang/pkg/apperr"
	"gerbang/services/payment/internal/app"
	"gerbang/services/payment/internal/domain"
)

func TestRightPaymentInTimePaysTheInvoiceOnce(t *testing.T) {
	f := newFixture(t)
	inv := f.fee(t, "APP-1", "ORG-1", 1500000)
	res := f.pay(t, inv, "GW-1")
	if res.Outcome != domain.OutcomePaid || f.state(t, inv.ID()) != domain.InvoicePaid {
		t.Fatalf("outcome %s, state %s", res.Outcome, f.state(t, inv.ID()))
	}
	if f.events(t, app.SubjectInvoicePaid) != 1 {
		t.Fatal("want one paid event")
	}
	b := f.assertLedgerBalanced(t)
	if b.Of(domain.AccountGatewayClearing, "IDR") != 1500000 || b.Of(domain.AccountReceivable("ORG-1"), "IDR") != 0 {
		t.Fatalf("balances %v", b)
	}
}

func TestForgedStaleAndReplayedCallbacksChangeNothing(t *testing.T) {
	f := newFixture(t)
	inv := f.fee(t, "APP-1", "ORG-1", 1500000)
	code := string(inv.BillingCode())
	ctx := context.Background()

	ts, sig, body := signedCallback(t, secret, f.clock.Now(), "GW-1", code, 1500000)
	tampered := []byte(strings.Replace(string(body), "1500000", "1", 1))
	wts, wsig, wbody := signedCallback(t, []byte("not-the-secret"), f.clock.Now(), "GW-1", code, 1500000)
	sts, ssig, sbody := signedCallback(t, secret, f.clock.Now().Add(-6*time.Minute), "GW-1", code, 1500000)
	before := f.snapshot(t)
	for _, tc := range []struct {
		name    string
		ts, sig string
		body    []byte
	}{
		{"tampered body", ts, sig, tampered},
		{"wrong secret", wts, wsig, wbody},
		{"stale timestamp", sts, ssig, sbody},
		{"no signature", ts, "", body},
	} {
		if _, err := f.svc.ReceiveCallback(ctx, tc.ts, tc.sig, tc.body); !apperr.Is(err, apperr.Unauthenticated) {
			t.Fatalf("%s: %v, want unauthenticated", tc.name, err)
		}
		if after := f.snapshot(t); after != before {
			t.Fatalf("%s changed %v to %v", tc.name, before, after)
		}
	}
	if _, err := f.svc.ReceiveCallback(ctx, ts, sig, body); err != nil {
		t.Fatal(err)
	}
	paid := f.snapshot(t)
	// The same callback again (a replay inside the tolerance, or the gateway
	// retrying): accepted as a no-op.
	f.clock.Advance(time.Minute)
	res, err := f.svc.ReceiveCallback(ctx, ts, sig, body)
	if err != nil || !res.Duplicate {
		t.Fatalf("replay: %+v %v", res, err)
	}
	// The same gateway reference re-signed with another amount: still a no-op.
	rts, rsig, rbody := signedCallback(t, secret, f.clock.Now(), "GW-1", code, 99)
	if res, err := f.svc.ReceiveCallback(ctx, rts, rsig, rbody); err != nil || !res.Duplicate {
		t.Fatalf("same reference, other body: %+v %v", res, err)
	}
	if after := f.snapshot(t); after != paid {
		t.Fatalf("replay changed %v to %v", paid, after)
	}
	if f.events(t, app.SubjectInvoicePaid) != 1 {
		t.Fatal("want one paid event")
	}
}

func TestLateWrongAmountDuplicateAndUnknownPaymentsGoToManualReview(t *testing.T) {
	f := newFixture(t)
	wrong := f.fee(t, "APP-W", "ORG-1", 1000)
	late := f.fee(t, "APP-L", "ORG-1", 1000)
	expired := f.fee(t, "APP-E", "ORG-1", 1000)
	twice := f.fee(t, "APP-T", "ORG-1", 1000)
	ctx := context.Background()

	ts, sig, body := signedCallback(t, secret, f.clock.Now(), "GW-W", string(wrong.BillingCode()), 999)
	res, err := f.svc.ReceiveCallback(ctx, ts, sig, body)
	if err != nil || res.ReviewReason != domain.ReviewWrongAmount || f.state(t, wrong.ID()) != domain.InvoiceManualReview {
		t.Fatalf("wrong amount: %+v %v %s", res, err, f.state(t, wrong.ID()))
	}
	f.pay(t, twice, "GW-T1")
	if res := f.pay(t, twice, "GW-T2"); res.ReviewReason != domain.ReviewAlreadyPaid || f.state(t, twice.ID()) != domain.InvoicePaid {
		t.Fatalf("second payment: %+v", res)
	}

	f.clock.Advance(25 * time.Hour) // past expiry; the scheduler expires one of them first
	if _, err := f.svc.ExpireDueInvoices(ctx, 1); err != nil {
		t.Fatal(err)
	}
	var stillPending, nowExpired = late, expired
	if f.state(t, late.ID()) == domain.InvoiceExpired {
		stillPending, nowExpired = expired, late
	}
	for _, inv := range []*domain.Invoice{stillPending, nowExpired} {
		if res := f.pay(t, inv, "GW-"+inv.Reference()); res.ReviewReason != domain.ReviewLate || f.state(t, inv.ID()) != domain.InvoiceManualReview {
			t.Fatalf("late payment of %s: %+v, state %s", inv.Reference(), res, f.state(t, inv.ID()))
		}
	}
	ts, sig, body = signedCallback(t, secret, f.clock.Now(), "GW-U", "799999999999999", 5000)
	if res, err := f.svc.ReceiveCallback(ctx, ts, sig, body); err != nil || res.ReviewReason != domain.ReviewUnknownCode {
		t.Fatalf("unknown code: %+v %v", res, err)
	}
	if n := f.count(t, `SELECT count(*) FROM payment WHERE outcome = 'manual_review'`); n != 5 {
		t.Fatalf("%d payments in review, want 5", n)
	}
	if f.events(t, app.SubjectInvoicePaid) != 1 {
		t.Fatal("only the first payment of twice is a paid event")
	}
	b := f.assertLedgerBalanced(t)
	if got := -b.Of(domain.AccountSuspense, "IDR"); got != 999+1000+1000+1000+5000 {
		t.Fatalf("suspense %d", got)
	}
}

func TestHundredConcurrentIdenticalCallbacksMakeOnePaymentOneTransactionOneEvent(t *testing.T) {
	f := newFixture(t)
	inv := f.fee(t, "APP-1", "ORG-1", 1500000)
	ts, sig, body := signedCallback(t, secret, f.clock.Now(), "GW-RACE", string(inv.BillingCode()), 1500000)
	var wg sync.WaitGroup
	start := make(chan struct{})
	var mu sync.Mutex
	fresh := 0
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := f.svc.ReceiveCallback(context.Background(), ts, sig, body)
			if err != nil {
				t.Error(err)
				return
			}
			if !res.Duplicate {
				mu.Lock()
				fresh++
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	if fresh != 1 {
		t.Fatalf("%d callbacks were applied, want 1", fresh)
	}
	if n := f.count(t, `SELECT count(*) FROM payment`); n != 1 {
		t.Fatalf("%d payments", n)
	}
	if n := f.count(t, `SELECT count(*) FROM ledger_transaction WHERE kind = 'payment_received'`); n != 1 {
		t.Fatalf("%d payment transactions", n)
	}
	if n := f.events(t, app.SubjectInvoicePaid); n != 1 {
		t.Fatalf("%d paid events", n)
	}
	f.assertLedgerBalanced(t)
}

func TestSandboxPaysThroughTheSignedCallback(t *testing.T) {
	f := newFixture(t)
	inv := f.fee(t, "APP-1", "ORG-1", 1500000)
	ctx := context.Background()
	if _, err := f.svc.SandboxPay(ctx, business("ORG-2"), app.SandboxPay{BillingCode: inv.BillingCode()}); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("another payer: %v", err)
	}
	res, err := f.svc.SandboxPay(ctx, business("ORG-1"), app.SandboxPay{BillingCode: inv.BillingCode()})
	if err != nil || res.Result.Outcome != domain.OutcomePaid || f.state(t, inv.ID()) != domain.InvoicePaid {
		t.Fatalf("%+v %v", res, err)
	}
	var proof string
	if err := f.db.Get(&proof, `SELECT proof FROM payment WHERE gateway_reference = $1`, res.GatewayReference); err != nil || proof == "" {
		t.Fatalf("proof %q %v", proof, err)
	}
	// A gateway signing with another secret is a forger.
	other := f.fee(t, "APP-2", "ORG-1", 10)
	sts, ssig, sbody := signedCallback(t, []byte("other"), f.clock.Now(), "GW-F", string(other.BillingCode()), 10)
	if _, err := f.svc.ReceiveCallback(ctx, sts, ssig, sbody); !apperr.Is(err, apperr.Unauthenticated) {
		t.Fatalf("forged: %v", err)
	}
}
