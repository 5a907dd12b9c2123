package app_test

import (
	"context"
	"testing"
	"time"

	"gerbang/pkg/apperr"
	"gerbang/services/payment/internal/app"
	"gerbang/services/payment/internal/domain"
)

func TestRefundNeedsTwoFinanceOfficersThenIsPaidOut(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	inv := f.fee(t, "APP-1", "ORG-1", 1500000)
	if _, err := f.svc.RequestRefund(ctx, finance, inv.ID(), "not paid yet"); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("refund of a pending invoice: %v", err)
	}
	f.pay(t, inv, "GW-1")
	r, err := f.svc.RequestRefund(ctx, finance, inv.ID(), "application withdrawn after payment")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RequestRefund(ctx, finance2, inv.ID(), "again"); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("second refund of one invoice: %v", err)
	}
	if _, err := f.svc.DecideRefund(ctx, finance, r.ID, true, ""); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("approval by the requester: %v", err)
	}
	if f.state(t, inv.ID()) != domain.InvoicePaid {
		t.Fatal("a refused approval moved the invoice")
	}
	if n, _ := f.svc.PayOutRefunds(ctx, 10); n != 0 {
		t.Fatal("an unapproved refund was paid out")
	}
	if _, err := f.svc.DecideRefund(ctx, finance2, r.ID, true, "checked"); err != nil {
		t.Fatal(err)
	}
	if f.state(t, inv.ID()) != domain.InvoiceRefundPending {
		t.Fatalf("after approval: %s", f.state(t, inv.ID()))
	}
	if _, err := f.svc.DecideRefund(ctx, finance2, r.ID, false, "changed my mind"); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("reject after approval: %v", err)
	}
	if n, err := f.svc.PayOutRefunds(ctx, 10); n != 1 || err != nil {
		t.Fatalf("payout %d, %v", n, err)
	}
	if n, _ := f.svc.PayOutRefunds(ctx, 10); n != 0 {
		t.Fatal("paid out twice")
	}
	if f.state(t, inv.ID()) != domain.InvoiceRefunded || f.events(t, app.SubjectRefundCompleted) != 1 {
		t.Fatalf("after payout: %s, %d events", f.state(t, inv.ID()), f.events(t, app.SubjectRefundCompleted))
	}
	b := f.assertLedgerBalanced(t)
	if b.Of(domain.AccountPNBPRevenue, "IDR") != 0 || b.Of(domain.AccountGatewayClearing, "IDR") != 0 || b.Of(domain.AccountRefundsPayable("ORG-1"), "IDR") != 0 {
		t.Fatalf("after a full refund the books are not back to zero: %v", b)
	}
}

func TestRejectedRefundLeavesTheInvoicePaid(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	inv := f.fee(t, "APP-1", "ORG-1", 100)
	f.pay(t, inv, "GW-1")
	r, err := f.svc.RequestRefund(ctx, finance, inv.ID(), "asked by payer")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.DecideRefund(ctx, finance, r.ID, false, "self"); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("rejection by the requester: %v", err)
	}
	if _, err := f.svc.DecideRefund(ctx, finance2, r.ID, false, "fee is due"); err != nil {
		t.Fatal(err)
	}
	if f.state(t, inv.ID()) != domain.InvoicePaid {
		t.Fatal("rejection moved the invoice")
	}
	// A new request may follow a rejected one.
	if _, err := f.svc.RequestRefund(ctx, finance2, inv.ID(), "new evidence"); err != nil {
		t.Fatal(err)
	}
}

func TestWrongAmountPaymentIsRefundedFromSuspense(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	inv := f.fee(t, "APP-1", "ORG-1", 1000)
	ts, sig, body := signedCallback(t, secret, f.clock.Now(), "GW-W", string(inv.BillingCode()), 900)
	if _, err := f.svc.ReceiveCallback(ctx, ts, sig, body); err != nil {
		t.Fatal(err)
	}
	r, err := f.svc.RequestRefund(ctx, finance, inv.ID(), "wrong amount; payer will pay again")
	if err != nil || r.Amount.Amount != 900 {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := f.svc.DecideRefund(ctx, finance2, r.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.PayOutRefunds(ctx, 10); err != nil {
		t.Fatal(err)
	}
	b := f.assertLedgerBalanced(t)
	for _, a := range []domain.Account{domain.AccountSuspense, domain.AccountGatewayClearing, domain.AccountPNBPRevenue, domain.AccountReceivable("ORG-1")} {
		if b.Of(a, "IDR") != 0 {
			t.Fatalf("%s is %d after refunding the wrong payment: %v", a, b.Of(a, "IDR"), b)
		}
	}
}

func TestReleasedBidSecurityIsPaidBackByRule(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	inv := f.security(t, "TND-1", "LOSE", 5000)
	f.pay(t, inv, "GW-1")
	if _, err := f.svc.RequestRefund(ctx, finance, inv.ID(), "please"); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("refund request of a bid security: %v", err)
	}
	if err := f.store.InTx(ctx, func(tx app.Tx) error { return f.svc.AwardFinalised(ctx, tx, "TND-1", "WIN") }); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	if n, err := f.svc.PayOutRefunds(ctx, 10); n != 1 || err != nil {
		t.Fatalf("payout %d %v", n, err)
	}
	if f.state(t, inv.ID()) != domain.InvoiceRefunded || f.events(t, app.SubjectRefundCompleted) != 1 {
		t.Fatalf("state %s", f.state(t, inv.ID()))
	}
	b := f.assertLedgerBalanced(t)
	if len(b) != 0 {
		t.Fatalf("after release and payout the books should be empty: %v", b)
	}
}
