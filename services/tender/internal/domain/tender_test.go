package domain

import (
	"testing"
	"time"

	"gerbang/pkg/apperr"
)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func validTerms() Terms {
	return Terms{
		BuyerAgency: "Dinas PUPR Kota Bandung", Title: "Pengadaan laptop", Category: CategoryGoods,
		HPS: 1_000_000_000, KBLI: "46512", ProcurementMethod: "tender",
		Evaluation:     EvaluationTerms{Method: MethodLowestPrice},
		BidPeriodStart: t0.Add(24 * time.Hour), BidDeadline: t0.Add(10 * 24 * time.Hour),
		Committee: []string{"officer-1", "officer-2"},
	}
}

func publishedTender(t *testing.T) *Tender {
	t.Helper()
	tn, err := NewTender("t1", "TND-2026-0001", validTerms(), "officer-1", t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := tn.Publish(ActorCommittee, t0, []byte("pk"), []byte("wk")); err != nil {
		t.Fatal(err)
	}
	return tn
}

func TestNewTenderRefusesBadTermsNamingEachField(t *testing.T) {
	terms := validTerms()
	terms.HPS = 0
	terms.KBLI = "4651"
	terms.BidDeadline = terms.BidPeriodStart
	terms.Committee = nil
	_, err := NewTender("t1", "TND-2026-0001", terms, "officer-1", t0)
	e, ok := err.(*apperr.Error)
	if !ok || e.Code != apperr.Invalid {
		t.Fatalf("got %v, want invalid", err)
	}
	fields := map[string]bool{}
	for _, f := range e.Fields {
		fields[f.Field] = true
	}
	for _, want := range []string{"hps", "kbli", "bid_deadline", "committee"} {
		if !fields[want] {
			t.Errorf("no error for %s in %v", want, e.Fields)
		}
	}
}

func TestDefaultsGiveFiveDayObjectionPeriod(t *testing.T) {
	tn := publishedTender(t)
	if tn.ObjectionDays != 5 {
		t.Fatalf("objection days %d, want 5", tn.ObjectionDays)
	}
}

func TestOnlyCommitteeMemberWhoIsOfficerActsAsCommittee(t *testing.T) {
	tn := publishedTender(t)
	cases := []struct {
		subject string
		officer bool
		want    Actor
	}{
		{"officer-1", true, ActorCommittee},
		{"officer-1", false, ActorOther},
		{"officer-9", true, ActorOther},
	}
	for _, c := range cases {
		if got := tn.ActorFor(c.subject, c.officer); got != c.want {
			t.Errorf("ActorFor(%s, %v) = %s, want %s", c.subject, c.officer, got, c.want)
		}
	}
}

func TestBidsAreTakenUntilTheDeadlineAndRefusedOneSecondAfter(t *testing.T) {
	tn := publishedTender(t)
	if err := tn.AcceptsBids(tn.BidPeriodStart); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("announced tender took a bid: %v", err)
	}
	if err := tn.StartTendering(tn.BidPeriodStart.Add(-time.Second)); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("tendering started before the bid period: %v", err)
	}
	if err := tn.StartTendering(tn.BidPeriodStart); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		at   time.Time
		want apperr.Code
	}{
		{tn.BidPeriodStart, ""},
		{tn.BidDeadline.Add(-time.Second), ""},
		{tn.BidDeadline, ""},
		{tn.BidDeadline.Add(time.Second), apperr.Conflict},
	} {
		if got := apperr.CodeOf(tn.AcceptsBids(c.at)); got != c.want {
			t.Errorf("bid at %s: %q, want %q", c.at, got, c.want)
		}
	}
}

func TestCloseBiddingWaitsForDeadlineAndFailsWithoutBids(t *testing.T) {
	tn := publishedTender(t)
	_ = tn.StartTendering(tn.BidPeriodStart)
	if err := tn.CloseBidding(tn.BidDeadline, 3); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("closed at the deadline instant: %v", err)
	}
	empty := *tn
	if err := empty.CloseBidding(tn.BidDeadline.Add(time.Second), 0); err != nil || empty.State != StateFailed || empty.Reason == "" {
		t.Fatalf("no bids: state %s reason %q err %v", empty.State, empty.Reason, err)
	}
	if err := tn.CloseBidding(tn.BidDeadline.Add(time.Second), 3); err != nil || tn.State != StateOpening {
		t.Fatalf("state %s err %v", tn.State, err)
	}
}

func TestOpeningNeedsCommitteeAndTooFewValidBidsFail(t *testing.T) {
	tn := publishedTender(t)
	tn.MinBids = 2
	_ = tn.StartTendering(tn.BidPeriodStart)
	after := tn.BidDeadline.Add(time.Second)
	_ = tn.CloseBidding(after, 3)
	if err := tn.StartOpening(ActorOther, after); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("non-member opened: %v", err)
	}
	if err := tn.FinishOpening(ActorCommittee, 3); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("finished before start: %v", err)
	}
	if err := tn.StartOpening(ActorCommittee, after); err != nil {
		t.Fatal(err)
	}
	failing := *tn
	if err := failing.FinishOpening(ActorCommittee, 1); err != nil || failing.State != StateFailed {
		t.Fatalf("one valid bid of two needed: state %s err %v", failing.State, err)
	}
	if err := tn.FinishOpening(ActorCommittee, 2); err != nil || tn.State != StateEvaluation {
		t.Fatalf("state %s err %v", tn.State, err)
	}
}

func TestObjectionPeriodLastsItsDaysAndAwardWaitsForAnswers(t *testing.T) {
	tn := publishedTender(t)
	tn.State = StateAwardProposed
	now := t0.Add(20 * 24 * time.Hour)
	if err := tn.AnnounceAward(ActorCommittee, now); err != nil {
		t.Fatal(err)
	}
	if want := now.Add(5 * 24 * time.Hour); !tn.ObjectionEndsAt.Equal(want) {
		t.Fatalf("objection period ends %s, want %s", tn.ObjectionEndsAt, want)
	}
	if err := tn.AcceptsObjections(now.Add(5 * 24 * time.Hour)); err != nil {
		t.Fatalf("objection on the last instant refused: %v", err)
	}
	if err := tn.AcceptsObjections(now.Add(5*24*time.Hour + time.Second)); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("late objection taken: %v", err)
	}
	if err := tn.FinaliseAward(now.Add(time.Hour), 0); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("finalised during the period: %v", err)
	}
	end := now.Add(5*24*time.Hour + time.Second)
	if err := tn.FinaliseAward(end, 1); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("finalised with an unanswered objection: %v", err)
	}
	if err := tn.FinaliseAward(end, 0); err != nil || tn.State != StateAwarded {
		t.Fatalf("state %s err %v", tn.State, err)
	}
}

func TestCancelNeedsAReason(t *testing.T) {
	tn := publishedTender(t)
	if err := tn.Cancel(ActorCommittee, "  "); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("cancelled without a reason: %v", err)
	}
	if err := tn.Cancel(ActorCommittee, "budget withdrawn"); err != nil || tn.State != StateCancelled || tn.Reason != "budget withdrawn" {
		t.Fatalf("state %s reason %q err %v", tn.State, tn.Reason, err)
	}
}

func TestAmendmentCloseToDeadlineExtendsIt(t *testing.T) {
	tn := publishedTender(t)
	_ = tn.StartTendering(tn.BidPeriodStart)
	now := tn.BidDeadline.Add(-24 * time.Hour)
	terms := tn.Terms
	terms.Description = "spesifikasi diperbarui"
	extended, err := tn.Amend(ActorCommittee, terms, now)
	if err != nil || !extended {
		t.Fatalf("extended %v err %v", extended, err)
	}
	if want := now.Add(AmendmentNotice); !tn.BidDeadline.Equal(want) || tn.Amendment != 1 {
		t.Fatalf("deadline %s amendment %d, want %s and 1", tn.BidDeadline, tn.Amendment, want)
	}
	far := tn.Terms
	far.BidDeadline = tn.BidDeadline.Add(30 * 24 * time.Hour)
	if extended, err := tn.Amend(ActorCommittee, far, now); err != nil || extended || tn.Amendment != 2 {
		t.Fatalf("far deadline: extended %v err %v amendment %d", extended, err, tn.Amendment)
	}
	otherKBLI := tn.Terms
	otherKBLI.KBLI = "62019"
	if _, err := tn.Amend(ActorCommittee, otherKBLI, now); !apperr.Is(err, apperr.Invalid) || tn.KBLI != "46512" {
		t.Fatalf("amendment changed the KBLI: %v", err)
	}
	if _, err := tn.Amend(ActorOther, far, now); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("non-member amended: %v", err)
	}
}

func TestEditOnlyInDraft(t *testing.T) {
	tn, _ := NewTender("t1", "TND-2026-0001", validTerms(), "officer-1", t0)
	terms := validTerms()
	terms.Title = "Pengadaan laptop dan printer"
	if err := tn.Edit(terms, ActorOther); !apperr.Is(err, apperr.Forbidden) {
		t.Fatalf("non-member edited: %v", err)
	}
	if err := tn.Edit(terms, ActorCommittee); err != nil || tn.Title != terms.Title || tn.Version != 2 {
		t.Fatalf("edit: %v", err)
	}
	_ = tn.Publish(ActorCommittee, t0, nil, nil)
	if err := tn.Edit(terms, ActorCommittee); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("edited after publishing: %v", err)
	}
}

func TestPublishNeedsFutureBidPeriod(t *testing.T) {
	tn, _ := NewTender("t1", "TND-2026-0001", validTerms(), "officer-1", t0)
	if err := tn.Publish(ActorCommittee, tn.BidPeriodStart, nil, nil); !apperr.Is(err, apperr.Invalid) || tn.State != StateDraft {
		t.Fatalf("published late: %v state %s", err, tn.State)
	}
}
