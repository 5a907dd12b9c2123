package app_test

import (
	"context"
	"testing"
	"time"

	"gerbang/pkg/eventschema"

	"gerbang/services/tender/internal/app"
	"gerbang/services/tender/internal/domain"
)

// TestPublishedEventsMatchTheirSchemas produces every event type of the
// service and validates each outbox row's data against
// api/events/<type>.json.
func TestPublishedEventsMatchTheirSchemas(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.license("vendor-a", "active")
	f.license("vendor-b", "active")
	tm := terms()
	tm.BidSecurityAmount = 10_000_000
	tn := f.tendering(tm)
	a := f.bid(tn.ID, "vendor-a", 900_000_000)
	f.bid(tn.ID, "vendor-b", 800_000_000)
	if _, err := f.svc.WithdrawBid(ctx, vendor("vendor-a"), tn.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.AmendTender(ctx, officer("pokja-1"), tn.ID, 0, tn.Terms); err != nil {
		t.Fatal(err)
	}
	cur, _ := f.store.Tender(ctx, tn.ID)
	f.closeAndOpen(cur) // vendor-b unpaid and unconfirmed: the tender fails at the opening
	withSecurity := termsFrom(f.clock.Now())
	withSecurity.BidSecurityAmount = 5_000_000
	other := f.tendering(withSecurity)
	if _, err := f.svc.CancelTender(ctx, officer("pokja-1"), other.ID, "anggaran ditarik"); err != nil {
		t.Fatal(err)
	}
	awarded, ids := f.evaluated(termsFrom(f.clock.Now()))
	var assess []domain.Assessment
	for _, id := range ids {
		assess = append(assess, domain.Assessment{BidID: id, AdministrativePass: true, TechnicalPass: true})
	}
	if err := f.svc.SubmitEvaluation(ctx, officer("pokja-1"), awarded.ID, assess, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.ProposeAward(ctx, officer("pokja-1"), awarded.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AnnounceAward(ctx, officer("pokja-1"), awarded.ID); err != nil {
		t.Fatal(err)
	}
	obj, err := f.svc.FileObjection(ctx, vendor("vendor-a"), awarded.ID, "keberatan", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AnswerObjection(ctx, officer("pokja-1"), awarded.ID, obj.ID, "ditolak", app.OutcomeRejected); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(6 * 24 * time.Hour)
	if _, err := f.svc.AdvanceDueTenders(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.RecordContract(ctx, officer("pokja-1"), awarded.ID, "SPK-1", f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	empty := f.tendering(termsFrom(f.clock.Now()))
	f.clock.Set(empty.BidDeadline.Add(time.Second))
	if _, err := f.svc.AdvanceDueTenders(ctx); err != nil {
		t.Fatal(err)
	}

	seen := eventschema.CheckOutbox(t, f.db)
	for _, typ := range app.Subjects() {
		if seen[typ] == 0 {
			t.Errorf("no %s produced", typ)
		}
	}
}
