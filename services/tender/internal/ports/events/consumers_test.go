package events

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"gerbang/pkg/clock"
	"gerbang/pkg/events"
	"gerbang/pkg/natstest"
	"gerbang/pkg/pgtest"
	"gerbang/services/tender/internal/adapters/postgres"
	"gerbang/services/tender/internal/app"
	"gerbang/services/tender/internal/domain"
	"gerbang/services/tender/migrations"
)

func publish(t *testing.T, js jetstream.JetStream, typ, subject string, data any) events.Event {
	t.Helper()
	ev, err := events.New("/"+strings.SplitN(typ, ".", 2)[0], typ, subject, data, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	republish(t, js, ev)
	return ev
}

func republish(t *testing.T, js jetstream.JetStream, ev events.Event) {
	t.Helper()
	b, _ := json.Marshal(ev)
	if _, err := js.Publish(context.Background(), ev.Type, b, jetstream.WithMsgID(ev.ID)); err != nil {
		t.Fatal(err)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("not within 10s: %s", what)
}

func TestLicenseEventsKeepQualificationsAndApplyOnce(t *testing.T) {
	db := pgtest.New(t, migrations.FS)
	ns := natstest.Start(t)
	js, nc := ns.JetStream()
	defer nc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := events.EnsureStream(ctx, js, "LICENSING", []string{"licensing.>"}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	c := consumers(db)
	go func() {
		done <- events.Consume(ctx, js, db.DB, events.ConsumerConfig{Stream: "LICENSING", Durable: LicensingConsumer,
			FilterSubjects: []string{SubjectLicenses}}, c.ApplyLicenseEvent)
	}()
	qualified := func() bool {
		var ok bool
		_ = db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM vendor_license WHERE business_id = 'biz-1' AND kbli = '46512' AND status = 'active')`)
		return ok
	}
	lic := uuid.NewString()
	data := map[string]any{"license_id": lic, "number": "LIC-2026-000123", "business_id": "biz-1", "kbli": "46512", "status": "active", "nib": "9120001234567"}
	issued := publish(t, js, "licensing.license.issued", lic, data)
	eventually(t, "license active", qualified)
	republish(t, js, issued) // a duplicate: the inbox skips it
	data["status"] = "suspended"
	publish(t, js, "licensing.license.suspended", lic, data)
	eventually(t, "license suspended", func() bool { return !qualified() })
	var records int
	if err := db.GetContext(ctx, &records, `SELECT count(*) FROM audit_record WHERE entity_type = 'vendor_license'`); err != nil || records != 2 {
		t.Fatalf("%d audit records (%v), want one per applied event", records, err)
	}
	cancel()
	<-done
}

func TestInvoicePaidHoldsTheBidSecurityAndReleaseSettlesIt(t *testing.T) {
	db := pgtest.New(t, migrations.FS)
	ns := natstest.Start(t)
	js, nc := ns.JetStream()
	defer nc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := events.EnsureStream(ctx, js, "PAYMENT", []string{"payment.>"}); err != nil {
		t.Fatal(err)
	}
	store := postgres.New(db.DB)
	now := time.Now().UTC()
	tn, err := domain.NewTender(uuid.NewString(), "TND-2026-0001", domain.Terms{BuyerAgency: "A", Title: "T", Category: domain.CategoryGoods,
		HPS: 1000, KBLI: "46512", ProcurementMethod: "tender", Evaluation: domain.EvaluationTerms{Method: domain.MethodLowestPrice},
		BidPeriodStart: now.Add(time.Hour), BidDeadline: now.Add(2 * time.Hour), Committee: []string{"p"}}, "p", now)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateTender(ctx, tn, app.Who{Subject: "p"}, now); err != nil {
		t.Fatal(err)
	}
	sec := uuid.NewString()
	if _, err := db.ExecContext(ctx, `INSERT INTO bid_security (id, tender_id, vendor, amount, state, requested_at) VALUES ($1, $2, 'biz-1', 100, 'requested', now())`, sec, tn.ID); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = events.Consume(ctx, js, db.DB, events.ConsumerConfig{Stream: "PAYMENT", Durable: PaymentConsumer,
			FilterSubjects: PaymentSubjects()}, consumers(db).ApplyPaymentEvent)
	}()
	// A license fee's invoice is not ours: skipped.
	publish(t, js, "payment.invoice.paid", "inv-0", map[string]any{"invoice_id": uuid.NewString(), "purpose": "license_fee", "reference": sec, "paid_at": now})
	publish(t, js, "payment.invoice.paid", "inv-1", map[string]any{"invoice_id": "inv-1", "purpose": "bid_security", "reference": sec, "paid_at": now})
	securityIs := func(state domain.SecurityState) func() bool {
		return func() bool {
			var got string
			_ = db.GetContext(ctx, &got, `SELECT state FROM bid_security WHERE tender_id = $1 AND vendor = 'biz-1'`, tn.ID)
			return got == string(state)
		}
	}
	eventually(t, "security held", securityIs(domain.SecurityHeld))
	publish(t, js, "payment.bid_security.released", "sec", map[string]any{"bid_security_id": uuid.NewString(), "invoice_id": "inv-1",
		"tender_id": tn.ID, "vendor": "biz-1", "amount": map[string]any{"amount": 100, "currency": "IDR"}})
	eventually(t, "security released", securityIs(domain.SecurityReleased))
}

// consumers are the consumers over db, with use cases that need nothing
// but the recorder.
func consumers(db *pgtest.DB) Consumers {
	return Consumers{Service: app.New(postgres.New(db.DB), domain.KEK{}, nil, "", clock.System{}), Recorder: postgres.InTx}
}
