package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"gerbang/services/portal/webtest"
)

// The business's licenses in the portal: "my licenses", a license's page
// with its downloads, suspended and revoked said for what they are, and
// the renewal started from a license near its end. Licensing is stood in
// for by a server answering as api/licensing.yaml says it answers (the
// journey against the real services, with the real certificate, is e2e's
// TestPortalTakesABusinessFromApplicationToLicenseAndTheOfficerThroughReview).

const (
	bizID    = "01930000-0000-7000-8000-00000000b001"
	renewApp = "0193a6f0-2222-7000-8000-0000000000f1" // the application the stand-in creates for a renewal
)

// heldLicenses is a business's licenses: one near its end, one suspended,
// one revoked, one far from its end.
type heldLicenses struct {
	mu       sync.Mutex
	creates  []map[string]any // the bodies of POST /v1/applications
	keys     []string
	renewals []string // ids of applications made, as licensing lists them
	refuse   bool     // POST /v1/applications answers 400 for renewal_of
}

func licenseJSON(n int, status, reason string, until time.Time) map[string]any {
	l := map[string]any{
		"id": fmt.Sprintf("0193a6f0-3333-7000-8000-00000000000%d", n), "number": fmt.Sprintf("LIC-2026-00000%d", n),
		"application_id": fmt.Sprintf("0193a6f0-2222-7000-8000-00000000000%d", n), "business_id": bizID,
		"holder_name": "Hotel Melati Indah", "nib": "8120012345674", "kbli": "55110", "license_type": "IZIN-HOTEL",
		"license_name": fmt.Sprintf("Izin usaha hotel %d", n), "risk": "high", "status": status,
		"issued_at": "2021-12-01T03:00:00Z", "valid_from": "2021-11-30T17:00:00Z", "valid_until": until.UTC().Format(time.RFC3339),
	}
	if reason != "" {
		l["status_reason"] = reason
	}
	return l
}

func (h *heldLicenses) server(t *testing.T) *httptest.Server {
	now := time.Now()
	ls := []map[string]any{
		licenseJSON(1, "active", "", now.Add(20*24*time.Hour)),
		licenseJSON(2, "suspended", "Temuan inspeksi 12/2026: dapur tidak higienis.", now.Add(20*24*time.Hour)),
		licenseJSON(3, "revoked", "Izin diperoleh dengan dokumen palsu.", now.Add(400*24*time.Hour)),
		licenseJSON(4, "active", "", now.Add(400*24*time.Hour)),
	}
	app := func(id, state string, renewalOf any) map[string]any {
		return map[string]any{
			"id": id, "business_id": bizID, "kbli": "55110", "scale": "medium", "size": 120, "state": state, "renewal_of": renewalOf,
			"sla": map[string]any{"days": 15, "used_seconds": 0, "running": false}, "turn_due_at": nil,
			"whose_turn": map[bool]any{true: "applicant", false: nil}[state == "draft"], "version": 1,
			"created_at": "2021-11-01T03:00:00Z", "updated_at": "2021-11-01T03:00:00Z",
		}
	}
	send := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	byApp := func(r *http.Request) map[string]any {
		for _, l := range ls {
			if l["application_id"] == r.PathValue("id") {
				return l
			}
		}
		return nil
	}
	notFound := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"type":"about:blank","title":"Not Found","status":404}`))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/licenses", func(w http.ResponseWriter, r *http.Request) {
		send(w, http.StatusOK, map[string]any{"items": ls, "next_cursor": nil})
	})
	mux.HandleFunc("GET /v1/businesses", func(w http.ResponseWriter, r *http.Request) {
		send(w, http.StatusOK, map[string]any{"items": []any{}, "next_cursor": nil})
	})
	mux.HandleFunc("GET /v1/applications", func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		defer h.mu.Unlock()
		items := []any{}
		for _, id := range h.renewals {
			items = append(items, app(id, "draft", ls[0]["id"]))
		}
		send(w, http.StatusOK, map[string]any{"items": items, "next_cursor": nil})
	})
	mux.HandleFunc("GET /v1/applications/{id}", func(w http.ResponseWriter, r *http.Request) {
		if byApp(r) == nil {
			notFound(w)
			return
		}
		send(w, http.StatusOK, app(r.PathValue("id"), "issued", nil))
	})
	mux.HandleFunc("POST /v1/applications", func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		if json.NewDecoder(r.Body).Decode(&in) != nil || r.Header.Get("Authorization") == "" {
			http.Error(w, "bad request", http.StatusTeapot)
			return
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.refuse {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"type":"https://gerbang.go.id/problems/invalid","title":"Bad Request","status":400,"detail":"a renewal is for the same business and activity",` +
				`"errors":[{"field":"renewal_of","message":"license LIC-2026-000001 is for business x, KBLI 55110"}]}`))
			return
		}
		h.creates = append(h.creates, in)
		h.keys = append(h.keys, r.Header.Get("Idempotency-Key"))
		h.renewals = []string{renewApp}
		send(w, http.StatusCreated, app(renewApp, "draft", in["renewal_of"]))
	})
	mux.HandleFunc("GET /v1/applications/{id}/license", func(w http.ResponseWriter, r *http.Request) {
		if l := byApp(r); l != nil {
			send(w, http.StatusOK, l)
			return
		}
		notFound(w)
	})
	mux.HandleFunc("GET /v1/applications/{id}/license/certificate", func(w http.ResponseWriter, r *http.Request) {
		l := byApp(r)
		if l == nil {
			notFound(w)
			return
		}
		w.Header().Set("Content-Type", "application/pdf")
		fmt.Fprintf(w, "%%PDF-1.4\n%% certificate of %s\n%%%%EOF\n", l["number"])
	})
	mux.HandleFunc("GET /v1/applications/{id}/license/signed", func(w http.ResponseWriter, r *http.Request) {
		l := byApp(r)
		if l == nil {
			notFound(w)
			return
		}
		send(w, http.StatusOK, map[string]any{"header": map[string]any{"alg": "EdDSA", "kid": "k1"}, "payload": map[string]any{"number": l["number"]}, "signature": "c2ln"})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestTheBusinessSeesItsLicensesDownloadsThemAndRenewsTheOneNearItsEnd(t *testing.T) {
	held := &heldLicenses{}
	svc, _ := startPortal(t, map[string]string{"LICENSING_URL": held.server(t).URL})
	b := signIn(t, svc.URL, "usaha@demo.gerbang.id")

	// The dashboard names them and leads to them.
	wantPage(t, b.get("/"), http.StatusOK, "Izin Anda", `href="/applications/0193a6f0-2222-7000-8000-000000000001/license"`, "Izin usaha hotel 1",
		"Saatnya memperpanjang", "Dibekukan", "Dicabut", `href="/licenses"`, "Semua izin saya")

	list := wantPage(t, b.get("/licenses"), http.StatusOK, "<h1>Izin saya</h1>",
		"Izin usaha hotel 1", "LIC-2026-000001", "Aktif", "Saatnya memperpanjang",
		"Izin usaha hotel 2", "Dibekukan", "Izin usaha hotel 3", "Dicabut", "Izin usaha hotel 4", "Aktif")
	if strings.Count(list, "Saatnya memperpanjang") != 1 {
		t.Error("more than the license near its end is offered renewal")
	}
	if !strings.Contains(list, `href="/licenses" aria-current="page"`) {
		t.Error("the navigation does not mark my licenses as the current page")
	}
	finder := wantPage(t, b.get("/licenses/finder"), http.StatusOK)
	if strings.Contains(finder, `href="/licenses" aria-current`) || !strings.Contains(finder, `href="/licenses/finder" aria-current="page"`) {
		t.Error("on the finder, the navigation marks my licenses as current")
	}

	// A license's page: what it is, its downloads, its renewal.
	first := "/applications/0193a6f0-2222-7000-8000-000000000001/license"
	wantPage(t, b.get(first), http.StatusOK, "<h1>Izin usaha hotel 1</h1>", "Aktif", "Izin ini sah dan berlaku.", "LIC-2026-000001",
		"8120012345674", "Tingkat risiko", "Tinggi", "Unduh sertifikat (PDF)", `href="/verify/LIC-2026-000001"`, "Ajukan perpanjangan")
	pdf := b.get(first + "/certificate.pdf")
	if pdf.status != http.StatusOK || pdf.header.Get("Content-Type") != "application/pdf" ||
		pdf.header.Get("Content-Disposition") != `attachment; filename="LIC-2026-000001.pdf"` || !strings.Contains(string(pdf.body), "certificate of LIC-2026-000001") {
		t.Errorf("certificate: %d %v\n%s", pdf.status, pdf.header, pdf.body)
	}
	signed := b.get(first + "/signed.json")
	if signed.status != http.StatusOK || signed.header.Get("Content-Disposition") != `attachment; filename="LIC-2026-000001.json"` || !strings.Contains(string(signed.body), `"kid":"k1"`) {
		t.Errorf("signed license: %d %v\n%s", signed.status, signed.header, signed.body)
	}
	if a := b.get(first + "/other.txt"); a.status != http.StatusNotFound {
		t.Errorf("a download that does not exist: %d", a.status)
	}
	wantPage(t, b.get("/applications/0193a6f0-2222-7000-8000-000000000009/license"), http.StatusNotFound)

	// Suspended and revoked, for what they are; neither can be renewed.
	second := "/applications/0193a6f0-2222-7000-8000-000000000002/license"
	wantPage(t, b.get(second), http.StatusOK, "Dibekukan", "Izin ini sedang dibekukan", "Alasan petugas:", "Temuan inspeksi 12/2026", "kegiatan usaha ini tidak boleh dijalankan",
		"Izin yang dibekukan atau dicabut tidak dapat diperpanjang.")
	wantPage(t, b.get("/applications/0193a6f0-2222-7000-8000-000000000003/license"), http.StatusOK, "Dicabut", "Izin ini telah dicabut", "Izin diperoleh dengan dokumen palsu.")
	refused := wantPage(t, b.post(second+"/renew", url.Values{"key": {"0193a6f0-0000-7000-8000-0000000000c1"}}), http.StatusConflict,
		`class="error-summary"`, "Ada yang perlu diperbaiki", "Izin ini belum atau tidak dapat diperpanjang.", "Dibekukan")
	if strings.Contains(refused, `action="`+second+`/renew"`) {
		t.Error("a suspended license offers the renewal form")
	}
	wantPage(t, b.post("/applications/0193a6f0-2222-7000-8000-000000000004/license/renew", url.Values{}), http.StatusConflict,
		"Izin ini belum atau tidak dapat diperpanjang.")
	wantPage(t, b.get("/applications/0193a6f0-2222-7000-8000-000000000004/license"), http.StatusOK, "Perpanjangan dapat diajukan mulai 90 hari sebelum izin berakhir.")
	if len(held.creates) != 0 {
		t.Fatalf("a refused renewal reached licensing: %v", held.creates)
	}
	if a := (&browser{t: t, base: svc.URL, client: b.client, csrf: "forged"}).post(first+"/renew", url.Values{}); a.status != http.StatusForbidden {
		t.Errorf("a renewal without this page's CSRF token: %d", a.status)
	}

	// Licensing refuses the renewal: said on the license page, the form
	// kept with its key (sent again, it is the same request).
	key := "0193a6f0-0000-7000-8000-0000000000c2"
	held.mu.Lock()
	held.refuse = true
	held.mu.Unlock()
	page := wantPage(t, b.post(first+"/renew", url.Values{"key": {key}}), http.StatusBadRequest,
		`class="error-summary"`, "Perpanjangan harus untuk usaha dan kegiatan yang sama dengan izin ini.", "Ajukan perpanjangan")
	if !strings.Contains(page, `name="key" value="`+key+`"`) {
		t.Error("the refused renewal's form does not keep its key")
	}
	held.mu.Lock()
	held.refuse = false
	held.mu.Unlock()

	// The renewal: a new application naming the license, then its task list.
	if a := b.post(first+"/renew", url.Values{"key": {key}}); a.status != http.StatusSeeOther || a.header.Get("Location") != "/applications/"+renewApp {
		t.Fatalf("renew: %d %q\n%s", a.status, a.header.Get("Location"), a.body)
	}
	if len(held.creates) != 1 || held.keys[0] != key {
		t.Fatalf("licensing got %v (keys %v)", held.creates, held.keys)
	}
	want := map[string]any{"business_id": bizID, "kbli": "55110", "size": float64(120), "renewal_of": "0193a6f0-3333-7000-8000-000000000001"}
	for k, v := range want {
		if held.creates[0][k] != v {
			t.Errorf("the renewal's %s is %v, want %v", k, held.creates[0][k], v)
		}
	}
	// Back and pressed again: the renewal under way, not a second one.
	wantPage(t, b.get(first), http.StatusOK, "Permohonan perpanjangan izin ini sedang berjalan.", `href="/applications/`+renewApp+`"`)
	if a := b.post(first+"/renew", url.Values{"key": {key}}); a.status != http.StatusSeeOther || a.header.Get("Location") != "/applications/"+renewApp || len(held.creates) != 1 {
		t.Fatalf("renew again: %d %q, %d creates", a.status, a.header.Get("Location"), len(held.creates))
	}

	// An officer has no "my licenses".
	officer := signIn(t, svc.URL, "petugas.izin@demo.gerbang.id")
	if page := string(officer.get("/").body); strings.Contains(page, `href="/licenses"`) {
		t.Error("an officer is offered my licenses")
	}
	wantPage(t, officer.get("/licenses"), http.StatusForbidden, "Halaman ini bukan untuk peran Anda.")
}

// The license pages in headless Chromium on a phone and a desktop, each
// checked with axe-core (WCAG 2.2 A and AA) and for sideways scrolling,
// the refused renewal's error summary included.
func TestBrowserShowsTheLicensePagesAccessibly(t *testing.T) {
	held := &heldLicenses{}
	svc, _ := startPortal(t, map[string]string{"LICENSING_URL": held.server(t).URL})
	b := webtest.Start(t)
	for _, v := range webtest.Viewports {
		t.Run(v.Name, func(t *testing.T) {
			tab := b.Tab(t, v)
			check := func() {
				t.Helper()
				tab.Accessible()
				tab.FitsTheScreen()
			}
			tab.Go(svc.URL + "/login")
			tab.Fill("#email", "usaha@demo.gerbang.id")
			tab.Fill("#password", "demo12345")
			tab.Submit(`main form[action="/login"]`)
			tab.See("Dasbor", "Izin Anda", "Saatnya memperpanjang")
			check()
			tab.ClickAndWait(`nav a[href="/licenses"]`)
			tab.See("Izin saya", "LIC-2026-000001", "Dibekukan", "Dicabut")
			check()
			tab.ClickAndWait(`main a[href="/applications/0193a6f0-2222-7000-8000-000000000002/license"]`)
			tab.See("Izin usaha hotel 2", "Izin ini sedang dibekukan", "Temuan inspeksi 12/2026", "tidak dapat diperpanjang")
			check()
			tab.Go(svc.URL + "/applications/0193a6f0-2222-7000-8000-000000000004/license")
			tab.See("Izin usaha hotel 4", "Aktif", "Unduh sertifikat (PDF)", "Perpanjangan dapat diajukan mulai 90 hari")
			check()
			tab.Go(svc.URL + "/applications/0193a6f0-2222-7000-8000-000000000001/license")
			tab.See("Izin usaha hotel 1", "Aktif", "Ajukan perpanjangan")
			check()
		})
	}
}
