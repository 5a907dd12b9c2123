package app_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"gerbang/pkg/apperr"
	"gerbang/pkg/idempotency"
	"gerbang/pkg/keyset"
	"gerbang/services/licensing/internal/domain"
)

// queueEntry is an application placed in the queue for a test: its state,
// KBLI and SLA due date (nil: paused, or no clock).
type queueEntry struct {
	state domain.State
	kbli  string
	due   *time.Time
}

// seedQueue stores the entries as applications (drafts made through the
// use case, then put in place) and returns their ids in the same order.
func (h *harness) seedQueue(entries []queueEntry) []string {
	h.t.Helper()
	b := h.business(owner, "micro", "62010")
	ids := make([]string, len(entries))
	for i, e := range entries {
		a, err := h.svc.CreateApplication(h.ctx, owner, idempotency.Key{}, b.ID, "62010", 0, "")
		if err != nil {
			h.t.Fatal(err)
		}
		if _, err := h.db.ExecContext(h.ctx, `UPDATE application SET state = $2, kbli = $3, sla_due_at = $4,
			sla_running_since = CASE WHEN $4::timestamptz IS NULL THEN NULL ELSE $5::timestamptz END WHERE id = $1`,
			a.ID, string(e.state), e.kbli, e.due, h.clock.Now().Add(-24*time.Hour)); err != nil {
			h.t.Fatal(err)
		}
		ids[i] = a.ID
	}
	return ids
}

// walkQueue reads the queue under f in pages of limit, checking that no
// entry comes twice and that the counts are the same on every page.
func (h *harness) walkQueue(f domain.QueueFilter, limit int) ([]string, domain.QueueCounts) {
	h.t.Helper()
	var got []string
	var counts domain.QueueCounts
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			h.t.Fatalf("%+v: the queue does not end", f)
		}
		page, err := h.svc.ReviewQueue(h.ctx, officer, f, keyset.Page{Limit: limit, Cursor: cursor})
		if err != nil {
			h.t.Fatal(err)
		}
		if len(page.Items) > limit || page.NextCursor != "" && len(page.Items) != limit {
			h.t.Fatalf("%+v: a page of %d items (limit %d, next %q)", f, len(page.Items), limit, page.NextCursor)
		}
		if pages > 0 && page.Counts != counts {
			h.t.Fatalf("%+v: counts changed between pages: %+v then %+v", f, counts, page.Counts)
		}
		counts = page.Counts
		for _, a := range page.Items {
			if slices.Contains(got, a.ID) {
				h.t.Fatalf("%+v: %s came twice", f, a.ID)
			}
			got = append(got, a.ID)
		}
		if page.NextCursor == "" {
			return got, counts
		}
		cursor = page.NextCursor
	}
}

// TestTheReviewQueueFiltersAndCountsInTheDatabaseAsTheDomainRules is the
// table test of the queue's SQL and the domain: applications of every
// state, two KBLIs and due dates on each side of every bound (now, the end
// of today, the end of the n-th working day with the Nyepi and Idul Fitri
// holidays between), and every filter and pairs of them, read in pages of
// one, two and a hundred. The database keeps exactly the applications
// QueueFilter.Keeps keeps, in the queue's order (soonest due first, those
// without a due date last, then by id), and counts the whole queue as
// QueueCounts.Count does.
func TestTheReviewQueueFiltersAndCountsInTheDatabaseAsTheDomainRules(t *testing.T) {
	h := newHarness(t)
	now := h.clock.Now() // Monday 9 March 2026, 09:00 WIB
	cal, err := h.svc.Calendar(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) *time.Time { x := wib(s).UTC(); return &x }
	justAfter := func(t *time.Time) *time.Time { x := t.Add(time.Microsecond); return &x }
	justBefore := func(t *time.Time) *time.Time { x := t.Add(-time.Microsecond); return &x }
	nowUTC := now.UTC()
	// The 8th working day after 9 March is Thursday 26 March: the 18th to
	// the 24th are holidays and a weekend. Without the holidays it would
	// be Thursday 19 March.
	eighth := cal.AddWorkingDays(now, 8)
	if !eighth.Equal(wib("2026-03-27 00:00")) {
		t.Fatalf("the end of the 8th working day is %v", eighth.In(domain.Jakarta()))
	}
	dues := []*time.Time{
		at("2026-03-02 10:00"),             // a week overdue
		justBefore(&nowUTC),                // overdue
		&nowUTC,                            // overdue: due now
		justAfter(&nowUTC),                 // due today
		justBefore(at("2026-03-10 00:00")), // due today, its last microsecond
		at("2026-03-10 00:00"),             // tomorrow
		at("2026-03-10 00:00"),             // tomorrow, the same due date again (the id breaks the tie)
		at("2026-03-19 15:00"),             // Nyepi: within 8 working days only by the holidays
		at("2026-03-25 12:00"),             // within 8 working days only by the holidays
		justBefore(&eighth),                // the last instant within 8
		&eighth,                            // beyond 8
		at("2026-04-20 09:00"),             // far
		nil,                                // no due date
	}
	var entries []queueEntry
	for i, due := range dues {
		for j, st := range domain.States() {
			kbli := []string{"55110", "49431"}[(i+j)%2]
			if st == domain.StateRevisionRequested {
				due = nil // paused: the clock has no deadline
			}
			entries = append(entries, queueEntry{state: st, kbli: kbli, due: due})
		}
	}
	ids := h.seedQueue(entries)

	// What the domain says, from the applications as stored.
	stored := make([]domain.Application, len(ids))
	for i, id := range ids {
		rec, err := h.store.Application(h.ctx, id, "")
		if err != nil {
			t.Fatal(err)
		}
		stored[i] = rec.Application
	}
	sortKey := func(a domain.Application) time.Time {
		if a.SLA.DueAt == nil {
			return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		return *a.SLA.DueAt
	}
	queueOrder := slices.Clone(stored)
	slices.SortFunc(queueOrder, func(a, b domain.Application) int {
		if c := sortKey(a).Compare(sortKey(b)); c != 0 {
			return c
		}
		return compareUUID(a.ID, b.ID)
	})
	var wantCounts domain.QueueCounts
	for _, a := range stored {
		if slices.Contains(domain.ReviewQueueStates(), a.State) {
			wantCounts.Count(a, now)
		}
	}
	if wantCounts.DueToday != 4 || wantCounts.Overdue != 6 {
		t.Fatalf("the seed is not what the test means: %+v", wantCounts) // 2 states with a deadline × 2 and × 3
	}

	var filters []domain.QueueFilter
	for _, st := range append([]domain.State{""}, domain.ReviewQueueStates()...) {
		for _, kbli := range []string{"", "55110", "49431", "62010"} {
			for _, days := range []int{0, 1, 8, domain.MaxDueWithinDays} {
				for _, overdue := range []bool{false, true} {
					f, err := domain.NewQueueFilter(string(st), kbli, days, overdue)
					if err != nil {
						t.Fatal(err)
					}
					filters = append(filters, f)
				}
			}
		}
	}
	for _, f := range filters {
		var want []string
		for _, a := range queueOrder {
			if f.Keeps(a, now, cal) {
				want = append(want, a.ID)
			}
		}
		for _, limit := range []int{1, 2, 100} {
			t.Run(fmt.Sprintf("%s/%s/%d/%v/limit %d", f.State, f.KBLI, f.DueWithinDays, f.Overdue, limit), func(t *testing.T) {
				h.t = t
				got, counts := h.walkQueue(f, limit)
				if !slices.Equal(got, want) {
					t.Fatalf("the database kept %d applications %v\nthe domain keeps %d %v", len(got), got, len(want), want)
				}
				if counts != wantCounts {
					t.Fatalf("counts %+v; the whole queue has %+v", counts, wantCounts)
				}
			})
		}
	}

	// Spot checks of what the table means, independent of Keeps.
	h.t = t
	byHolidays := ids[slices.IndexFunc(entries, func(e queueEntry) bool {
		return e.state == domain.StateInReview && e.due != nil && e.due.Equal(*at("2026-03-25 12:00"))
	})]
	within8, _ := h.walkQueue(domain.QueueFilter{DueWithinDays: 8}, 100)
	if !slices.Contains(within8, byHolidays) {
		t.Fatalf("an application due on 25 March is not within 8 working days of 9 March")
	}
	overdue, _ := h.walkQueue(domain.QueueFilter{Overdue: true}, 100)
	if len(overdue) != wantCounts.Overdue {
		t.Fatalf("%d overdue listed, %d counted", len(overdue), wantCounts.Overdue)
	}
	paused, _ := h.walkQueue(domain.QueueFilter{State: domain.StateRevisionRequested}, 100)
	if len(paused) != len(dues) {
		t.Fatalf("%d applications waiting for a revision; want %d", len(paused), len(dues))
	}
}

func compareUUID(a, b string) int {
	switch {
	case a < b: // lowercase hex of equal length sorts as the bytes do
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestPagingTheFilteredQueueWhileItChangesLosesNoEntryThatStaysAndRepeatsNone
// takes a cursor of a filtered page, then moves the queue (an entry of the
// next page leaves it, one joins before the cursor): the next page goes on
// after the cursor's entry, as the sort key says.
func TestPagingTheFilteredQueueWhileItChangesLosesNoEntryThatStaysAndRepeatsNone(t *testing.T) {
	h := newHarness(t)
	d := func(hours int) *time.Time { x := h.clock.Now().Add(time.Duration(hours) * time.Hour).UTC(); return &x }
	ids := h.seedQueue([]queueEntry{
		{domain.StateInReview, "55110", d(1)},
		{domain.StateSubmitted, "49431", d(2)}, // another KBLI: not in the list
		{domain.StateInReview, "55110", d(3)},
		{domain.StateInReview, "55110", d(4)},
		{domain.StateInReview, "55110", d(5)},
	})
	f := domain.QueueFilter{KBLI: "55110"}
	first, err := h.svc.ReviewQueue(h.ctx, officer, f, keyset.Page{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{first.Items[0].ID, first.Items[1].ID}; !slices.Equal(got, []string{ids[0], ids[2]}) || first.NextCursor == "" {
		t.Fatalf("first page %v, next %q", got, first.NextCursor)
	}
	// ids[3] is decided; a new one joins, due before the cursor.
	if _, err := h.db.ExecContext(h.ctx, `UPDATE application SET state = 'approved', sla_due_at = NULL WHERE id = $1`, ids[3]); err != nil {
		t.Fatal(err)
	}
	h.seedQueue([]queueEntry{{domain.StateInReview, "55110", d(0)}})
	next, err := h.svc.ReviewQueue(h.ctx, officer, f, keyset.Page{Limit: 2, Cursor: first.NextCursor})
	if err != nil {
		t.Fatal(err)
	}
	if len(next.Items) != 1 || next.Items[0].ID != ids[4] || next.NextCursor != "" {
		t.Fatalf("second page %+v", next)
	}
	// A cursor not made here is refused, under a filter too.
	if _, err := h.svc.ReviewQueue(h.ctx, officer, f, keyset.Page{Cursor: keyset.Encode("yesterday", ids[0])}); !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("a cursor of no due date: %v", err)
	}
}
