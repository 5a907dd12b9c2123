package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// Licenses the fake licensing service knows, as its public API answers them.
var fakeLicenses = map[string]string{
	"LIC-2026-000123": `{"genuine":true,"number":"LIC-2026-000123","holder_name":"Warung Makan Sari Rasa","nib":"8120012345674","kbli":"56101","license_name":"Sertifikat Standar terverifikasi: usaha pangan","status":"active","valid_from":"2026-03-08T17:00:00Z","valid_until":"2031-03-08T17:00:00Z"}`,
	"LIC-2026-000124": `{"genuine":true,"number":"LIC-2026-000124","holder_name":"CV Maju Jaya","nib":"8120012345675","kbli":"46512","license_name":"Izin Usaha Perdagangan","status":"revoked","valid_from":"2026-01-04T17:00:00Z","valid_until":null}`,
	"LIC-2026-000125": `{"genuine":true,"number":"LIC-2026-000125","holder_name":"PT Karya Nusantara","nib":"8120012345676","kbli":"41011","license_name":"Izin Usaha Konstruksi","status":"suspended","valid_from":"2026-01-04T17:00:00Z","valid_until":"2031-01-04T17:00:00Z"}`,
	"LIC-2026-000126": `{"genuine":true,"number":"LIC-2026-000126","holder_name":"UD Sumber Rejeki","nib":"8120012345677","kbli":"47111","license_name":"Izin Usaha Toko","status":"expired","valid_from":"2021-01-04T17:00:00Z","valid_until":"2026-01-04T17:00:00Z"}`,
	// Still active in licensing, but its validity ended before its
	// scheduler ran.
	"LIC-2020-000127": `{"genuine":true,"number":"LIC-2020-000127","holder_name":"Toko Lama","nib":"8120012345678","kbli":"47111","license_name":"Izin Usaha Toko","status":"active","valid_from":"2020-01-04T17:00:00Z","valid_until":"2025-01-04T17:00:00Z"}`,
}

const slowLicense = "LIC-2026-999999" // licensing never answers for it

// fakeLicensing stands in for licensing's public verification API.
func fakeLicensing(t *testing.T, calls *atomic.Int64) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/public/licenses/{number}", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		number := r.PathValue("number")
		if number == slowLicense {
			<-r.Context().Done() // until the portal gives up
			return
		}
		body, ok := fakeLicenses[number]
		if !ok {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"type":"https://gerbang.go.id/problems/not_found","title":"Not Found","status":404}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body))
	})
	mux.HandleFunc("GET /v1/licenses", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"items":[],"next_cursor":null}`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

const (
	openTender   = "0193a6f0-0000-7000-8000-0000000000aa"
	openedTender = "0193a6f0-0000-7000-8000-0000000000bb"
	nextCursor   = "eyJpZCI6MTd9"
)

var fakeTenders = map[string]string{
	openTender:   `{"id":"` + openTender + `","number":"TND-2026-0042","state":"tendering","version":3,"amendment":1,"buyer_agency":"Dinas Pendidikan Provinsi Jawa Barat","title":"Pengadaan laptop sekolah","description":"120 unit laptop untuk SMA negeri.","category":"goods","hps":{"amount":1000000000,"currency":"IDR"},"hps_public":true,"kbli":"46512","procurement_method":"tender","evaluation":{"method":"lowest_price"},"bid_security":{"amount":20000000,"currency":"IDR"},"bid_period_start":"2026-12-01T01:00:00Z","bid_deadline":"2026-12-10T03:00:00Z","objection_days":5,"min_bids":1,"published_at":"2026-11-25T02:00:00Z"}`,
	openedTender: `{"id":"` + openedTender + `","number":"TND-2026-0043","state":"evaluation","version":5,"amendment":0,"buyer_agency":"Dinas PUPR Kota Bandung","title":"Rehabilitasi jembatan","description":"","category":"works","hps":{"amount":5000000000,"currency":"IDR"},"hps_public":false,"kbli":"42101","procurement_method":"tender","evaluation":{"method":"quality_cost"},"bid_security":{"amount":0,"currency":"IDR"},"bid_period_start":"2026-11-01T01:00:00Z","bid_deadline":"2026-11-20T03:00:00Z","objection_days":5,"min_bids":1,"published_at":"2026-10-30T02:00:00Z"}`,
}

const fakeOpening = `{"tender_id":"` + openedTender + `","opened_at":"2026-11-20T04:00:00Z","valid_bids":1,"bids":[` +
	`{"bid_id":"0193a6f0-0000-7000-8000-000000000001","vendor":"0193a6f0-0000-7000-8000-00000000b001","vendor_name":"CV Maju Jaya","submitted_at":"2026-11-19T08:15:02.123456Z","price":{"amount":875000000,"currency":"IDR"},"disqualified":""},` +
	`{"bid_id":"0193a6f0-0000-7000-8000-000000000002","vendor":"0193a6f0-0000-7000-8000-00000000b002","submitted_at":"2026-11-19T09:00:00Z","price":null,"decrypt_error":"open bid: message authentication failed","disqualified":"the sealed bid could not be decrypted"}]}`

// fakeTender stands in for tender's public API.
func fakeTender(t *testing.T, calls *atomic.Int64) *httptest.Server {
	mux := http.NewServeMux()
	notFound := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"type":"https://gerbang.go.id/problems/not_found","title":"Not Found","status":404}`))
	}
	mux.HandleFunc("GET /v1/public/tenders", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var items []json.RawMessage
		next := `"` + nextCursor + `"`
		switch r.URL.Query().Get("cursor") {
		case "":
			items = []json.RawMessage{json.RawMessage(fakeTenders[openTender])}
		case nextCursor:
			items, next = []json.RawMessage{json.RawMessage(fakeTenders[openedTender])}, "null"
		default:
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"type":"https://gerbang.go.id/problems/invalid","title":"Bad Request","status":400}`))
			return
		}
		if r.URL.Query().Get("limit") == "" {
			t.Errorf("the portal asked for tenders without a limit")
		}
		list, _ := json.Marshal(items)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"items":` + string(list) + `,"next_cursor":` + next + `}`))
	})
	mux.HandleFunc("GET /v1/public/tenders/{id}", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		body, ok := fakeTenders[r.PathValue("id")]
		if !ok {
			notFound(w)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body))
	})
	mux.HandleFunc("GET /v1/tenders/{id}/bids", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("Authorization") == "" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"items":[]}`))
	})
	mux.HandleFunc("GET /v1/public/tenders/{id}/clarifications", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if _, ok := fakeTenders[r.PathValue("id")]; !ok {
			notFound(w)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"items":[{"id":"0193a6f0-0000-7000-8000-0000000000c1","question":"Apakah merek setara diperbolehkan?","asked_at":"2026-11-18T03:00:00Z",` +
			`"answer":"Boleh, dengan spesifikasi yang sama atau lebih baik.","answered_at":"2026-11-18T07:00:00Z"},` +
			`{"id":"0193a6f0-0000-7000-8000-0000000000c2","question":"Berapa lama garansi minimal?","asked_at":"2026-11-19T03:00:00Z","answer":null,"answered_at":null}]}`))
	})
	mux.HandleFunc("GET /v1/public/tenders/{id}/opening", func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.PathValue("id") != openedTender {
			notFound(w)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(fakeOpening))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// wantPage checks an HTML page's status and that it says each of want, in
// that order, runs only the portal's own scripts, and is readable without
// them (server-rendered).
func wantPage(t *testing.T, a answer, status int, want ...string) string {
	t.Helper()
	page := string(a.body)
	if a.status != status || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d %q, want %d HTML:\n%s", a.status, a.header.Get("Content-Type"), status, page)
	}
	at := 0
	for _, w := range want {
		i := strings.Index(page[at:], w)
		if i < 0 {
			if strings.Contains(page, w) {
				t.Errorf("page says %q, but not after %q", w, want)
			} else {
				t.Errorf("page lacks %q", w)
			}
			continue
		}
		at += i + len(w)
	}
	for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(page, -1) {
		if !strings.Contains(tag, `src="/static/`) {
			t.Errorf("the page runs a script not served by the portal: %s", tag)
		}
	}
	if csp := a.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q", csp)
	}
	return page
}

// english is the header of a browser that chose English with the switch.
var english = map[string]string{"Cookie": "gerbang_lang=en"}

func TestPublicPages(t *testing.T) {
	var licensingCalls, tenderCalls atomic.Int64
	licensing := fakeLicensing(t, &licensingCalls)
	tender := fakeTender(t, &tenderCalls)
	svc, _ := startPortal(t, map[string]string{"LICENSING_URL": licensing.URL, "TENDER_URL": tender.URL, "PROXY_TIMEOUT": "500ms"})
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	t.Run("TestHomePageLinksThePublicPages", func(t *testing.T) {
		wantPage(t, do(t, nil, http.MethodGet, svc.URL+"/", nil, nil), http.StatusOK, `href="/verify"`, `href="/tenders"`)
	})

	t.Run("TestGenuineLicenseShowsItsStatusAndValidityInWIB", func(t *testing.T) {
		page := wantPage(t, do(t, nil, http.MethodGet, svc.URL+"/verify/LIC-2026-000123", nil, nil), http.StatusOK,
			"Izin asli",
			"Aktif", "Izin ini sah dan berlaku.",
			"Warung Makan Sari Rasa", "8120012345674", "Sertifikat Standar terverifikasi: usaha pangan", "56101",
			"09-03-2026 00:00 WIB", "09-03-2031 00:00 WIB")
		if strings.Contains(page, "tidak ditemukan") {
			t.Error("a genuine license is said not to be found")
		}
	})

	t.Run("TestLiveStatusIsShownInTheChosenLanguage", func(t *testing.T) {
		cases := []struct{ number, status, meaning, statusEN, meaningEN string }{
			{"LIC-2026-000124", "Dicabut", "Izin ini telah dicabut", "Revoked", "This license has been revoked"},
			{"LIC-2026-000125", "Dibekukan", "Izin ini sedang dibekukan", "Suspended", "This license is suspended"},
			{"LIC-2026-000126", "Kedaluwarsa", "Masa berlaku izin ini telah habis", "Expired", "This license has expired"},
			{"LIC-2020-000127", "Kedaluwarsa", "Masa berlaku izin ini telah habis", "Expired", "This license has expired"},
		}
		for _, c := range cases {
			page := wantPage(t, do(t, nil, http.MethodGet, svc.URL+"/verify/"+c.number, nil, nil), http.StatusOK, "Izin asli", c.status, c.meaning, c.number)
			if strings.Contains(page, ">Aktif<") || strings.Contains(page, c.statusEN+"<") {
				t.Errorf("%s is shown active, or in English", c.number)
			}
			wantPage(t, do(t, nil, http.MethodGet, svc.URL+"/verify/"+c.number, english, nil), http.StatusOK, `<html lang="en">`, "Genuine license", c.statusEN, c.meaningEN, c.number)
		}
		wantPage(t, do(t, nil, http.MethodGet, svc.URL+"/verify/LIC-2026-000124", nil, nil), http.StatusOK, "Selama usaha berjalan")
		wantPage(t, do(t, nil, http.MethodGet, svc.URL+"/verify/LIC-2026-000124", english, nil), http.StatusOK, "While the business operates")
	})

	t.Run("TestNumberIsReadAsPrintedWhateverTheCase", func(t *testing.T) {
		wantPage(t, do(t, nil, http.MethodGet, svc.URL+"/verify/lic-2026-000123", nil, nil), http.StatusOK, "Izin asli", "LIC-2026-000123")
	})

	t.Run("TestUnknownNumberIsNotFound", func(t *testing.T) {
		page := wantPage(t, do(t, nil, http.MethodGet, svc.URL+"/verify/LIC-2026-000999", nil, nil), http.StatusNotFound,
			"Izin tidak ditemukan", "LIC-2026-000999")
		if strings.Contains(page, "Izin asli") {
			t.Error("an unknown number is called genuine")
		}
	})

	t.Run("TestWhatCannotBeALicenseNumberIsNotFoundWithoutAskingLicensing", func(t *testing.T) {
		before := licensingCalls.Load()
		for _, n := range []string{"bukan-nomor", "LIC-2026-12", "%3Cscript%3E"} {
			page := wantPage(t, do(t, nil, http.MethodGet, svc.URL+"/verify/"+n, nil, nil), http.StatusNotFound, "Izin tidak ditemukan")
			if strings.Contains(page, "<script>") {
				t.Errorf("%s is echoed unescaped", n)
			}
		}
		if n := licensingCalls.Load() - before; n != 0 {
			t.Errorf("licensing was asked %d times", n)
		}
	})

	t.Run("TestVerifyFormLeadsToTheNumbersPage", func(t *testing.T) {
		wantPage(t, do(t, nil, http.MethodGet, svc.URL+"/verify", nil, nil), http.StatusOK, `action="/verify"`, "Nomor izin", `name="number"`)
		a := do(t, noRedirect, http.MethodGet, svc.URL+"/verify?number=+lic-2026-000123+", nil, nil)
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/verify/LIC-2026-000123" {
			t.Fatalf("form sent: %d to %q", a.status, a.header.Get("Location"))
		}
	})

	t.Run("TestTenderListShowsRupiahAndWIB", func(t *testing.T) {
		wantPage(t, do(t, nil, http.MethodGet, svc.URL+"/tenders", nil, nil), http.StatusOK,
			"Pengumuman tender",
			`href="/tenders/`+openTender+`"`, "Pengadaan laptop sekolah", "TND-2026-0042", "Masa penawaran",
			"Rp 1.000.000.000", "10-12-2026 10:00 WIB", "cursor="+nextCursor)
		page := wantPage(t, do(t, nil, http.MethodGet, svc.URL+"/tenders?cursor="+nextCursor, nil, nil), http.StatusOK, "Rehabilitasi jembatan", "Evaluasi")
		if strings.Contains(page, "Rp 5.000.000.000") || strings.Contains(page, "Halaman berikutnya") {
			t.Error("the last page shows an unpublished HPS or a next page")
		}
		wantPage(t, do(t, nil, http.MethodGet, svc.URL+"/tenders?cursor=rusak", nil, nil), http.StatusBadRequest, "Permintaan ini tidak valid")
	})

	t.Run("TestTenderDetailShowsTermsAndOCDSLinks", func(t *testing.T) {
		page := wantPage(t, do(t, nil, http.MethodGet, svc.URL+"/tenders/"+openTender, nil, nil), http.StatusOK,
			"Pengadaan laptop sekolah", "Masa penawaran", "Adendum 1", "TND-2026-0042", "Dinas Pendidikan Provinsi Jawa Barat",
			"Barang", "Harga terendah", "Rp 1.000.000.000", "Rp 20.000.000", "01-12-2026 08:00 WIB", "10-12-2026 10:00 WIB",
			"120 unit laptop untuk SMA negeri.",
			"Tanya jawab", "Apakah merek setara diperbolehkan?", "Boleh, dengan spesifikasi yang sama atau lebih baik.", "Berapa lama garansi minimal?", "Belum dijawab",
			`href="/api/tender/v1/public/ocds/tenders/`+openTender+`/releases"`, `href="/api/tender/v1/public/ocds/tenders/`+openTender+`/record"`)
		if strings.Contains(page, "Pembukaan penawaran") {
			t.Error("a tender still open for bids shows an opening")
		}
	})

	t.Run("TestTenderDetailShowsTheOpeningRecord", func(t *testing.T) {
		page := wantPage(t, do(t, nil, http.MethodGet, svc.URL+"/tenders/"+openedTender, nil, nil), http.StatusOK,
			"Rehabilitasi jembatan", "Kualitas dan biaya", "Tidak diumumkan",
			"Pembukaan penawaran", "20-11-2026 11:00 WIB", "2 penawaran, 1 sah",
			"CV Maju Jaya", "Rp 875.000.000", "19-11-2026 15:15 WIB", "Lanjut evaluasi",
			"0193a6f0-0000-7000-8000-00000000b002", "tidak terbaca", "Gugur", "penawaran tersegel tidak dapat dibuka")
		if strings.Contains(page, `id="bid"`) {
			t.Error("a visitor is shown an empty bid section on a tender past its bidding")
		}
		if strings.Contains(page, "Rp 5.000.000.000") {
			t.Error("an unpublished HPS is shown")
		}
	})

	t.Run("TestUnknownTenderIsNotFound", func(t *testing.T) {
		before := tenderCalls.Load()
		wantPage(t, do(t, nil, http.MethodGet, svc.URL+"/tenders/not-a-uuid", nil, nil), http.StatusNotFound, "Tender tidak ditemukan")
		if n := tenderCalls.Load() - before; n != 0 {
			t.Errorf("tender was asked %d times about an id that is no UUID", n)
		}
		wantPage(t, do(t, nil, http.MethodGet, svc.URL+"/tenders/0193a6f0-0000-7000-8000-0000000000cc", nil, nil), http.StatusNotFound, "Tender tidak ditemukan")
	})

	t.Run("TestSlowLicensingGets504Page", func(t *testing.T) {
		page := wantPage(t, do(t, nil, http.MethodGet, svc.URL+"/verify/"+slowLicense, nil, nil), http.StatusGatewayTimeout,
			"Layanan perizinan terlalu lama menjawab", "Coba lagi")
		if strings.Contains(page, "tidak ditemukan") || strings.Contains(page, "Izin asli") {
			t.Error("a slow licensing service is taken for an answer")
		}
	})

	// Last: the services go away.
	t.Run("TestServicesDownGet502PagesNeverNotFound", func(t *testing.T) {
		licensing.Close()
		tender.Close()
		cases := []struct{ path, says string }{
			{"/verify/LIC-2026-000123", "Layanan perizinan sedang tidak tersedia"},
			{"/tenders", "Layanan tender sedang tidak tersedia"},
			{"/tenders/" + openTender, "Layanan tender sedang tidak tersedia"},
		}
		for _, c := range cases {
			page := wantPage(t, do(t, nil, http.MethodGet, svc.URL+c.path, nil, nil), http.StatusBadGateway, c.says, "Coba lagi")
			wantPage(t, do(t, nil, http.MethodGet, svc.URL+c.path, english, nil), http.StatusBadGateway, "service is unavailable", "Try again")
			if strings.Contains(page, "tidak ditemukan") {
				t.Errorf("%s: a service down is taken for not found", c.path)
			}
		}
	})
}
