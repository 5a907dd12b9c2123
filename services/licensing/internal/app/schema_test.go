package app_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/dbx"
	"gerbang/pkg/events"
	"gerbang/pkg/eventschema"
	"gerbang/pkg/idempotency"
	"gerbang/services/licensing/internal/domain"
)

// TestEveryPublishedEventMatchesItsSchema drives the application and
// license through their transitions and checks the data of every event
// written to the outbox against its schema in api/events.
func TestEveryPublishedEventMatchesItsSchema(t *testing.T) {
	h := newHarness(t)
	b := h.business(owner, "medium", "55110", "62010")
	kbli := []string{"55110", "62010", "49431"}
	if _, err := h.svc.UpdateBusiness(h.ctx, owner, b.ID, 0, domain.BusinessPatch{KBLI: kbli}); err != nil {
		t.Fatal(err)
	}
	b.KBLI = kbli

	low := h.submitted(owner, b, "62010", 0) // issued at once
	lic, err := h.svc.LicenseOfApplication(h.ctx, owner, low.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []domain.LicenseAction{domain.LicenseSuspend, domain.LicenseReinstate, domain.LicenseRevoke} {
		if _, err := h.svc.ChangeLicense(h.ctx, officer, lic.ID, a, "inspection"); err != nil {
			t.Fatal(err)
		}
	}
	renewal, err := h.svc.CreateApplication(h.ctx, owner, idempotency.Key{}, b.ID, "62010", 0, lic.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Submit(h.ctx, owner, renewal.ID, 0); err != nil {
		t.Fatal(err)
	}

	hotel := h.submitted(owner, b, "55110", 150)
	steps := []func() error{
		func() error { _, err := h.svc.StartReview(h.ctx, officer, hotel.ID, 0); return err },
		func() error {
			_, err := h.svc.RequestRevision(h.ctx, officer, hotel.ID, 0, []domain.Revision{{Requirement: "amdal", Note: "annexes"}})
			return err
		},
		func() error { _, err := h.svc.Resubmit(h.ctx, owner, hotel.ID, 0, ""); return err },
		func() error { _, err := h.svc.Approve(h.ctx, officer, hotel.ID, 0); return err },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	paid, _ := events.New("/payment", "payment.invoice.paid", "inv-9", map[string]any{
		"invoice_id": "inv-9", "purpose": "license_fee", "reference": hotel.ID, "amount": map[string]any{"amount": 5000000, "currency": "IDR"},
	}, h.clock.Now())
	if err := dbx.WithTx(h.ctx, h.db.DB, func(tx *sqlx.Tx) error { return h.svc.IssueOnPayment(h.ctx, tx, paid) }); err != nil {
		t.Fatal(err)
	}

	rejected := h.submitted(owner, b, "49431", 0)
	if _, err := h.svc.Reject(h.ctx, officer, rejected.ID, 0, "forged KIR"); err != nil {
		t.Fatal(err)
	}
	withdrawn := h.submitted(owner, b, "49431", 0)
	if _, err := h.svc.Withdraw(h.ctx, owner, withdrawn.ID, 0); err != nil {
		t.Fatal(err)
	}
	h.submitted(owner, b, "49431", 0)
	h.clock.Set(wib("2026-12-01 09:00"))
	if n, err := h.svc.DeemApproveOverdue(h.ctx); err != nil || n != 1 {
		t.Fatalf("deemed %d, %v", n, err)
	}
	if _, err := h.db.ExecContext(h.ctx, `UPDATE license SET valid_until = $1 WHERE status = 'active'`, h.clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.RemindExpiring(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Hour)
	if _, err := h.svc.ExpireLicenses(h.ctx); err != nil {
		t.Fatal(err)
	}

	seen := eventschema.CheckOutbox(t, h.db)
	dir, err := eventschema.Dir()
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".json")
		if strings.HasPrefix(name, "licensing.") && seen[name] == 0 {
			t.Errorf("no event %s was produced by this walk", name)
		}
	}
}
