package app_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"gerbang/services/tender/internal/app"
	"gerbang/services/tender/internal/domain"
)

// The public list's search: the store's SQL finds exactly the published
// tenders domain.TenderSearch.Matches says, for every kind of search, and
// pages through them losing none.
func TestTheTenderSearchFindsWhatTheDomainRuleSays(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	day := 24 * time.Hour
	laptop := terms()
	bridge := terms()
	bridge.Title, bridge.BuyerAgency, bridge.Category, bridge.KBLI = "Rehabilitasi jembatan Cikapundung", "Dinas PUPR Kota Bandung", domain.CategoryWorks, "42101"
	bridge.BidDeadline = t0.Add(12 * day)
	consult := terms()
	consult.Title, consult.BuyerAgency, consult.Category, consult.KBLI = "Konsultan sistem informasi perizinan", "Dinas Komunikasi dan Informatika Kota Bandung", domain.CategoryConsulting, "62010"
	consult.Description = "Aplikasi web untuk 30 kecamatan."
	consult.BidPeriodStart, consult.BidDeadline = t0.Add(2*day), t0.Add(15*day)
	draft := terms()
	draft.Title = "Pengadaan laptop kantor (draf)"

	var published []*domain.Tender
	for _, tm := range []domain.Terms{laptop, bridge, consult} {
		tn, err := f.svc.CreateTender(ctx, officer("pokja-1"), tm)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.PublishTender(ctx, officer("pokja-1"), tn.ID, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.CreateTender(ctx, officer("pokja-1"), draft); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(t0.Add(day)) // the laptops' and the bridge's bid periods open; the consultancy stays announced
	if _, err := f.svc.AdvanceDueTenders(ctx); err != nil {
		t.Fatal(err)
	}
	all, _, err := f.svc.PublishedTenders(ctx, domain.TenderSearch{}, 100, nil)
	if err != nil || len(all) != 3 {
		t.Fatalf("every published tender: %d %v", len(all), err)
	}
	published = all

	at := func(d time.Duration) *time.Time { v := t0.Add(d); return &v }
	searches := []struct {
		name                            string
		q, kbli, buyer, category, state string
		after, before                   *time.Time
		want                            int
	}{
		{name: "nothing asked", want: 3},
		{name: "a word", q: "laptop", want: 1},
		{name: "words in any case", q: "LAPTOP Sekolah", want: 1},
		{name: "a word in the buyer", q: "bandung", want: 2},
		{name: "a word in the description", q: "kecamatan", want: 1},
		{name: "the number", q: "tnd-", want: 3},
		{name: "words found apart, not together", q: "jembatan laptop", want: 0},
		{name: "a KBLI", kbli: "62010", want: 1},
		{name: "part of the buyer", buyer: "pupr", want: 1},
		{name: "a category", category: "works", want: 1},
		{name: "taking bids", state: "tendering", want: 2},
		{name: "announced", state: "announced", want: 1},
		{name: "deadline from", after: at(11 * day), want: 2},
		{name: "deadline before", before: at(11 * day), want: 1},
		{name: "a deadline window", after: at(11 * day), before: at(13 * day), want: 1},
		{name: "deadline exactly at", after: at(12 * day), before: at(12*day + time.Second), want: 1},
		{name: "words and a category", q: "bandung", category: "consulting", want: 1},
		{name: "everything at once", q: "sistem", kbli: "62010", buyer: "informatika", category: "consulting", state: "announced", after: at(14 * day), want: 1},
	}
	for _, c := range searches {
		s, err := domain.NewTenderSearch(c.q, c.kbli, c.buyer, c.category, c.state, c.after, c.before)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var want []string
		for _, tn := range published {
			if s.Matches(tn) {
				want = append(want, tn.ID)
			}
		}
		// Paged one at a time: the cursor stays good under a search.
		var got []string
		var after *app.TenderCursor
		for range 10 {
			page, next, err := f.svc.PublishedTenders(ctx, s, 1, after)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			for _, tn := range page {
				got = append(got, tn.ID)
			}
			if after = next; after == nil {
				break
			}
		}
		if !slices.Equal(got, want) || len(got) != c.want {
			t.Errorf("%s: the store finds %v, the domain rule %v (want %d)", c.name, got, want, c.want)
		}
	}
}
