package main

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gerbang/services/licensing/internal/domain"
)

// queueIDs lists the queue under query page by page (limit per page),
// checking that no entry comes twice and that every page carries the same
// counts of the whole queue.
func (e *env) queueIDs(query url.Values, limit int) (ids []string, dueToday, overdue float64) {
	e.t.Helper()
	query.Set("limit", strconv.Itoa(limit))
	for pages := 0; ; pages++ {
		if pages > 50 {
			e.t.Fatalf("%s: the queue does not end", query.Encode())
		}
		r := e.must(e.do("GET", "/v1/review-queue?"+query.Encode(), "officer", nil), 200)
		dt, od := r.body["due_today"].(float64), r.body["overdue"].(float64)
		if pages > 0 && (dt != dueToday || od != overdue) {
			e.t.Fatalf("%s: the counts changed between pages: %s", query.Encode(), r.raw)
		}
		dueToday, overdue = dt, od
		for _, it := range r.body["items"].([]any) {
			id := it.(map[string]any)["id"].(string)
			if slices.Contains(ids, id) {
				e.t.Fatalf("%s: %s came twice", query.Encode(), id)
			}
			ids = append(ids, id)
		}
		next, _ := r.body["next_cursor"].(string)
		if next == "" {
			return ids, dueToday, overdue
		}
		query.Set("cursor", next)
	}
}

func TestTheReviewQueueIsFilteredAndCountedByLicensingOverHTTP(t *testing.T) {
	e := start(t)
	bid := e.registerBusiness("owner", "micro", "55110", "49431", "62010")["id"].(string)
	now := time.Now()
	dueToday := now.Add(domain.EndOfDay(now).Sub(now) / 2)
	entries := []struct {
		name  string
		state domain.State
		kbli  string
		due   *time.Time
	}{
		{"overdue hotel", domain.StateInReview, "55110", ptr(now.Add(-time.Hour))},
		{"truck due today", domain.StateSubmitted, "49431", &dueToday},
		{"hotel next month", domain.StateInReview, "55110", ptr(now.AddDate(0, 0, 30))},
		{"hotel paused", domain.StateRevisionRequested, "55110", nil},
		{"draft", domain.StateDraft, "55110", nil},
	}
	id := map[string]string{}
	for _, en := range entries {
		id[en.name] = e.createApplication("owner", bid, "62010", 0)
		if _, err := e.db.Exec(`UPDATE application SET state = $2, kbli = $3, sla_due_at = $4 WHERE id = $1`,
			id[en.name], string(en.state), en.kbli, en.due); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(names ...string) []string {
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = id[n]
		}
		return out
	}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", ids("overdue hotel", "truck due today", "hotel next month", "hotel paused")},
		{"kbli=55110", ids("overdue hotel", "hotel next month", "hotel paused")},
		{"state=in_review", ids("overdue hotel", "hotel next month")},
		{"state=revision_requested", ids("hotel paused")},
		{"overdue=true", ids("overdue hotel")},
		{"overdue=false", ids("overdue hotel", "truck due today", "hotel next month", "hotel paused")},
		{"due_within_days=1", ids("overdue hotel", "truck due today")},
		{"due_within_days=60", ids("overdue hotel", "truck due today", "hotel next month")},
		{"state=in_review&kbli=55110&due_within_days=60", ids("overdue hotel", "hotel next month")},
		{"state=submitted&overdue=true", nil},
		{"kbli=62010", nil},
	} {
		for _, limit := range []int{1, 100} {
			q, _ := url.ParseQuery(c.query)
			got, dt, od := e.queueIDs(q, limit)
			if !slices.Equal(got, c.want) {
				t.Errorf("?%s (limit %d): %v; want %v", c.query, limit, got, c.want)
			}
			if dt != 1 || od != 1 {
				t.Errorf("?%s: due today %v, overdue %v; the whole queue has 1 and 1", c.query, dt, od)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestABadReviewQueueFilterIsABadRequestNamingTheParameter(t *testing.T) {
	e := start(t)
	for query, field := range map[string]string{
		"state=draft":             "query.state",
		"state=approved":          "query.state",
		"state=IN_REVIEW":         "query.state",
		"kbli=5511":               "query.kbli",
		"kbli=55a10":              "query.kbli",
		"kbli=551100":             "query.kbli",
		"due_within_days=0":       "query.due_within_days",
		"due_within_days=61":      "query.due_within_days",
		"due_within_days=-3":      "query.due_within_days",
		"due_within_days=two":     "query.due_within_days",
		"due_within_days=1.5":     "query.due_within_days",
		"overdue=maybe":           "query.overdue",
		"limit=0":                 "query.limit",
		"limit=101":               "query.limit",
		"cursor=not-a-cursor":     "cursor",
		"state=in_review&kbli=1x": "query.kbli",
	} {
		r := e.do("GET", "/v1/review-queue?"+query, "officer", nil)
		if r.status != 400 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("?%s: %d %s %s", query, r.status, r.header.Get("Content-Type"), r.raw)
			continue
		}
		errs, _ := r.body["errors"].([]any)
		if !slices.ContainsFunc(errs, func(x any) bool { f, _ := x.(map[string]any); return f["field"] == field }) {
			t.Errorf("?%s: the problem does not name %s: %s", query, field, r.raw)
		}
	}
}
