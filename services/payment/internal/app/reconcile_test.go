package app_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"gerbang/pkg/apperr"
	"gerbang/services/payment/internal/domain"
)

func TestReconciliationMatchesLinesToPaymentsAndListsTheRest(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.fee(t, "APP-A", "ORG-1", 1000)
	b := f.fee(t, "APP-B", "ORG-1", 2000)
	c := f.fee(t, "APP-C", "ORG-1", 3000)
	f.pay(t, a, "GW-A")
	f.pay(t, b, "GW-B")
	f.pay(t, c, "GW-C") // not on the statement
	unpaid := f.fee(t, "APP-D", "ORG-1", 4000)
	day := f.clock.Now().Format("2006-01-02")
	csv := fmt.Sprintf("value_date,billing_code,amount,bank_reference\n%s,%s,1000,BNI-1\n%s,%s,2000,BNI-2\n%s,%s,2500,BNI-3\n%s,%s,4000,BNI-4\n",
		day, a.BillingCode(), day, b.BillingCode(), day, c.BillingCode(), day, unpaid.BillingCode())
	rep, err := f.svc.Reconcile(ctx, finance, []byte(csv))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Matched) != 2 || rep.Matched[0].LineNo != 2 || rep.Matched[1].LineNo != 3 {
		t.Fatalf("matched %+v", rep.Matched)
	}
	if len(rep.UnmatchedLines) != 2 || rep.UnmatchedLines[0].LineNo != 4 || rep.UnmatchedLines[1].LineNo != 5 {
		t.Fatalf("unmatched lines %+v", rep.UnmatchedLines)
	}
	if len(rep.UnmatchedPayments) != 1 || rep.UnmatchedPayments[0].GatewayReference != "GW-C" {
		t.Fatalf("unmatched payments %+v", rep.UnmatchedPayments)
	}
	if f.state(t, a.ID()) != domain.InvoiceReconciled || f.state(t, b.ID()) != domain.InvoiceReconciled || f.state(t, c.ID()) != domain.InvoicePaid {
		t.Fatal("matched invoices are not reconciled")
	}
	if _, err := f.svc.Reconcile(ctx, finance, []byte(csv)); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("the same statement twice: %v", err)
	}
}

func TestMalformedStatementImportsNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a := f.fee(t, "APP-A", "ORG-1", 1000)
	f.pay(t, a, "GW-A")
	before := f.snapshot(t)
	csv := fmt.Sprintf("value_date,billing_code,amount,bank_reference\n2026-11-25,%s,1000,BNI-1\n2026-11-25,%s,lots,BNI-2\n", a.BillingCode(), a.BillingCode())
	_, err := f.svc.Reconcile(ctx, finance, []byte(csv))
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.Invalid || len(ae.Fields) != 1 || ae.Fields[0].Field != "body.line[3].amount" {
		t.Fatalf("got %v", err)
	}
	if f.snapshot(t) != before || f.count(t, `SELECT count(*) FROM reconciliation`) != 0 || f.state(t, a.ID()) != domain.InvoicePaid {
		t.Fatal("a malformed statement was partly imported")
	}
}
