package domain

import (
	"errors"
	"testing"
	"time"

	"gerbang/pkg/apperr"
)

var t0 = time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)

func newTestInvoice(t *testing.T, purpose Purpose, amount int64) *Invoice {
	t.Helper()
	inv, err := NewInvoice(NewInvoiceInput{Purpose: purpose, Reference: "app-1", Payer: "ORG-1",
		Amount: IDR(amount), ExpiresAt: t0.Add(24 * time.Hour)}, t0)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func TestNewInvoiceRefusesBadInputNamingEachField(t *testing.T) {
	cases := map[string]struct {
		in    NewInvoiceInput
		field string
	}{
		"unknown purpose": {NewInvoiceInput{Purpose: "tip", Reference: "r", Payer: "p", Amount: IDR(1)}, "purpose"},
		"no reference":    {NewInvoiceInput{Purpose: PurposeOther, Reference: " ", Payer: "p", Amount: IDR(1)}, "reference"},
		"no payer":        {NewInvoiceInput{Purpose: PurposeOther, Reference: "r", Amount: IDR(1)}, "payer"},
		"zero amount":     {NewInvoiceInput{Purpose: PurposeOther, Reference: "r", Payer: "p", Amount: IDR(0)}, "amount.amount"},
		"negative amount": {NewInvoiceInput{Purpose: PurposeOther, Reference: "r", Payer: "p", Amount: IDR(-5)}, "amount.amount"},
		"other currency":  {NewInvoiceInput{Purpose: PurposeOther, Reference: "r", Payer: "p", Amount: Money{5, "USD"}}, "amount.currency"},
		"expiry in past":  {NewInvoiceInput{Purpose: PurposeOther, Reference: "r", Payer: "p", Amount: IDR(1), ExpiresAt: t0.Add(-time.Hour)}, "expires_at"},
		"expiry too far":  {NewInvoiceInput{Purpose: PurposeOther, Reference: "r", Payer: "p", Amount: IDR(1), ExpiresAt: t0.Add(100 * 24 * time.Hour)}, "expires_at"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := NewInvoice(tc.in, t0)
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.Invalid || len(ae.Fields) != 1 || ae.Fields[0].Field != tc.field {
				t.Fatalf("got %v, want invalid naming %s", err, tc.field)
			}
		})
	}
}

func TestNewInvoiceIsPendingWithDefaultExpiry(t *testing.T) {
	inv, err := NewInvoice(NewInvoiceInput{Purpose: PurposeLicenseFee, Reference: "app-9", Payer: "ORG-1", Amount: IDR(1500000)}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if inv.State() != InvoicePending || !inv.ExpiresAt().Equal(t0.Add(DefaultValidity)) || inv.BillingCode()[0] != '7' {
		t.Fatalf("got %+v", inv.Record())
	}
}

func TestPaymentOutcomeByTimingAmountAndState(t *testing.T) {
	cases := []struct {
		name      string
		state     InvoiceState
		amount    int64
		paidAt    time.Time
		outcome   PaymentOutcome
		reason    ReviewReason
		wantState InvoiceState
	}{
		{"right amount in time pays", InvoicePending, 100, t0.Add(time.Hour), OutcomePaid, ReviewNone, InvoicePaid},
		{"less is reviewed", InvoicePending, 99, t0.Add(time.Hour), OutcomeManualReview, ReviewWrongAmount, InvoiceManualReview},
		{"more is reviewed", InvoicePending, 101, t0.Add(time.Hour), OutcomeManualReview, ReviewWrongAmount, InvoiceManualReview},
		{"after expiry not yet expired by the scheduler is late", InvoicePending, 100, t0.Add(25 * time.Hour), OutcomeManualReview, ReviewLate, InvoiceManualReview},
		{"for an expired invoice is late", InvoiceExpired, 100, t0.Add(time.Hour), OutcomeManualReview, ReviewLate, InvoiceManualReview},
		{"for a cancelled invoice is late", InvoiceCancelled, 100, t0.Add(time.Hour), OutcomeManualReview, ReviewLate, InvoiceManualReview},
		{"second payment of a paid invoice is reviewed, invoice unchanged", InvoicePaid, 100, t0.Add(time.Hour), OutcomeManualReview, ReviewAlreadyPaid, InvoicePaid},
		{"payment of a refunded invoice is reviewed, invoice unchanged", InvoiceRefunded, 100, t0.Add(time.Hour), OutcomeManualReview, ReviewAlreadyPaid, InvoiceRefunded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newTestInvoice(t, PurposeLicenseFee, 100).Record()
			r.State = tc.state
			inv := UnmarshalInvoiceFromDatabase(r)
			outcome, reason, err := inv.ReceivePayment(IDR(tc.amount), tc.paidAt, tc.paidAt)
			if err != nil || outcome != tc.outcome || reason != tc.reason || inv.State() != tc.wantState {
				t.Fatalf("got %s %s %s %v; want %s %s %s", outcome, reason, inv.State(), err, tc.outcome, tc.reason, tc.wantState)
			}
		})
	}
}

// TestARequestedDeadlineIsKeptInsideTheValidity: another service's
// deadline for an invoice is taken as it is within the validity, moved to
// a minute over the shortest before it and to the longest after it, and
// always makes a valid invoice.
func TestARequestedDeadlineIsKeptInsideTheValidity(t *testing.T) {
	lo, hi := t0.Add(MinValidity+time.Minute), t0.Add(MaxValidity)
	for _, tc := range []struct {
		name           string
		requested, got time.Time
	}{
		{"in the past", t0.Add(-time.Hour), lo},
		{"now", t0, lo},
		{"just under the shortest", t0.Add(MinValidity), lo},
		{"within", t0.Add(72 * time.Hour), t0.Add(72 * time.Hour)},
		{"at the longest", hi, hi},
		{"beyond the longest", t0.Add(MaxValidity + time.Second), hi},
	} {
		got := ExpiryWithin(tc.requested, t0)
		if !got.Equal(tc.got) {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.got)
		}
		if _, err := NewInvoice(NewInvoiceInput{Purpose: PurposeBidSecurity, Reference: "r", Payer: "p", Amount: IDR(1), ExpiresAt: got}, t0); err != nil {
			t.Errorf("%s: the invoice is refused: %v", tc.name, err)
		}
	}
}
