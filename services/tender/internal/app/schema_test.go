package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

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
	if _, err := f.svc.AnswerObjection(ctx, officer("pokja-1"), awarded.ID, obj.ID, "ditolak", OutcomeRejected); err != nil {
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
		data, err := jsonschema.UnmarshalJSON(bytes.NewReader(ev.Data))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(data); err != nil {
			t.Errorf("%s data %s does not match its schema: %v", r.Type, ev.Data, err)
		}
		seen[r.Type]++
	}
	for _, typ := range []string{"tender.tender.published", "tender.tender.tendering_started", "tender.bid.submitted",
		"tender.bid.withdrawn", "tender.bid_security.requested", "tender.tender.amended", "tender.tender.bidding_closed",
		"tender.bids.opened", "tender.tender.failed", "tender.tender.cancelled", "tender.award.proposed",
		"tender.objection.filed", "tender.objection.answered", "tender.award.finalised", "tender.contract.signed"} {
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
