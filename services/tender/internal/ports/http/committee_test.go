package http

import (
	"fmt"
	"testing"
	"time"

	"gerbang/pkg/auth"
)

// TestCommitteeListsTheTendersOfItsMembersWithWhatWaits: each officer sees
// the tenders whose committee names them (drafts too), newest first, by
// state when asked, in keyset pages, with the questions and objections not
// yet answered and whether they have evaluated; nobody else's.
func TestCommitteeListsTheTendersOfItsMembersWithWhatWaits(t *testing.T) {
	h := newHarness(t)
	pokja1 := h.token("pokja-1", auth.RoleProcurementOfficer, "")
	pokja2 := h.token("pokja-2", auth.RoleProcurementOfficer, "")
	pokja3 := h.token("pokja-3", auth.RoleProcurementOfficer, "")
	tendering, _ := h.tenderingTender() // pokja-1, with pokja-2 on its committee
	vendor := h.token("user-a", auth.RoleBusiness, "vendor-a")
	for _, q := range []string{"Apakah merek setara boleh?", "Berapa lama garansinya?"} {
		if r := h.do("POST", "/v1/tenders/"+tendering+"/clarifications", vendor, map[string]any{"question": q}); r.status != 201 {
			t.Fatalf("ask: %d %s", r.status, r.raw)
		}
	}
	list := h.do("GET", "/v1/public/tenders/"+tendering+"/clarifications", "", nil)
	first := list.body["items"].([]any)[0].(map[string]any)["id"].(string)
	if r := h.do("POST", "/v1/tenders/"+tendering+"/clarifications/"+first+"/answer", pokja2, map[string]any{"answer": "Boleh."}); r.status != 200 {
		t.Fatalf("answer: %d %s", r.status, r.raw)
	}
	h.clock.Set(h.clock.Now().Add(time.Minute))
	body := tenderBody()
	body["title"], body["committee"] = "Pengadaan meja kelas", []string{"pokja-3"}
	draft := h.do("POST", "/v1/tenders", pokja1, body)
	if draft.status != 201 {
		t.Fatalf("create: %d %s", draft.status, draft.raw)
	}

	type item struct {
		title, state          string
		questions, objections float64
		evaluated             bool
	}
	read := func(tok, query string) ([]item, string) {
		t.Helper()
		r := h.do("GET", "/v1/committee/tenders"+query, tok, nil)
		if r.status != 200 {
			t.Fatalf("list %s: %d %s", query, r.status, r.raw)
		}
		var out []item
		for _, it := range r.body["items"].([]any) {
			m := it.(map[string]any)
			tn, w := m["tender"].(map[string]any), m["waiting"].(map[string]any)
			out = append(out, item{tn["title"].(string), tn["state"].(string), w["unanswered_questions"].(float64), w["unanswered_objections"].(float64), w["evaluated_by_me"].(bool)})
		}
		next, _ := r.body["next_cursor"].(string)
		return out, next
	}
	want := func(what string, got []item, want ...item) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: %v, want %v", what, got, want)
		}
	}
	laptops := item{"Pengadaan laptop sekolah", "tendering", 1, 0, false}
	desks := item{"Pengadaan meja kelas", "draft", 0, 0, false}
	got, next := read(pokja1, "")
	want("the creator's tenders, newest first", got, desks, laptops)
	if next != "" {
		t.Fatalf("one page has a next cursor %q", next)
	}
	got, _ = read(pokja2, "")
	want("a member's", got, laptops)
	got, _ = read(pokja3, "")
	want("the draft's other member", got, desks)
	got, _ = read(h.token("pokja-9", auth.RoleProcurementOfficer, ""), "")
	want("an officer on no committee", got)
	got, _ = read(pokja1, "?state=draft")
	want("by state", got, desks)
	got, next = read(pokja1, "?limit=1")
	want("first page", got, desks)
	got, last := read(pokja1, "?limit=1&cursor="+next)
	want("second page", got, laptops)
	if last != "" {
		t.Fatalf("the last page has a next cursor %q", last)
	}
	if r := h.do("GET", "/v1/committee/tenders?state=sideways", pokja1, nil); r.status != 400 {
		t.Fatalf("an unknown state: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", "/v1/committee/tenders?cursor=nope", pokja1, nil); r.status != 400 {
		t.Fatalf("a bad cursor: %d %s", r.status, r.raw)
	}
}
