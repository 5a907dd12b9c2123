package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"gerbang/pkg/svctest"
)

// What a business form shows when licensing refuses it, is down, or is too
// slow; and who may see the business pages. The licensing API is stood in
// for by a server answering as api/licensing.yaml says it answers (the
// journey against the real licensing service is e2e's
// TestBrowserBusinessRegistersSeesItsNIBAndFindsItsLicense).

// refusingLicensing answers every registration with licensing's 400
// problem for a bad NPWP and a bad second KBLI, and blocks on a business
// named "Lambat" until the portal gives up.
func refusingLicensing(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/businesses", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Name string   `json:"name"`
			KBLI []string `json:"kbli"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || r.Header.Get("Authorization") == "" || r.Header.Get("Idempotency-Key") == "" {
			http.Error(w, "bad request", http.StatusTeapot)
			return
		}
		if in.Name == "Lambat" {
			<-r.Context().Done()
			return
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"type":"https://gerbang.go.id/problems/invalid","title":"Bad Request","status":400,` +
			`"detail":"the business cannot be registered as given","errors":[` +
			`{"field":"kbli[1]","message":"a KBLI code has 5 digits"},{"field":"npwp","message":"an NPWP has 15 or 16 digits; this one has 3"}]}`))
	})
	mux.HandleFunc("GET /v1/businesses", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"items":[],"next_cursor":null}`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

var typed = url.Values{"name": {"Warung Sari"}, "npwp": {"123"}, "address": {"Jl. Kebon Sirih 12"}, "scale": {"micro"}, "kbli": {"56101, 561"}}

func TestARefusedBusinessFormShowsTheErrorSummaryLinkedToEachFieldAndKeepsTheInput(t *testing.T) {
	svc, _ := startPortal(t, map[string]string{"LICENSING_URL": refusingLicensing(t).URL, "PROXY_TIMEOUT": "500ms"})
	b := signIn(t, svc.URL, "usaha@demo.gerbang.id")
	form := wantPage(t, b.get("/businesses/new"), http.StatusOK, "Daftarkan usaha Anda", `name="idempotency_key"`, `for="npwp"`, "Skala usaha")
	if strings.Contains(form, "Ada yang perlu diperbaiki") {
		t.Error("a fresh form shows errors")
	}

	page := wantPage(t, b.post("/businesses", typed), http.StatusBadRequest,
		`class="error-summary"`, "Ada yang perlu diperbaiki",
		// In the form's order, not the service's, in the catalogue's words.
		`<a href="#npwp">NPWP terdiri dari 15 atau 16 digit`, `<a href="#kbli">Tulis sedikitnya satu kode KBLI`,
		`value="Warung Sari"`, `id="npwp-error"`, `id="npwp" name="npwp" value="123" aria-invalid="true"`,
		`value="Jl. Kebon Sirih 12"`, `value="micro" checked`, `value="56101, 561" aria-invalid="true"`)
	if strings.Count(page, `class="field-error"`) != 2 {
		t.Errorf("want a message beside each of the two fields at fault:\n%s", page)
	}
	b.get("/language/en?back=/")
	wantPage(t, b.post("/businesses", typed), http.StatusBadRequest, "There is a problem", `<a href="#npwp">An NPWP has 15 or 16 digits`, `value="Warung Sari"`)
}

func TestAServiceDownOrSlowSaysSoAndKeepsWhatWasTyped(t *testing.T) {
	slow := refusingLicensing(t)
	down := "http://" + svctest.FreeAddr(t) // nothing listens there
	for _, c := range []struct {
		name, url, business string
		status              int
		says                string
	}{
		{"down", down, "Warung Sari", http.StatusBadGateway, "Layanan perizinan sedang tidak tersedia."},
		{"slow", slow.URL, "Lambat", http.StatusGatewayTimeout, "Layanan perizinan terlalu lama menjawab."},
	} {
		t.Run(c.name, func(t *testing.T) {
			svc, _ := startPortal(t, map[string]string{"LICENSING_URL": c.url, "PROXY_TIMEOUT": "500ms"})
			b := signIn(t, svc.URL, "usaha@demo.gerbang.id")
			in := url.Values{}
			for k, v := range typed {
				in[k] = v
			}
			in.Set("name", c.business)
			wantPage(t, b.post("/businesses", in), c.status, "Ada yang perlu diperbaiki", c.says, "Isian Anda belum dikirim",
				`value="`+c.business+`"`, `value="123"`, `value="56101, 561"`)
			if c.name == "down" {
				// The dashboard still shows, and says licensing could not answer.
				wantPage(t, b.get("/"), http.StatusOK, "Dasbor", "Layanan perizinan sedang tidak tersedia.")
				// A page that is only licensing's data says so, with its status.
				wantPage(t, b.get("/businesses"), c.status, "Usaha saya", c.says, "Coba lagi")
			}
		})
	}
}

func TestTheNavigationAndTheBusinessPagesAreForWhoCanUseThem(t *testing.T) {
	svc, _ := startPortal(t, map[string]string{"LICENSING_URL": refusingLicensing(t).URL})
	business := signIn(t, svc.URL, "usaha@demo.gerbang.id")
	wantPage(t, business.get("/"), http.StatusOK, `href="/businesses"`, "Usaha saya", `href="/licenses/finder"`, `href="/tenders"`)

	officer := signIn(t, svc.URL, "petugas.izin@demo.gerbang.id")
	page := wantPage(t, officer.get("/"), http.StatusOK, "Dasbor", "petugas perizinan", "Antrean pemeriksaan")
	if strings.Contains(page, `href="/businesses"`) || strings.Contains(page, "Izin apa yang saya perlukan?") {
		t.Error("an officer is offered the business's pages")
	}
	wantPage(t, officer.get("/businesses/new"), http.StatusForbidden, "Halaman ini bukan untuk peran Anda.")

	visitor := newBrowser(t, svc.URL)
	page = wantPage(t, visitor.get("/"), http.StatusOK, "Beranda", `href="/licenses/finder"`, `href="/verify"`)
	if strings.Contains(page, `href="/businesses"`) || strings.Contains(page, "Dasbor") {
		t.Error("a visitor is offered a signed-in person's pages")
	}
	wantPage(t, visitor.get("/businesses"), http.StatusUnauthorized, "Sesi Anda telah berakhir")
	wantPage(t, visitor.post("/businesses", typed), http.StatusUnauthorized, "Sesi Anda telah berakhir")
}
