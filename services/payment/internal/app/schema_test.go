package app_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"gerbang/services/payment/internal/adapters/postgres"
)

// TestPublishedEventsMatchTheirSchemas produces every event type of the
// service and validates each outbox row's data against
// api/events/<type>.json.
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
	if err := f.store.InTx(ctx, func(tx *postgres.Tx) error { return f.svc.ForfeitBidSecurity(ctx, tx, "TND-1", "WIN", "withdrew") }); err != nil {
		t.Fatal(err)
	}
	if err := f.store.InTx(ctx, func(tx *postgres.Tx) error { return f.svc.AwardFinalised(ctx, tx, "TND-1", "OTHER") }); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.PayOutRefunds(ctx, 10); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(48 * time.Hour)
	if _, err := f.svc.ExpireDueInvoices(ctx, 10); err != nil {
		t.Fatal(err)
	}

	var rows []struct {
		Type    string `db:"type"`
		Payload []byte `db:"payload"`
	}
	if err := f.db.Select(&rows, `SELECT type, payload FROM outbox ORDER BY seq`); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	schemas := map[string]*jsonschema.Schema{}
	for _, r := range rows {
		sch, ok := schemas[r.Type]
		if !ok {
			sch = compileSchema(t, r.Type)
			schemas[r.Type] = sch
		}
		var ev struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(r.Payload, &ev); err != nil {
			t.Fatal(err)
		}
		data, err := jsonschema.UnmarshalJSON(bytesReader(ev.Data))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(data); err != nil {
			t.Fatalf("%s data %s does not match its schema: %v", r.Type, ev.Data, err)
		}
		seen[r.Type]++
	}
	for _, typ := range []string{"payment.invoice.issued", "payment.invoice.paid", "payment.invoice.expired",
		"payment.invoice.cancelled", "payment.bid_security.released", "payment.bid_security.forfeited", "payment.refund.completed"} {
		if seen[typ] == 0 {
			t.Errorf("no %s produced", typ)
		}
	}
}

func compileSchema(t *testing.T, typ string) *jsonschema.Schema {
	t.Helper()
	file := filepath.Join("..", "..", "..", "..", "api", "events", typ+".json")
	raw, err := os.Open(file)
	if err != nil {
		t.Fatalf("no schema for %s: %v", typ, err)
	}
	defer raw.Close()
	doc, err := jsonschema.UnmarshalJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(typ+".json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(typ + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}
