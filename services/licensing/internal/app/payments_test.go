package app_test

import (
	"testing"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/dbx"
	"gerbang/pkg/events"
	"gerbang/services/licensing/internal/domain"
)

func TestPaymentEventsIssueOnceAndOddOnesAreRefusedOrIgnored(t *testing.T) {
	h := newHarness(t)
	b := h.business(owner, "medium", "49431")
	a := h.submitted(owner, b, "49431", 0) // SSV-ANGKUTAN, fee 750000
	if _, err := h.svc.StartReview(h.ctx, officer, a.ID, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Approve(h.ctx, officer, a.ID, 0); err != nil {
		t.Fatal(err)
	}
	paid := func(data map[string]any) error {
		ev, err := events.New("/payment", "payment.invoice.paid", "inv", data, h.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		return dbx.WithTx(h.ctx, h.db.DB, func(tx *sqlx.Tx) error { return h.svc.IssueOnPayment(h.ctx, tx, ev) })
	}
	money := func(n int64) map[string]any { return map[string]any{"amount": n, "currency": "IDR"} }
	cases := []struct {
		name      string
		data      map[string]any
		permanent bool
	}{
		{"a bid security is not licensing's", map[string]any{"purpose": "bid_security", "reference": a.ID, "amount": money(750000)}, false},
		{"an unknown application", map[string]any{"purpose": "license_fee", "reference": "0193a6f0-0000-7000-8000-000000000009", "amount": money(750000)}, true},
		{"a reference that is no id", map[string]any{"purpose": "license_fee", "reference": "x", "amount": money(750000)}, true},
		{"the wrong amount", map[string]any{"purpose": "license_fee", "reference": a.ID, "amount": money(75000)}, true},
	}
	for _, c := range cases {
		err := paid(c.data)
		if c.permanent != events.IsPermanent(err) || (!c.permanent && err != nil) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if got, _ := h.svc.Application(h.ctx, owner, a.ID); got.State != domain.StateAwaitingPayment {
		t.Fatalf("state %s after odd events; want awaiting_payment", got.State)
	}
	for range 2 { // the second payment event (another id) finds it issued
		if err := paid(map[string]any{"invoice_id": "inv-1", "purpose": "license_fee", "reference": a.ID, "amount": money(750000)}); err != nil {
			t.Fatal(err)
		}
	}
	if n := h.count(`SELECT count(*) FROM license WHERE application_id = $1`, a.ID); n != 1 {
		t.Fatalf("%d licenses", n)
	}
	got, _ := h.svc.Application(h.ctx, owner, a.ID)
	if got.State != domain.StateIssued || got.PaymentInvoiceID != "inv-1" {
		t.Fatalf("after payment: %s %q", got.State, got.PaymentInvoiceID)
	}
}
