package app_test

import (
	"context"
	"testing"
	"time"

	"gerbang/pkg/apperr"
	"gerbang/services/tender/internal/app"
	"gerbang/services/tender/internal/domain"
)

// evaluated runs a tender with three bids to the evaluation and returns it
// with the bid ids by vendor.
func (f *fixture) evaluated(tm domain.Terms) (*domain.Tender, map[string]string) {
	f.t.Helper()
	for _, v := range []string{"vendor-a", "vendor-b", "vendor-c"} {
		f.license(v, "active")
	}
	tn := f.tendering(tm)
	ids := map[string]string{
		"vendor-a": f.bid(tn.ID, "vendor-a", 900_000_000).ID,
		"vendor-b": f.bid(tn.ID, "vendor-b", 850_000_000).ID,
		"vendor-c": f.bid(tn.ID, "vendor-c", 700_000_000).ID,
	}
	out, _ := f.closeAndOpen(tn)
	return out, ids
}

func TestAwardFromEvaluationThroughObjectionsToContract(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tn, ids := f.evaluated(terms())
	assess := []domain.Assessment{
		{BidID: ids["vendor-a"], AdministrativePass: true, TechnicalPass: true},
		{BidID: ids["vendor-b"], AdministrativePass: true, TechnicalPass: true},
		{BidID: ids["vendor-c"], AdministrativePass: false, TechnicalPass: true, Reasons: []string{"akta pendirian tidak dilampirkan"}},
	}
	if err := f.svc.SubmitEvaluation(ctx, officer("pokja-9"), tn.ID, assess, nil); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("outsider scored: %v", err)
	}
	if err := f.svc.SubmitEvaluation(ctx, officer("pokja-1"), tn.ID, assess, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.ProposeAward(ctx, officer("pokja-9"), tn.ID); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("outsider proposed: %v", err)
	}
	got, res, err := f.svc.ProposeAward(ctx, officer("pokja-2"), tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != domain.StateAwardProposed || res.Winner != ids["vendor-b"] || len(res.Reserves) != 1 || res.Reserves[0] != ids["vendor-a"] {
		t.Fatalf("state %s result %+v", got.State, res)
	}
	if len(res.Disqualified) != 1 || res.Disqualified[0].Reason != "administrative evaluation failed: akta pendirian tidak dilampirkan" {
		t.Fatalf("disqualified %+v", res.Disqualified)
	}
	if _, _, err := f.svc.Result(ctx, tn.ID); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("result public before the announcement: %v", err)
	}
	if _, err := f.svc.AnnounceAward(ctx, officer("pokja-1"), tn.ID); err != nil {
		t.Fatal(err)
	}
	if _, r, err := f.svc.Result(ctx, tn.ID); err != nil || r.Winner != ids["vendor-b"] {
		t.Fatalf("public result %+v %v", r, err)
	}
	if _, err := f.svc.FileObjection(ctx, vendor("vendor-z"), tn.ID, "saya keberatan", nil); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("non-bidder objected: %v", err)
	}
	obj, err := f.svc.FileObjection(ctx, vendor("vendor-c"), tn.ID, "Akta kami dilampirkan di halaman 12.", []string{"sha256:ab12"})
	if err != nil {
		t.Fatal(err)
	}
	end := f.clock.Now().Add(5*24*time.Hour + time.Second)
	f.clock.Set(end)
	if _, err := f.svc.FileObjection(ctx, vendor("vendor-a"), tn.ID, "terlambat", nil); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("late objection: %v", err)
	}
	if n, _ := f.svc.AdvanceDueTenders(ctx); n != 0 {
		t.Fatal("award finalised with an unanswered objection")
	}
	if _, err := f.svc.AnswerObjection(ctx, officer("pokja-9"), tn.ID, obj.ID, "tidak", app.OutcomeRejected); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("outsider answered: %v", err)
	}
	if _, err := f.svc.AnswerObjection(ctx, officer("pokja-1"), tn.ID, obj.ID, "Akta tidak ditemukan pada dokumen penawaran.", app.OutcomeRejected); err != nil {
		t.Fatal(err)
	}
	if n, err := f.svc.AdvanceDueTenders(ctx); n != 1 || err != nil {
		t.Fatalf("finalise: moved %d err %v", n, err)
	}
	var vendorOfFinal string
	if err := f.db.GetContext(ctx, &vendorOfFinal, `SELECT payload->'data'->>'vendor' FROM outbox WHERE type = 'tender.award.finalised'`); err != nil || vendorOfFinal != "vendor-b" {
		t.Fatalf("award.finalised for %q: %v", vendorOfFinal, err)
	}
	if _, _, err := f.svc.RecordContract(ctx, officer("pokja-1"), tn.ID, "SPK-001/PUPR/2026", f.clock.Now().Add(time.Hour)); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("contract signed in the future: %v", err)
	}
	out, c, err := f.svc.RecordContract(ctx, officer("pokja-1"), tn.ID, "SPK-001/PUPR/2026", f.clock.Now())
	if err != nil || out.State != domain.StateContracted || c.Vendor != "vendor-b" || c.Value != 850_000_000 {
		t.Fatalf("contract %+v state %v err %v", c, out, err)
	}
}

func TestUpheldObjectionReturnsToEvaluationOrFails(t *testing.T) {
	for _, c := range []struct {
		outcome string
		want    domain.State
	}{
		{app.OutcomeUpheldReevaluate, domain.StateEvaluation},
		{app.OutcomeUpheldFail, domain.StateFailed},
	} {
		t.Run(c.outcome, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			tn, ids := f.evaluated(terms())
			var assess []domain.Assessment
			for _, id := range ids {
				assess = append(assess, domain.Assessment{BidID: id, AdministrativePass: true, TechnicalPass: true})
			}
			if err := f.svc.SubmitEvaluation(ctx, officer("pokja-1"), tn.ID, assess, nil); err != nil {
				t.Fatal(err)
			}
			if _, _, err := f.svc.ProposeAward(ctx, officer("pokja-1"), tn.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.AnnounceAward(ctx, officer("pokja-1"), tn.ID); err != nil {
				t.Fatal(err)
			}
			obj, err := f.svc.FileObjection(ctx, vendor("vendor-a"), tn.ID, "Harga pemenang tidak wajar.", nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.svc.AnswerObjection(ctx, officer("pokja-2"), tn.ID, obj.ID, "Keberatan diterima.", c.outcome)
			if err != nil || got.State != c.want {
				t.Fatalf("state %v err %v", got, err)
			}
			if c.want == domain.StateEvaluation {
				if _, _, err := f.svc.ProposeAward(ctx, officer("pokja-1"), tn.ID); err != nil {
					t.Fatalf("proposing again after re-evaluation: %v", err)
				}
			}
		})
	}
}

func TestEveryBidDisqualifiedFailsTheTenderAtEvaluation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tn, ids := f.evaluated(terms())
	var assess []domain.Assessment
	for _, id := range ids {
		assess = append(assess, domain.Assessment{BidID: id, AdministrativePass: true, TechnicalPass: false, Reasons: []string{"spesifikasi tidak memenuhi"}})
	}
	if err := f.svc.SubmitEvaluation(ctx, officer("pokja-1"), tn.ID, assess, nil); err != nil {
		t.Fatal(err)
	}
	got, res, err := f.svc.ProposeAward(ctx, officer("pokja-1"), tn.ID)
	if err != nil || got.State != domain.StateFailed || res.Winner != "" || len(res.Disqualified) != 3 {
		t.Fatalf("state %v result %+v err %v", got, res, err)
	}
}

func TestQualityCostScoresOfEachMemberAreAggregated(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tm := terms()
	tm.Evaluation = domain.EvaluationTerms{Method: domain.MethodQualityCost, TechnicalWeight: 70, PriceWeight: 30, PassingGrade: 60}
	tn, ids := f.evaluated(tm)
	var assess []domain.Assessment
	for _, id := range ids {
		assess = append(assess, domain.Assessment{BidID: id, AdministrativePass: true, TechnicalPass: true})
	}
	points := map[string][2]int{"vendor-a": {90, 100}, "vendor-b": {70, 70}, "vendor-c": {50, 60}}
	for i, member := range []string{"pokja-1", "pokja-2"} {
		var scores []app.Score
		for v, p := range points {
			scores = append(scores, app.Score{BidID: ids[v], Criterion: domain.CriterionTechnical, Points: p[i]})
		}
		if err := f.svc.SubmitEvaluation(ctx, officer(member), tn.ID, assess, scores); err != nil {
			t.Fatal(err)
		}
	}
	_, res, err := f.svc.ProposeAward(ctx, officer("pokja-1"), tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	// a: tech 95.00, price 850/900 = 94.44 -> 66.50+28.33 = 94.83; b: 70, 100 -> 79.00; c: 55 < 60 out.
	if res.Winner != ids["vendor-a"] || res.Ranking[0].Total != 9483 || res.Ranking[1].Total != 7900 || len(res.Disqualified) != 1 {
		t.Fatalf("result %+v", res)
	}
}
