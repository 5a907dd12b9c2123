package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gerbang/e2e/demo"
)

// TestTheDemoDataShowsEveryStateAndLoadsAgainUnchanged: what `make run`
// loads (bin/demo, through the portal's API proxy, as the demo users)
// leaves applications in each state, tenders in each phase, an invoice to
// pay, a payment in manual review, a statement reconciled and one to
// reconcile; loading it again into the same platform makes nothing new.
func TestTheDemoDataShowsEveryStateAndLoadsAgainUnchanged(t *testing.T) {
	p := startPlatform(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	statement := filepath.Join(t.TempDir(), "rekening-koran.csv")
	load := func() *demo.Summary {
		t.Helper()
		var log strings.Builder
		l := &demo.Loader{Base: p.url("portal"), Log: &log, Statement: statement, BidWindow: 20 * time.Second}
		s, err := l.Load(ctx)
		if err != nil {
			t.Fatalf("load: %v\n%s", err, log.String())
		}
		return s
	}
	first := load()

	usaha, vendor2, finance, pokja := p.login(demo.Usaha), p.login(demo.Vendor2), p.login(demo.Finance), p.login(demo.Pokja)
	owner := map[string]string{}
	for key, tok := range map[string]string{"demo-it-0": usaha, "demo-hotel-1": usaha, "demo-usaha-rs": usaha, "demo-usaha-konstruksi": usaha,
		"demo-usaha-restoran": usaha, "demo-it-1": vendor2, "demo-vendor2-hotel": vendor2, "demo-vendor2-konstruksi": vendor2, "demo-vendor2-angkutan": vendor2} {
		owner[key] = tok
	}
	want := map[string]string{
		"demo-it-0": "issued", "demo-it-1": "issued", "demo-vendor2-konstruksi": "issued",
		"demo-hotel-1": "submitted", "demo-vendor2-hotel": "in_review", "demo-usaha-rs": "revision_requested",
		"demo-usaha-konstruksi": "awaiting_payment", "demo-usaha-restoran": "draft", "demo-vendor2-angkutan": "rejected",
	}
	for key, state := range want {
		id := first.Applications[key]
		code, body := p.get("licensing", "/v1/applications/"+id, owner[key])
		if got := decode(t, body)["state"]; code != http.StatusOK || got != state {
			t.Errorf("application %s: %d, state %v, want %s", key, code, got, state)
		}
	}
	if _, body := p.get("licensing", "/v1/applications/"+first.Applications["demo-usaha-rs"], usaha); !strings.Contains(string(body), "ditandatangani") {
		t.Errorf("the revision request carries no note: %s", body)
	}

	phases := map[string]string{}
	for title, id := range first.Tenders {
		_, body := p.get("tender", "/v1/tenders/"+id, pokja)
		phases[title] = decode(t, body)["state"].(string)
	}
	for _, phase := range []string{"draft", "tendering", "objection_period", "cancelled"} {
		found := false
		for _, got := range phases {
			found = found || got == phase
		}
		if !found {
			t.Errorf("no demo tender in phase %s: %v", phase, phases)
		}
	}

	// The announced tender's public page: the result, the winner named.
	for title, id := range first.Tenders {
		if phases[title] != "objection_period" {
			continue
		}
		req, _ := http.NewRequest(http.MethodGet, p.url("portal")+"/tenders/"+id, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{"Hasil tender", "Peringkat 1", "Pemenang", "Nilai akhir"} {
			if !strings.Contains(string(page), want) {
				t.Errorf("the public page of %q does not say %q", title, want)
			}
		}
	}

	states := map[string]int{}
	_, body := p.get("payment", "/v1/invoices?limit=100", finance)
	for _, it := range decode(t, body)["items"].([]any) {
		states[it.(map[string]any)["state"].(string)]++
	}
	for _, s := range []string{"pending", "paid", "reconciled", "manual_review"} {
		if states[s] == 0 {
			t.Errorf("no invoice %s among the demo's: %v", s, states)
		}
	}
	if first.Reconciled == "" {
		t.Error("the first load reconciled no statement")
	} else {
		_, body := p.get("payment", "/v1/reconciliations/"+first.Reconciled, finance)
		var report struct {
			Matched, UnmatchedLines []json.RawMessage
		}
		json.Unmarshal(body, &struct {
			Matched        *[]json.RawMessage `json:"matched"`
			UnmatchedLines *[]json.RawMessage `json:"unmatched_lines"`
		}{&report.Matched, &report.UnmatchedLines})
		if len(report.Matched) != 1 || len(report.UnmatchedLines) != 1 {
			t.Errorf("the reconciled statement: %s, want one line matched and one not", body)
		}
	}
	csv, err := os.ReadFile(statement)
	if err != nil || !strings.HasPrefix(string(csv), "value_date,billing_code,amount,bank_reference\n") || strings.Count(string(csv), "\n") < 3 {
		t.Errorf("the statement to reconcile: %v\n%s", err, csv)
	}

	second := load()
	for key, id := range first.Applications {
		if second.Applications[key] != id {
			t.Errorf("a second load made application %s anew: %s, then %s", key, id, second.Applications[key])
		}
	}
	_, again := p.get("payment", "/v1/invoices?limit=100", finance)
	if n, m := len(decode(t, body)["items"].([]any)), len(decode(t, again)["items"].([]any)); n != m {
		t.Errorf("a second load made invoices: %d, then %d", n, m)
	}
	for title, id := range first.Tenders {
		if second.Tenders[title] != id {
			t.Errorf("a second load did not find tender %q again: %s, then %s", title, id, second.Tenders[title])
		}
	}
	if len(second.Tenders) != 4 {
		t.Errorf("a second load says %d tenders, want the 4 of the first (%v)", len(second.Tenders), second.Tenders)
	}
	_, list := p.get("tender", "/v1/public/tenders?limit=100", "")
	if n := len(decode(t, list)["items"].([]any)); n != 3 {
		t.Errorf("%d published tenders after two loads, want 3", n)
	}
}
