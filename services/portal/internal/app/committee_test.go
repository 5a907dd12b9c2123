package app

import (
	"slices"
	"testing"
	"time"
)

func TestUnansweredQuestionsComeFirstEachGroupOldestFirst(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	answered := at(10)
	qs := []Question{
		{ID: "a1", AskedAt: at(1), AnsweredAt: &answered},
		{ID: "w2", AskedAt: at(3)},
		{ID: "a0", AskedAt: at(0), AnsweredAt: &answered},
		{ID: "w1", AskedAt: at(2)},
	}
	var got []string
	for _, q := range UnansweredFirst(qs) {
		got = append(got, q.ID)
	}
	if want := []string{"w1", "w2", "a0", "a1"}; !slices.Equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
	if qs[0].ID != "a1" {
		t.Fatal("UnansweredFirst reordered its argument")
	}
}

func TestBidsAreOpenedOnlyOnceTheBiddingHasClosedAndOnlyOnce(t *testing.T) {
	deadline := time.Date(2026, 12, 10, 3, 0, 0, 0, time.UTC)
	started := deadline.Add(time.Hour)
	for _, c := range []struct {
		state         string
		started       *time.Time
		now           time.Time
		open, amend   bool
		beforeOpening bool
	}{
		{"draft", nil, deadline.Add(-time.Hour), false, false, false},
		{"announced", nil, deadline.Add(-time.Hour), false, true, true},
		{"tendering", nil, deadline.Add(-time.Hour), false, true, true},
		{"tendering", nil, deadline, false, true, true},
		{"tendering", nil, deadline.Add(time.Second), false, false, true}, // the scheduler has yet to close it
		{"opening", nil, deadline.Add(time.Second), true, false, true},
		{"opening", &started, deadline.Add(2 * time.Hour), false, false, false},
		{"evaluation", &started, deadline.Add(2 * time.Hour), false, false, false},
		{"cancelled", nil, deadline.Add(-time.Hour), false, false, false},
	} {
		tn := CommitteeTender{State: c.state, OpeningStartedAt: c.started, TenderTerms: TenderTerms{BidDeadline: deadline}}
		if got := tn.CanOpen(); got != c.open {
			t.Errorf("%s at %s (started %v): CanOpen %v, want %v", c.state, c.now, c.started != nil, got, c.open)
		}
		if got := tn.Amendable(c.now); got != c.amend {
			t.Errorf("%s at %s: Amendable %v, want %v", c.state, c.now, got, c.amend)
		}
		if got := tn.BeforeOpening(); got != c.beforeOpening {
			t.Errorf("%s (started %v): BeforeOpening %v, want %v", c.state, c.started != nil, got, c.beforeOpening)
		}
	}
}
