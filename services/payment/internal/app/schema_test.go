package app_test

import (
	"context"
	"testing"
	"time"

	"gerbang/pkg/eventschema"
	"gerbang/services/payment/internal/app"
)

// TestPublishedEventsMatchTheirSchemas produces an event of every subject
// the service publishes (app.Subjects) and validates each outbox row's
// data against api/events/<type>.json.
func TestPublishedEventsMatchTheirSchemas(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	paid := f.fee(t, "APP-1", "ORG-1", 1000)
	f.pay(t, paid, "GW-1")
	cancelled := f.fee(t, "APP-2", "ORG-1", 1000)
	if _, err := f.svc.CancelInvoice(ctx, cancelled.ID(), "mistake"); err != nil {
		t.Fatal(err)
	}
	f.fee(t, "APP-3", "ORG-1", 1000)
	win := f.security(t, "TND-1", "WIN", 5000)
	lose := f.security(t, "TND-1", "LOSE", 5000)
	f.pay(t, win, "GW-W")
	f.pay(t, lose, "GW-L")
	if err := f.store.InTx(ctx, func(tx app.Tx) error { return f.svc.ForfeitBidSecurity(ctx, tx, "TND-1", "WIN", "withdrew") }); err != nil {
		t.Fatal(err)
	}
	if err := f.store.InTx(ctx, func(tx app.Tx) error { return f.svc.AwardFinalised(ctx, tx, "TND-1", "OTHER") }); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.PayOutRefunds(ctx, 10); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(48 * time.Hour)
	if _, err := f.svc.ExpireDueInvoices(ctx, 10); err != nil {
		t.Fatal(err)
	}

	seen := eventschema.CheckOutbox(t, f.db)
	for _, typ := range app.Subjects() {
		if seen[typ] == 0 {
			t.Errorf("no %s produced", typ)
		}
	}
}
