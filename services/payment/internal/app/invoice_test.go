package app_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"gerbang/pkg/apperr"
	"gerbang/services/payment/internal/app"
	"gerbang/services/payment/internal/domain"
)

func TestSameRequestTwiceMakesOneInvoice(t *testing.T) {
	f := newFixture(t)
	cmd := app.CreateInvoice{Purpose: domain.PurposeLicenseFee, Reference: "APP-1", Payer: "ORG-1", Amount: domain.IDR(1500000)}
	var wg sync.WaitGroup
	ids := make(chan string, 10)
	created := make(chan bool, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inv, c, err := f.svc.CreateInvoice(context.Background(), cmd)
			if err != nil {
				t.Error(err)
				return
			}
			ids <- inv.ID().String()
			created <- c
		}()
	}
	wg.Wait()
	close(ids)
	close(created)
	distinct := map[string]bool{}
	for id := range ids {
		distinct[id] = true
	}
	creations := 0
	for c := range created {
		if c {
			creations++
		}
	}
	if len(distinct) != 1 || creations != 1 {
		t.Fatalf("%d invoices, %d creations; want 1 and 1", len(distinct), creations)
	}
	if n := f.count(t, `SELECT count(*) FROM invoice`); n != 1 {
		t.Fatalf("%d invoice rows", n)
	}
	if n := f.events(t, app.SubjectInvoiceIssued); n != 1 {
		t.Fatalf("%d issued events", n)
	}
	if n := f.count(t, `SELECT count(*) FROM ledger_transaction WHERE kind = 'invoice_issued'`); n != 1 {
		t.Fatalf("%d issue transactions", n)
	}
	if n := f.count(t, `SELECT count(*) FROM audit_record WHERE action = 'invoice.issue'`); n != 1 {
		t.Fatalf("%d audit records", n)
	}
	f.assertLedgerBalanced(t)
}

func TestIssuedInvoiceHasAValidBillingCodeAndBooksTheReceivable(t *testing.T) {
	f := newFixture(t)
	inv := f.fee(t, "APP-2", "ORG-1", 250000)
	if _, err := domain.ParseBillingCode(string(inv.BillingCode()), "code"); err != nil {
		t.Fatal(err)
	}
	b := f.assertLedgerBalanced(t)
	if b.Of(domain.AccountReceivable("ORG-1"), "IDR") != 250000 || b.Of(domain.AccountPNBPRevenue, "IDR") != -250000 {
		t.Fatalf("balances %v", b)
	}
}

func TestInvalidInvoiceIsRefusedAndNothingWritten(t *testing.T) {
	f := newFixture(t)
	_, _, err := f.svc.CreateInvoice(context.Background(), app.CreateInvoice{Purpose: domain.PurposeLicenseFee, Reference: "R", Payer: "ORG-1", Amount: domain.IDR(-1)})
	if !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("got %v", err)
	}
	_, _, err = f.svc.CreateInvoice(context.Background(), app.CreateInvoice{Purpose: domain.PurposeBidSecurity, Reference: "R", Payer: "ORG-1", Amount: domain.IDR(5)})
	if !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("bid security without tender: got %v", err)
	}
	if f.snapshot(t) != [5]int{} {
		t.Fatalf("something was written: %v", f.snapshot(t))
	}
}

func TestPayerSeesOnlyOwnInvoicesFinanceAndAuditorsAll(t *testing.T) {
	f := newFixture(t)
	mine := f.fee(t, "APP-A", "ORG-A", 100)
	theirs := f.fee(t, "APP-B", "ORG-B", 100)
	ctx := context.Background()
	if _, err := f.svc.GetInvoice(ctx, business("ORG-A"), mine.ID()); err != nil {
		t.Fatalf("own invoice: %v", err)
	}
	if _, err := f.svc.GetInvoice(ctx, business("ORG-A"), theirs.ID()); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("another's invoice: %v, want not found", err)
	}
	for _, p := range []struct {
		name string
		want int
		page func() (app.InvoicePage, error)
	}{
		{"business", 1, func() (app.InvoicePage, error) { return f.svc.ListInvoices(ctx, business("ORG-A"), app.ListInvoices{}) }},
		{"finance", 2, func() (app.InvoicePage, error) { return f.svc.ListInvoices(ctx, finance, app.ListInvoices{}) }},
		{"auditor", 2, func() (app.InvoicePage, error) { return f.svc.ListInvoices(ctx, auditor, app.ListInvoices{}) }},
	} {
		page, err := p.page()
		if err != nil || len(page.Items) != p.want {
			t.Fatalf("%s sees %d (%v), want %d", p.name, len(page.Items), err, p.want)
		}
	}
	for _, p := range []string{"finance", "auditor"} {
		who := finance
		if p == "auditor" {
			who = auditor
		}
		if _, err := f.svc.GetInvoice(ctx, who, theirs.ID()); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
}

func TestListInvoicesPagesWithACursor(t *testing.T) {
	f := newFixture(t)
	for i := range 5 {
		f.fee(t, "APP-"+itoa(int64(i)), "ORG-1", 100)
	}
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		page, err := f.svc.ListInvoices(context.Background(), finance, app.ListInvoices{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, inv := range page.Items {
			seen[inv.ID().String()] = true
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
		if pages > 5 {
			t.Fatal("cursor does not end")
		}
	}
	if len(seen) != 5 {
		t.Fatalf("saw %d invoices across pages", len(seen))
	}
}

func TestExpirySchedulerOnTwoInstancesExpiresEachDueInvoiceOnce(t *testing.T) {
	f := newFixture(t)
	const n = 40
	for i := range n {
		f.fee(t, "APP-"+itoa(int64(i)), "ORG-1", 1000)
	}
	paid := f.fee(t, "APP-PAID", "ORG-1", 1000)
	f.pay(t, paid, "GW-PAID")
	// Not due yet: nothing happens.
	if got, err := f.svc.ExpireDueInvoices(context.Background(), 100); err != nil || got != 0 {
		t.Fatalf("expired %d before the deadline (%v)", got, err)
	}
	f.clock.Advance(25 * time.Hour)
	// A second instance: the same service code on its own store.
	other := app.New(app.Config{Store: f.store, Clock: f.clock, GatewaySecret: secret})
	var wg sync.WaitGroup
	totals := make([]int, 2)
	for i, s := range []*app.Service{f.svc, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k, err := s.ExpireDueInvoices(context.Background(), 3)
				if err != nil {
					t.Error(err)
					return
				}
				if k == 0 {
					return
				}
				totals[i] += k
			}
		}()
	}
	wg.Wait()
	if totals[0]+totals[1] != n {
		t.Fatalf("instances expired %v, want %d in total", totals, n)
	}
	if got := f.count(t, `SELECT count(*) FROM invoice WHERE state = 'expired'`); got != n {
		t.Fatalf("%d expired", got)
	}
	if got := f.events(t, app.SubjectInvoiceExpired); got != n {
		t.Fatalf("%d expired events", got)
	}
	if got := f.count(t, `SELECT count(*) FROM ledger_transaction WHERE kind = 'reversal'`); got != n {
		t.Fatalf("%d reversals", got)
	}
	if f.state(t, paid.ID()) != domain.InvoicePaid {
		t.Fatal("a paid invoice was expired")
	}
	b := f.assertLedgerBalanced(t)
	if b.Of(domain.AccountReceivable("ORG-1"), "IDR") != 0 || b.Of(domain.AccountPNBPRevenue, "IDR") != -1000 {
		t.Fatalf("after expiry balances %v", b)
	}
}

func TestCancelOnlyAPendingInvoice(t *testing.T) {
	f := newFixture(t)
	inv := f.fee(t, "APP-C", "ORG-1", 100)
	if _, err := f.svc.CancelInvoice(context.Background(), inv.ID(), "issued by mistake"); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.CancelInvoice(context.Background(), inv.ID(), "again")
	var ae *apperr.Error
	if !apperr.Is(err, apperr.Conflict) || !asApp(err, &ae) || ae.Extra["current_state"] != "cancelled" {
		t.Fatalf("second cancel: %v", err)
	}
	if f.events(t, app.SubjectInvoiceCancelled) != 1 {
		t.Fatal("want one cancelled event")
	}
	f.assertLedgerBalanced(t)
}
