package app_test

import (
	"context"
	"testing"
	"time"

	"gerbang/pkg/apperr"
	"gerbang/services/payment/internal/app"
	"gerbang/services/payment/internal/domain"
)

func TestFinanceAcceptsALatePaymentOfTheRightAmount(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	inv := f.fee(t, "APP-1", "ORG-1", 1000)
	sec := f.security(t, "TND-1", "V-1", 5000)
	f.clock.Advance(25 * time.Hour)
	if _, err := f.svc.ExpireDueInvoices(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AcceptReviewedPayment(ctx, inv.ID(), "no payment to accept"); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("accept without a reviewed payment: %v", err)
	}
	f.pay(t, inv, "GW-LATE")
	f.pay(t, sec, "GW-LATE-SEC")
	for _, i := range []*domain.Invoice{inv, sec} {
		if _, err := f.svc.AcceptReviewedPayment(ctx, i.ID(), "paid a day late; bank delay"); err != nil {
			t.Fatal(err)
		}
		if f.state(t, i.ID()) != domain.InvoicePaid {
			t.Fatalf("after acceptance: %s", f.state(t, i.ID()))
		}
	}
	if f.events(t, app.SubjectInvoicePaid) != 2 {
		t.Fatal("want a paid event per accepted invoice")
	}
	secs, _ := f.store.BidSecurities(ctx, "TND-1")
	if len(secs) != 1 || secs[0].State != domain.SecurityHeld {
		t.Fatalf("security %+v", secs)
	}
	b := f.assertLedgerBalanced(t)
	if b.Of(domain.AccountSuspense, "IDR") != 0 || b.Of(domain.AccountPNBPRevenue, "IDR") != -1000 ||
		b.Of(domain.AccountEscrow("V-1"), "IDR") != -5000 || b.Of(domain.AccountReceivable("ORG-1"), "IDR") != 0 {
		t.Fatalf("balances %v", b)
	}
}

func TestAPaymentOfTheWrongAmountCannotBeAccepted(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	inv := f.fee(t, "APP-1", "ORG-1", 1000)
	ts, sig, body := signedCallback(t, secret, f.clock.Now(), "GW-W", string(inv.BillingCode()), 999)
	if _, err := f.svc.ReceiveCallback(ctx, ts, sig, body); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.AcceptReviewedPayment(ctx, inv.ID(), "close enough")
	var ae *apperr.Error
	if !asApp(err, &ae) || ae.Code != apperr.Conflict || ae.Extra["current_state"] != "manual_review" {
		t.Fatalf("got %v", err)
	}
	if f.state(t, inv.ID()) != domain.InvoiceManualReview || f.events(t, app.SubjectInvoicePaid) != 0 {
		t.Fatal("a refused acceptance changed something")
	}
}
