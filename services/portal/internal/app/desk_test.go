package app

import (
	"context"
	"strconv"
	"testing"
	"time"

	"gerbang/services/portal/internal/domain"
)

// queueOf is licensing's queue as a list, paged as licensing pages it: the
// cursor is the index of the next entry.
type queueOf []domain.ApplicationDetail

func (q queueOf) QueuePage(_ context.Context, _ string, limit int, cursor string) (domain.ApplicationPage, error) {
	from, _ := strconv.Atoi(cursor)
	to := min(from+limit, len(q))
	p := domain.ApplicationPage{Items: q[from:to]}
	if to < len(q) {
		p.NextCursor = strconv.Itoa(to)
	}
	return p, nil
}

// The other calls are not the queue's.
type desk struct {
	LicensingDesk
	queueOf
}

func (d desk) QueuePage(ctx context.Context, token string, limit int, cursor string) (domain.ApplicationPage, error) {
	return d.queueOf.QueuePage(ctx, token, limit, cursor)
}

func TestReviewQueueFiltersWithoutLosingAnEntryAndCountsWhatIsDueToday(t *testing.T) {
	now := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC) // Friday 10:00 WIB
	at := func(h time.Duration) *time.Time { x := now.Add(h); return &x }
	var q queueOf
	add := func(state domain.ApplicationState, kbli string, due *time.Time) {
		q = append(q, domain.ApplicationDetail{ID: strconv.Itoa(len(q)), State: state, KBLI: kbli, SLA: domain.SLA{Running: due != nil, DueAt: due}})
	}
	add(domain.AppInReview, "55110", at(-2*time.Hour))  // 0 overdue
	add(domain.AppSubmitted, "49431", at(5*time.Hour))  // 1 due today (15:00 WIB)
	add(domain.AppInReview, "55110", at(14*time.Hour))  // 2 tomorrow (Saturday) 00:00 WIB
	add(domain.AppSubmitted, "55110", at(72*time.Hour)) // 3 Monday
	add(domain.AppInReview, "49431", at(240*time.Hour)) // 4 in ten days
	add(domain.AppRevisionRequested, "55110", nil)      // 5 paused, last
	ids := func(p QueuePage) (out []string) {
		for _, a := range p.Items {
			out = append(out, a.ID)
		}
		return out
	}
	for name, c := range map[string]struct {
		f    QueueFilter
		want string
	}{
		"everything":               {QueueFilter{}, "[0 1 2 3 4 5]"},
		"by state":                 {QueueFilter{State: domain.AppInReview}, "[0 2 4]"},
		"by KBLI":                  {QueueFilter{KBLI: "49431"}, "[1 4]"},
		"overdue":                  {QueueFilter{Overdue: true}, "[0]"},
		"due within 1 working day": {QueueFilter{DueDays: 1}, "[0 1 2 3]"}, // Monday is the next working day
		"state and due":            {QueueFilter{State: domain.AppSubmitted, DueDays: 1}, "[1 3]"},
	} {
		t.Run(name, func(t *testing.T) {
			var all []string
			cursor, pages := "", 0
			for {
				p, err := ReviewQueue(context.Background(), desk{queueOf: q}, "", c.f, 2, cursor, now)
				if err != nil {
					t.Fatal(err)
				}
				if p.DueToday != 1 || p.Overdue != 1 {
					t.Fatalf("due today %d, overdue %d; want 1 and 1", p.DueToday, p.Overdue)
				}
				all = append(all, ids(p)...)
				if pages++; p.NextCursor == "" || pages > 10 {
					break
				}
				cursor = p.NextCursor
			}
			if got := "[" + join(all) + "]"; got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}
