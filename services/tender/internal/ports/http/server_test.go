package http

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"gerbang/pkg/auth"
	"gerbang/pkg/clock"
	"gerbang/pkg/dbx"
	"gerbang/pkg/httpx"
	"gerbang/pkg/pgtest"
	"gerbang/services/tender/internal/adapters/postgres"
	"gerbang/services/tender/internal/app"
	"gerbang/services/tender/internal/domain"
	"gerbang/services/tender/internal/ocds"
	"gerbang/services/tender/internal/ocds/ocdstest"
	"gerbang/services/tender/internal/ports/http/oapi"
	"gerbang/services/tender/migrations"
)

var t0 = time.Date(2026, 11, 2, 2, 0, 0, 0, time.UTC)

type harness struct {
	t      testing.TB
	app    *fiber.App
	svc    *app.Service
	db     *pgtest.DB
	clock  *clock.Fake
	issuer auth.Issuer
}

func newHarness(t testing.TB) *harness { return newHarnessWith(t, Options{}) }

func newHarnessWith(t testing.TB, opts Options) *harness {
	t.Helper()
	db := pgtest.New(t, migrations.FS)
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	kek, _ := domain.NewKEK(raw)
	_, receiptKey, _ := ed25519.GenerateKey(rand.Reader)
	clk := clock.NewFake(t0)
	store := postgres.New(db.DB)
	svc := app.New(store, kek, receiptKey, "receipt-1", clk)
	key, _ := auth.NewSigningKey()
	log := slog.New(slog.DiscardHandler)
	a := httpx.New(httpx.Options{Name: "tender", Log: log, BodyLimits: BodyLimits()})
	verifier := &auth.Verifier{Keys: auth.StaticKeys{key.Public()}, Issuer: auth.DefaultIssuer, Audience: auth.DefaultAudience}
	pub := ocds.Publisher{Name: "Gerbang", Prefix: "ocds-gbg001", BaseURL: "https://gerbang.go.id/api/tender", License: "https://creativecommons.org/licenses/by/4.0/"}
	opts.Verifier, opts.OCDS, opts.Clock = verifier, pub, clk
	if err := Routes(a, svc, opts); err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, app: a, svc: svc, db: db, clock: clk,
		issuer: auth.Issuer{Key: key, Issuer: auth.DefaultIssuer, Audience: auth.DefaultAudience}}
}

func (h *harness) officer() app.Caller {
	return app.Caller{Principal: auth.Principal{Subject: "pokja-1", Roles: []string{auth.RoleProcurementOfficer}}}
}

func (h *harness) token(sub, role, org string) string {
	h.t.Helper()
	tok, err := h.issuer.Mint(auth.Principal{Subject: sub, Roles: []string{role}, Org: org}, time.Hour, time.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

type resp struct {
	status int
	body   map[string]any
	raw    string
}

func (h *harness) do(method, path, token string, body any, headers ...string) resp {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := h.app.Test(req, -1)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := resp{status: res.StatusCode, raw: string(raw)}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

func (h *harness) license(vendor string) {
	h.t.Helper()
	err := dbx.WithTx(context.Background(), h.db.DB, func(tx *sqlx.Tx) error {
		return postgres.InTx(tx).ApplyLicense(context.Background(), domain.VendorLicense{
			LicenseID: "lic-" + vendor, BusinessID: vendor, HolderName: "Usaha " + vendor, KBLI: "46512", Status: domain.LicenseActive, EventTime: t0}, "ev")
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

func tenderBody() map[string]any {
	return map[string]any{
		"buyer_agency": "Dinas Pendidikan Provinsi Jawa Barat", "title": "Pengadaan laptop sekolah", "category": "goods",
		"hps": map[string]any{"amount": 1_000_000_000, "currency": "IDR"}, "hps_public": false, "kbli": "46512",
		"procurement_method": "tender", "evaluation": map[string]any{"method": "lowest_price"},
		"bid_period_start": t0.Add(24 * time.Hour).Format(time.RFC3339), "bid_deadline": t0.Add(240 * time.Hour).Format(time.RFC3339),
		"committee": []string{"pokja-2"},
	}
}

func bidBody(price int64, offer string) map[string]any {
	return map[string]any{"price": map[string]any{"amount": price, "currency": "IDR"}, "technical_offer": offer,
		"documents": []map[string]any{{"name": "teknis.txt", "content": base64.StdEncoding.EncodeToString([]byte("dokumen " + offer))}}}
}

func (h *harness) tenderingTender() (id string, deadline time.Time) {
	h.t.Helper()
	officer := h.token("pokja-1", auth.RoleProcurementOfficer, "")
	r := h.do("POST", "/v1/tenders", officer, tenderBody())
	if r.status != 201 {
		h.t.Fatalf("create: %d %s", r.status, r.raw)
	}
	id = r.body["id"].(string)
	if r := h.do("POST", "/v1/tenders/"+id+"/publish", officer, nil, "If-Match", fmt.Sprintf("%q", fmt.Sprint(r.body["version"]))); r.status != 200 {
		h.t.Fatalf("publish: %d %s", r.status, r.raw)
	}
	h.clock.Set(t0.Add(24 * time.Hour))
	if _, err := h.svc.AdvanceDueTenders(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	return id, t0.Add(240 * time.Hour)
}

func TestTenderJourneyOverHTTP(t *testing.T) {
	h := newHarness(t)
	id, deadline := h.tenderingTender()
	vendorA := h.token("user-a", auth.RoleBusiness, "vendor-a")
	vendorB := h.token("user-b", auth.RoleBusiness, "vendor-b")
	officer := h.token("pokja-2", auth.RoleProcurementOfficer, "")

	// Not licensed: 403 naming the license.
	r := h.do("POST", "/v1/tenders/"+id+"/bids", vendorA, bidBody(900_000_000, "A"), "Idempotency-Key", "k-a-1")
	if r.status != 403 || !strings.Contains(r.raw, "46512") || r.body["missing_license"] == nil {
		t.Fatalf("unlicensed bid: %d %s", r.status, r.raw)
	}
	h.license("vendor-a")
	h.license("vendor-b")
	if r := h.do("POST", "/v1/tenders/"+id+"/bids", vendorA, bidBody(900_000_000, "A")); r.status != 400 {
		t.Fatalf("bid without Idempotency-Key: %d %s", r.status, r.raw)
	}
	first := h.do("POST", "/v1/tenders/"+id+"/bids", vendorA, bidBody(900_000_000, "A"), "Idempotency-Key", "k-a-2")
	if first.status != 201 {
		t.Fatalf("bid: %d %s", first.status, first.raw)
	}
	retry := h.do("POST", "/v1/tenders/"+id+"/bids", vendorA, bidBody(900_000_000, "A"), "Idempotency-Key", "k-a-2")
	if retry.status != 201 || retry.raw != first.raw {
		t.Fatalf("retry with the same key: %d %s", retry.status, retry.raw)
	}
	if r := h.do("POST", "/v1/tenders/"+id+"/bids", vendorA, bidBody(1, "other"), "Idempotency-Key", "k-a-2"); r.status != 422 {
		t.Fatalf("same key, other body: %d %s", r.status, r.raw)
	}
	if r := h.do("POST", "/v1/tenders/"+id+"/bids", vendorA, bidBody(800_000_000, "A2"), "Idempotency-Key", "k-a-3"); r.status != 409 {
		t.Fatalf("second live bid: %d %s", r.status, r.raw)
	}
	bidA := first.body["bid"].(map[string]any)["id"].(string)
	if r := h.do("POST", "/v1/tenders/"+id+"/bids", vendorB, bidBody(750_000_000, "B"), "Idempotency-Key", "k-b-1"); r.status != 201 {
		t.Fatalf("bid B: %d %s", r.status, r.raw)
	}
	// Another vendor's bid is 404, whatever the verb.
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/tenders/" + id + "/bids/" + bidA},
		{"PUT", "/v1/tenders/" + id + "/bids/" + bidA},
		{"POST", "/v1/tenders/" + id + "/bids/" + bidA + "/withdraw"},
	} {
		var body any
		if c.method == "PUT" {
			body = bidBody(1, "x")
		}
		if r := h.do(c.method, c.path, vendorB, body); r.status != 404 {
			t.Errorf("%s %s by another vendor: %d %s", c.method, c.path, r.status, r.raw)
		}
	}
	if r := h.do("GET", "/v1/tenders/"+id+"/bids", vendorB, nil); r.status != 200 || len(r.body["items"].([]any)) != 1 {
		t.Fatalf("B's list: %d %s", r.status, r.raw)
	}
	// Before the deadline: no opening, no opening record.
	if r := h.do("POST", "/v1/tenders/"+id+"/opening", officer, nil); r.status != 409 {
		t.Fatalf("opening before the deadline: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", "/v1/public/tenders/"+id+"/opening", "", nil); r.status != 404 {
		t.Fatalf("opening record before: %d", r.status)
	}
	// Replace at the deadline, refused one second later.
	h.clock.Set(deadline)
	if r := h.do("PUT", "/v1/tenders/"+id+"/bids/"+bidA, vendorA, bidBody(880_000_000, "A3")); r.status != 200 {
		t.Fatalf("replace at the deadline: %d %s", r.status, r.raw)
	}
	h.clock.Set(deadline.Add(time.Second))
	if r := h.do("PUT", "/v1/tenders/"+id+"/bids/"+bidA, vendorA, bidBody(870_000_000, "A4")); r.status != 409 {
		t.Fatalf("replace 1s late: %d %s", r.status, r.raw)
	}
	if r := h.do("POST", "/v1/tenders/"+id+"/bids/"+bidA+"/withdraw", vendorA, nil); r.status != 409 {
		t.Fatalf("withdraw 1s late: %d %s", r.status, r.raw)
	}
	if _, err := h.svc.AdvanceDueTenders(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := h.do("POST", "/v1/tenders/"+id+"/opening", h.token("pokja-9", auth.RoleProcurementOfficer, ""), nil); r.status != 403 {
		t.Fatalf("opening by a non-member: %d %s", r.status, r.raw)
	}
	r = h.do("POST", "/v1/tenders/"+id+"/opening", officer, nil)
	if r.status != 200 || !strings.Contains(r.raw, "880000000") || !strings.Contains(r.raw, "750000000") {
		t.Fatalf("opening: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", "/v1/public/tenders/"+id+"/opening", "", nil); r.status != 200 || !strings.Contains(r.raw, "880000000") {
		t.Fatalf("public opening record: %d %s", r.status, r.raw)
	}
}

// TestNobodyReadsAPriceBeforeTheOpening reads every endpoint that returns a
// tender or a bid, as every role, before the opening: no price, no
// technical offer, no document, and the hidden HPS only to the committee.
func TestNobodyReadsAPriceBeforeTheOpening(t *testing.T) {
	h := newHarness(t)
	id, _ := h.tenderingTender()
	h.license("vendor-a")
	vendorA := h.token("user-a", auth.RoleBusiness, "vendor-a")
	r := h.do("POST", "/v1/tenders/"+id+"/bids", vendorA, bidBody(912_345_678, "Penawaran teknis rahasia"), "Idempotency-Key", "k1")
	if r.status != 201 {
		t.Fatalf("bid: %d %s", r.status, r.raw)
	}
	bid := r.body["bid"].(map[string]any)["id"].(string)
	callers := map[string]string{
		"anonymous": "", "vendor": vendorA,
		"committee": h.token("pokja-1", auth.RoleProcurementOfficer, ""),
		"admin":     h.token("root", auth.RoleAdmin, ""),
		"auditor":   h.token("aud", auth.RoleAuditor, ""),
	}
	paths := []string{"/v1/tenders/" + id, "/v1/tenders/" + id + "/bids", "/v1/tenders/" + id + "/bids/" + bid,
		"/v1/public/tenders", "/v1/public/tenders/" + id, "/v1/public/tenders/" + id + "/opening",
		"/v1/public/tenders/" + id + "/clarifications", "/v1/tenders/" + id + "/opened-bids", "/v1/tenders/" + id + "/objections",
		"/v1/public/tenders/" + id + "/result", "/v1/public/ocds/tenders/" + id + "/releases", "/v1/public/ocds/tenders/" + id + "/record",
		"/v1/public/ocds/releases", "/v1/committee/tenders"}
	docB64 := base64.StdEncoding.EncodeToString([]byte("dokumen Penawaran teknis rahasia"))
	for who, tok := range callers {
		for _, p := range paths {
			r := h.do("GET", p, tok, nil)
			for _, secret := range []string{"912345678", "Penawaran teknis", docB64} {
				if strings.Contains(r.raw, secret) {
					t.Errorf("%s reads %q at %s", who, secret, p)
				}
			}
			if who != "committee" && strings.Contains(r.raw, "1000000000") {
				t.Errorf("%s reads the hidden HPS at %s", who, p)
			}
		}
	}
}

// TestEveryEndpointRefusesTheWrongCaller: no token is 401 on every
// protected endpoint; a role the endpoint does not admit is 403.
func TestEveryEndpointRefusesTheWrongCaller(t *testing.T) {
	h := newHarness(t)
	id, _ := h.tenderingTender()
	bid := "0193a6f0-0000-7000-8000-000000000001"
	q := "0193a6f0-0000-7000-8000-000000000002"
	type ep struct {
		method, path string
		body         any
		admits       string
	}
	officer, business := auth.RoleProcurementOfficer, auth.RoleBusiness
	eps := []ep{
		{"POST", "/v1/tenders", tenderBody(), officer},
		{"PUT", "/v1/tenders/" + id, tenderBody(), officer},
		{"POST", "/v1/tenders/" + id + "/publish", nil, officer},
		{"POST", "/v1/tenders/" + id + "/amendments", tenderBody(), officer},
		{"POST", "/v1/tenders/" + id + "/cancel", map[string]any{"reason": "x"}, officer},
		{"POST", "/v1/tenders/" + id + "/fail", map[string]any{"reason": "x"}, officer},
		{"POST", "/v1/tenders/" + id + "/clarifications/" + q + "/answer", map[string]any{"answer": "x"}, officer},
		{"POST", "/v1/tenders/" + id + "/opening", nil, officer},
		{"PUT", "/v1/tenders/" + id + "/evaluation", map[string]any{}, officer},
		{"POST", "/v1/tenders/" + id + "/award/propose", nil, officer},
		{"POST", "/v1/tenders/" + id + "/award/announce", nil, officer},
		{"POST", "/v1/tenders/" + id + "/objections/" + q + "/answer", map[string]any{"answer": "x", "outcome": "rejected"}, officer},
		{"POST", "/v1/tenders/" + id + "/contract", map[string]any{"number": "x", "signed_at": "2026-11-01T00:00:00Z"}, officer},
		{"POST", "/v1/tenders/" + id + "/objections", map[string]any{"arguments": "x"}, business},
		{"POST", "/v1/tenders/" + id + "/clarifications", map[string]any{"question": "x"}, business},
		{"POST", "/v1/tenders/" + id + "/bids", bidBody(1, "x"), business},
		{"GET", "/v1/tenders/" + id + "/bids", nil, business},
		{"GET", "/v1/tenders/" + id + "/opened-bids", nil, officer},
		{"GET", "/v1/committee/tenders", nil, officer},
		{"GET", "/v1/tenders/" + id + "/bids/" + bid, nil, business},
		{"PUT", "/v1/tenders/" + id + "/bids/" + bid, bidBody(1, "x"), business},
		{"POST", "/v1/tenders/" + id + "/bids/" + bid + "/withdraw", nil, business},
	}
	for _, e := range eps {
		if r := h.do(e.method, e.path, "", e.body, "Idempotency-Key", "k"); r.status != 401 {
			t.Errorf("%s %s without a token: %d", e.method, e.path, r.status)
		}
		for _, role := range auth.AllRoles() {
			if role == e.admits {
				continue
			}
			tok := h.token("someone", role, "org-x")
			if r := h.do(e.method, e.path, tok, e.body, "Idempotency-Key", "k-"+role); r.status != 403 {
				t.Errorf("%s %s as %s: %d %s", e.method, e.path, role, r.status, r.raw)
			}
		}
	}
	// A forged token is 401.
	other, _ := auth.NewSigningKey()
	forged, _ := auth.Issuer{Key: other, Issuer: auth.DefaultIssuer, Audience: auth.DefaultAudience}.Mint(
		auth.Principal{Subject: "x", Roles: []string{officer}}, time.Hour, time.Now())
	if r := h.do("POST", "/v1/tenders", forged, tenderBody()); r.status != 401 {
		t.Fatalf("forged token: %d", r.status)
	}
}

func TestReceiptVerifiesWithThePublishedKey(t *testing.T) {
	h := newHarness(t)
	id, _ := h.tenderingTender()
	h.license("vendor-a")
	r := h.do("POST", "/v1/tenders/"+id+"/bids", h.token("user-a", auth.RoleBusiness, "vendor-a"), bidBody(900, "x"), "Idempotency-Key", "k1")
	if r.status != 201 {
		t.Fatalf("bid: %d %s", r.status, r.raw)
	}
	keys := h.do("GET", "/v1/public/receipt-keys", "", nil)
	k := keys.body["keys"].([]any)[0].(map[string]any)
	pub, _ := base64.StdEncoding.DecodeString(k["public_key"].(string))
	rc := r.body["receipt"].(map[string]any)
	msg := strings.Join([]string{"gerbang-bid-receipt-v1", rc["tender_id"].(string), rc["bid_id"].(string),
		rc["sealed_sha256"].(string), rc["received_at"].(string)}, "\n")
	sig, _ := base64.StdEncoding.DecodeString(rc["signature"].(string))
	if !ed25519.Verify(pub, []byte(msg), sig) || rc["key_id"] != k["key_id"] {
		t.Fatalf("receipt %v does not verify with %v", rc, k)
	}
	if !strings.Contains(k["public_key_pem"].(string), "BEGIN PUBLIC KEY") {
		t.Fatal("no PEM for openssl")
	}
}

func TestPublicEndpointsHideDraftsAndAskers(t *testing.T) {
	h := newHarness(t)
	officer := h.token("pokja-1", auth.RoleProcurementOfficer, "")
	draft := h.do("POST", "/v1/tenders", officer, tenderBody())
	did := draft.body["id"].(string)
	if r := h.do("GET", "/v1/public/tenders/"+did, "", nil); r.status != 404 {
		t.Fatalf("public draft: %d", r.status)
	}
	if r := h.do("GET", "/v1/tenders/"+did, h.token("pokja-9", auth.RoleProcurementOfficer, ""), nil); r.status != 404 {
		t.Fatalf("draft to a non-member: %d", r.status)
	}
	if r := h.do("POST", "/v1/tenders/"+did+"/publish", officer, nil); r.status != 200 {
		t.Fatalf("publish: %d %s", r.status, r.raw)
	}
	id, _ := h.tenderingTender()
	asker := h.token("user-a", auth.RoleBusiness, "vendor-a")
	q := h.do("POST", "/v1/tenders/"+id+"/clarifications", asker, map[string]any{"question": "Boleh merek setara?"})
	if q.status != 201 {
		t.Fatalf("ask: %d %s", q.status, q.raw)
	}
	if r := h.do("POST", "/v1/tenders/"+id+"/clarifications/"+q.body["id"].(string)+"/answer", officer, map[string]any{"answer": "Boleh."}); r.status != 200 {
		t.Fatalf("answer: %d %s", r.status, r.raw)
	}
	r := h.do("GET", "/v1/public/tenders/"+id+"/clarifications", "", nil)
	if r.status != 200 || !strings.Contains(r.raw, "Boleh.") || strings.Contains(r.raw, "vendor-a") || strings.Contains(r.raw, "user-a") {
		t.Fatalf("public clarifications: %d %s", r.status, r.raw)
	}
	list := h.do("GET", "/v1/public/tenders?limit=1", "", nil)
	if list.status != 200 || len(list.body["items"].([]any)) != 1 || list.body["next_cursor"] == nil {
		t.Fatalf("public list: %d %s", list.status, list.raw)
	}
	if r := h.do("GET", "/v1/public/tenders?cursor=bm9wZQ", "", nil); r.status != 400 {
		t.Fatalf("bad cursor: %d", r.status)
	}
	// The search, over HTTP: found, not found, and each bad parameter named.
	if r := h.do("GET", "/v1/public/tenders?q=zzz-no-such-word", "", nil); r.status != 200 || len(r.body["items"].([]any)) != 0 {
		t.Fatalf("a search finding nothing: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", "/v1/public/tenders?kbli=46512&state=tendering&deadline_after=2020-01-01T00:00:00Z", "", nil); r.status != 200 || len(r.body["items"].([]any)) == 0 {
		t.Fatalf("a search finding the tendering tender: %d %s", r.status, r.raw)
	}
	for query, param := range map[string]string{
		"kbli=4651": "kbli", "state=draft": "state", "category=weapons": "category", "deadline_after=tomorrow": "deadline_after",
		"deadline_after=2026-12-10T00:00:00Z&deadline_before=2026-12-01T00:00:00Z": "deadline_before",
	} {
		if r := h.do("GET", "/v1/public/tenders?"+query, "", nil); r.status != 400 || !strings.Contains(r.raw, param) {
			t.Errorf("?%s: %d %s; want 400 naming %s", query, r.status, r.raw, param)
		}
	}
	next := h.do("GET", "/v1/public/tenders?limit=1&cursor="+list.body["next_cursor"].(string), "", nil)
	if next.status != 200 || len(next.body["items"].([]any)) != 1 || next.body["next_cursor"] != nil || next.raw == list.raw {
		t.Fatalf("second page: %d %s", next.status, next.raw)
	}
}

func TestAwardObjectionContractAndOCDSOverHTTP(t *testing.T) {
	h := newHarness(t)
	id, deadline := h.tenderingTender()
	h.license("vendor-a")
	h.license("vendor-b")
	vendorA := h.token("user-a", auth.RoleBusiness, "vendor-a")
	vendorB := h.token("user-b", auth.RoleBusiness, "vendor-b")
	officer := h.token("pokja-1", auth.RoleProcurementOfficer, "")
	for _, b := range []struct {
		tok   string
		price int64
	}{{vendorA, 900_000_000}, {vendorB, 780_000_000}} {
		if r := h.do("POST", "/v1/tenders/"+id+"/bids", b.tok, bidBody(b.price, "x"), "Idempotency-Key", fmt.Sprint(b.price)); r.status != 201 {
			t.Fatalf("bid: %d %s", r.status, r.raw)
		}
	}
	h.clock.Set(deadline.Add(time.Second))
	if _, err := h.svc.AdvanceDueTenders(context.Background()); err != nil {
		t.Fatal(err)
	}
	op := h.do("POST", "/v1/tenders/"+id+"/opening", officer, nil)
	if op.status != 200 {
		t.Fatalf("opening: %d %s", op.status, op.raw)
	}
	full := h.do("GET", "/v1/tenders/"+id+"/opened-bids", officer, nil)
	if full.status != 200 || !strings.Contains(full.raw, `"technical_offer":"x"`) || !strings.Contains(full.raw, base64.StdEncoding.EncodeToString([]byte("dokumen x"))) {
		t.Fatalf("committee's opened bids: %d %s", full.status, full.raw)
	}
	if r := h.do("GET", "/v1/tenders/"+id+"/opened-bids", h.token("pokja-9", auth.RoleProcurementOfficer, ""), nil); r.status != 403 {
		t.Fatalf("opened bids to a non-member: %d", r.status)
	}
	var assessments []map[string]any
	for _, b := range op.body["bids"].([]any) {
		assessments = append(assessments, map[string]any{"bid_id": b.(map[string]any)["bid_id"], "administrative_pass": true, "technical_pass": true})
	}
	if r := h.do("PUT", "/v1/tenders/"+id+"/evaluation", officer, map[string]any{"assessments": assessments}); r.status != 204 {
		t.Fatalf("evaluation: %d %s", r.status, r.raw)
	}
	p := h.do("POST", "/v1/tenders/"+id+"/award/propose", officer, nil)
	if p.status != 200 || p.body["result"].(map[string]any)["ranking"].([]any)[0].(map[string]any)["vendor"] != "vendor-b" {
		t.Fatalf("propose: %d %s", p.status, p.raw)
	}
	if !strings.Contains(p.raw, `"below_80_percent_hps":true`) {
		t.Fatalf("780 jt of a 1 M HPS is not flagged: %s", p.raw)
	}
	if r := h.do("GET", "/v1/public/tenders/"+id+"/result", "", nil); r.status != 404 {
		t.Fatalf("result before the announcement: %d", r.status)
	}
	if r := h.do("POST", "/v1/tenders/"+id+"/award/announce", officer, nil); r.status != 200 || r.body["state"] != "objection_period" {
		t.Fatalf("announce: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", "/v1/public/tenders/"+id+"/result", "", nil); r.status != 200 || r.body["winner"] == nil {
		t.Fatalf("public result: %d %s", r.status, r.raw)
	}
	if r := h.do("POST", "/v1/tenders/"+id+"/objections", h.token("user-z", auth.RoleBusiness, "vendor-z"), map[string]any{"arguments": "x"}); r.status != 403 {
		t.Fatalf("objection by a non-bidder: %d %s", r.status, r.raw)
	}
	obj := h.do("POST", "/v1/tenders/"+id+"/objections", vendorA, map[string]any{"arguments": "Harga pemenang tidak wajar.", "evidence": []string{"sha256:ab"}})
	if obj.status != 201 {
		t.Fatalf("objection: %d %s", obj.status, obj.raw)
	}
	if r := h.do("GET", "/v1/committee/tenders?state=objection_period", officer, nil); r.status != 200 ||
		!strings.Contains(r.raw, `"waiting":{"evaluated_by_me":true,"unanswered_objections":1,"unanswered_questions":0}`) {
		t.Fatalf("the committee's list does not say an objection waits and the evaluation is recorded: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", "/v1/committee/tenders?state=objection_period", h.token("pokja-2", auth.RoleProcurementOfficer, ""), nil); r.status != 200 ||
		!strings.Contains(r.raw, `"evaluated_by_me":false`) {
		t.Fatalf("a member who has not evaluated: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", "/v1/tenders/"+id+"/objections", officer, nil); r.status != 200 || !strings.Contains(r.raw, "Harga pemenang tidak wajar.") {
		t.Fatalf("committee's objections: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", "/v1/tenders/"+id+"/objections", vendorB, nil); r.status != 200 || strings.Contains(r.raw, "tidak wajar") {
		t.Fatalf("another bidder reads the objection: %d %s", r.status, r.raw)
	}
	if r := h.do("POST", "/v1/tenders/"+id+"/objections/"+obj.body["id"].(string)+"/answer", officer,
		map[string]any{"answer": "Harga telah diklarifikasi.", "outcome": "rejected"}); r.status != 200 {
		t.Fatalf("answer: %d %s", r.status, r.raw)
	}
	h.clock.Advance(6 * 24 * time.Hour)
	if _, err := h.svc.AdvanceDueTenders(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := h.do("POST", "/v1/tenders/"+id+"/contract", officer, map[string]any{"number": "SPK-001", "signed_at": h.clock.Now().Format(time.RFC3339)})
	if c.status != 201 || c.body["vendor"] != "vendor-b" {
		t.Fatalf("contract: %d %s", c.status, c.raw)
	}

	releases := h.do("GET", "/v1/public/ocds/tenders/"+id+"/releases", "", nil)
	if releases.status != 200 {
		t.Fatalf("releases: %d %s", releases.status, releases.raw)
	}
	ocdstest.Validate(t, ocdstest.Compile(t, ocdstest.PackageURL), []byte(releases.raw))
	for _, tag := range []string{`"tender"`, `"award"`, `"awardUpdate"`, `"contract"`, `"ocid":"ocds-gbg001-` + id} {
		if !strings.Contains(releases.raw, tag) {
			t.Errorf("release package lacks %s", tag)
		}
	}
	record := h.do("GET", "/v1/public/ocds/tenders/"+id+"/record", "", nil)
	if record.status != 200 || !strings.Contains(record.raw, `"compiledRelease"`) {
		t.Fatalf("record: %d %s", record.status, record.raw)
	}
	ocdstest.Validate(t, ocdstest.Compile(t, ocdstest.RecordURL), []byte(record.raw))
	list := h.do("GET", "/v1/public/ocds/releases?limit=5", "", nil)
	if list.status != 200 {
		t.Fatalf("feed: %d %s", list.status, list.raw)
	}
	ocdstest.Validate(t, ocdstest.Compile(t, ocdstest.PackageURL), []byte(list.raw))
}

// TestCommitteeActionsRefuseOfficersNotOnTheCommittee: a procurement
// officer who is not on the tender's committee gets 403 from every
// committee action on a published tender, and nothing changes.
func TestCommitteeActionsRefuseOfficersNotOnTheCommittee(t *testing.T) {
	h := newHarness(t)
	id, _ := h.tenderingTender()
	outsider := h.token("pokja-9", auth.RoleProcurementOfficer, "")
	q := "0193a6f0-0000-7000-8000-000000000002"
	for _, e := range []struct {
		method, path string
		body         any
	}{
		{"PUT", "/v1/tenders/" + id, tenderBody()},
		{"POST", "/v1/tenders/" + id + "/publish", nil},
		{"POST", "/v1/tenders/" + id + "/amendments", tenderBody()},
		{"POST", "/v1/tenders/" + id + "/cancel", map[string]any{"reason": "x"}},
		{"POST", "/v1/tenders/" + id + "/fail", map[string]any{"reason": "x"}},
		{"POST", "/v1/tenders/" + id + "/clarifications/" + q + "/answer", map[string]any{"answer": "x"}},
		{"POST", "/v1/tenders/" + id + "/opening", nil},
		{"GET", "/v1/tenders/" + id + "/opened-bids", nil},
		{"PUT", "/v1/tenders/" + id + "/evaluation", map[string]any{}},
		{"POST", "/v1/tenders/" + id + "/award/propose", nil},
		{"POST", "/v1/tenders/" + id + "/award/announce", nil},
		{"POST", "/v1/tenders/" + id + "/objections/" + q + "/answer", map[string]any{"answer": "x", "outcome": "rejected"}},
		{"POST", "/v1/tenders/" + id + "/contract", map[string]any{"number": "x", "signed_at": "2026-11-01T00:00:00Z"}},
	} {
		if r := h.do(e.method, e.path, outsider, e.body); r.status != 403 {
			t.Errorf("%s %s by an officer not on the committee: %d %s", e.method, e.path, r.status, r.raw)
		}
	}
	r := h.do("GET", "/v1/public/tenders/"+id, "", nil)
	if r.body["state"] != "tendering" || r.body["version"].(float64) != 3 {
		t.Fatalf("the tender changed: %s", r.raw)
	}
}

// TestBidIdempotencyKeyAnswersRetriesOnce: concurrent requests with one key
// make one bid and get the same answer; a retry after the deadline still
// gets it; the same key with another body is 422.
func TestBidIdempotencyKeyAnswersRetriesOnce(t *testing.T) {
	h := newHarness(t)
	id, deadline := h.tenderingTender()
	h.license("vendor-a")
	tok := h.token("user-a", auth.RoleBusiness, "vendor-a")
	answers := make([]resp, 8)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = h.do("POST", "/v1/tenders/"+id+"/bids", tok, bidBody(900_000_000, "A"), "Idempotency-Key", "same-key")
		}()
	}
	wg.Wait()
	for _, a := range answers {
		if a.status != 201 || a.raw != answers[0].raw {
			t.Fatalf("answers differ: %d %s / %s", a.status, a.raw, answers[0].raw)
		}
	}
	var bids int
	if err := h.db.Get(&bids, `SELECT count(*) FROM bid WHERE tender_id = $1`, id); err != nil || bids != 1 {
		t.Fatalf("%d bids (%v), want 1", bids, err)
	}
	// The stored fingerprint is keyed: not the plain hash of the request,
	// which someone holding a dump could try prices against.
	var sub oapi.BidSubmission
	raw, _ := json.Marshal(bidBody(900_000_000, "A"))
	_ = json.Unmarshal(raw, &sub)
	canonical, _ := json.Marshal(sub)
	plain := sha256.Sum256(append([]byte(id+"\n"), canonical...))
	var stored []byte
	if err := h.db.Get(&stored, `SELECT request_hash FROM bid_request WHERE key = 'same-key'`); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(stored, plain[:]) || !bytes.Equal(stored, h.svc.BidRequestHash(id, canonical)) {
		t.Fatalf("stored fingerprint %x is not the keyed one", stored)
	}
	h.clock.Set(deadline.Add(time.Hour))
	if late := h.do("POST", "/v1/tenders/"+id+"/bids", tok, bidBody(900_000_000, "A"), "Idempotency-Key", "same-key"); late.status != 201 || late.raw != answers[0].raw {
		t.Fatalf("late retry: %d %s", late.status, late.raw)
	}
	if r := h.do("POST", "/v1/tenders/"+id+"/bids", tok, bidBody(1, "other"), "Idempotency-Key", "same-key"); r.status != 422 {
		t.Fatalf("same key, other body: %d %s", r.status, r.raw)
	}
}

func TestBidsBeyondTheRateLimitAreRefusedWith429(t *testing.T) {
	h := newHarnessWith(t, Options{BidsPerMinute: 2})
	id, _ := h.tenderingTender()
	h.license("vendor-a")
	tok := h.token("user-a", auth.RoleBusiness, "vendor-a")
	other := h.token("user-b", auth.RoleBusiness, "vendor-b")
	for i, want := range []int{201, 409, 429} {
		if r := h.do("POST", "/v1/tenders/"+id+"/bids", tok, bidBody(900_000_000, "A"), "Idempotency-Key", fmt.Sprint("k", i)); r.status != want {
			t.Fatalf("bid %d: %d %s, want %d", i, r.status, r.raw, want)
		}
	}
	// Another vendor has its own count (and no license: 403, not 429).
	if r := h.do("POST", "/v1/tenders/"+id+"/bids", other, bidBody(900_000_000, "B"), "Idempotency-Key", "kb"); r.status != 403 {
		t.Fatalf("other vendor: %d %s", r.status, r.raw)
	}
}

// TestCommitteeReadsHowManyBidsWaitToBeConfirmedAfterAnAddendum: after an
// addendum the committee's read (and the amendment's answer) counts the
// live bids confirmed against an earlier amendment, a replaced or
// withdrawn bid no longer counts, and nobody else reads the count.
func TestCommitteeReadsHowManyBidsWaitToBeConfirmedAfterAnAddendum(t *testing.T) {
	h := newHarness(t)
	id, _ := h.tenderingTender()
	officer := h.token("pokja-1", auth.RoleProcurementOfficer, "")
	h.license("vendor-a")
	h.license("vendor-b")
	h.license("vendor-c")
	bids := map[string]string{}
	for _, v := range []string{"vendor-a", "vendor-b", "vendor-c"} {
		r := h.do("POST", "/v1/tenders/"+id+"/bids", h.token("user-"+v, auth.RoleBusiness, v), bidBody(900_000_000, v), "Idempotency-Key", "k-"+v)
		if r.status != 201 {
			t.Fatalf("bid of %s: %d %s", v, r.status, r.raw)
		}
		bids[v] = r.body["bid"].(map[string]any)["id"].(string)
	}
	toConfirm := func(what string) any {
		t.Helper()
		r := h.do("GET", "/v1/tenders/"+id, officer, nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", what, r.status, r.raw)
		}
		return r.body["bids_to_confirm"]
	}
	if n := toConfirm("before an addendum"); n != nil {
		t.Fatalf("before any addendum bids_to_confirm is %v, want none", n)
	}
	read := h.do("GET", "/v1/tenders/"+id, officer, nil)
	amended := tenderBody()
	amended["description"] = "Adendum 1: jumlah unit menjadi 120"
	r := h.do("POST", "/v1/tenders/"+id+"/amendments", officer, amended, "If-Match", fmt.Sprintf("%q", fmt.Sprint(read.body["version"])))
	if r.status != 200 {
		t.Fatalf("amend: %d %s", r.status, r.raw)
	}
	if n := r.body["tender"].(map[string]any)["bids_to_confirm"]; n != float64(3) {
		t.Fatalf("the amendment's answer counts %v bids to confirm, want 3: %s", n, r.raw)
	}
	if r := h.do("PUT", "/v1/tenders/"+id+"/bids/"+bids["vendor-a"], h.token("user-vendor-a", auth.RoleBusiness, "vendor-a"), bidBody(890_000_000, "A2")); r.status != 200 {
		t.Fatalf("confirm by replacing: %d %s", r.status, r.raw)
	}
	if r := h.do("POST", "/v1/tenders/"+id+"/bids/"+bids["vendor-b"]+"/withdraw", h.token("user-vendor-b", auth.RoleBusiness, "vendor-b"), nil); r.status != 200 {
		t.Fatalf("withdraw: %d %s", r.status, r.raw)
	}
	if n := toConfirm("after one confirmed and one withdrew"); n != float64(1) {
		t.Fatalf("bids_to_confirm %v, want 1 (vendor-c)", n)
	}
	for who, tok := range map[string]string{"public": "", "a vendor": h.token("user-vendor-c", auth.RoleBusiness, "vendor-c"),
		"an officer not on the committee": h.token("pokja-9", auth.RoleProcurementOfficer, "")} {
		path := "/v1/tenders/" + id
		if tok == "" {
			path = "/v1/public/tenders/" + id
		}
		if r := h.do("GET", path, tok, nil); r.status != 200 || strings.Contains(r.raw, "bids_to_confirm") {
			t.Errorf("%s reads %d %s", who, r.status, r.raw)
		}
	}
}

// TestTheOpeningRecordNamesItsBidders: the opening record, to the
// committee and to the public, names each bidder as licensing named its
// business; a bidder licensing never named is named "".
func TestTheOpeningRecordNamesItsBidders(t *testing.T) {
	h := newHarness(t)
	id, deadline := h.tenderingTender()
	h.license("vendor-a")
	err := dbx.WithTx(context.Background(), h.db.DB, func(tx *sqlx.Tx) error {
		return postgres.InTx(tx).ApplyLicense(context.Background(), domain.VendorLicense{
			LicenseID: "lic-vendor-b", BusinessID: "vendor-b", KBLI: "46512", Status: domain.LicenseActive, EventTime: t0}, "ev-b")
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"vendor-a", "vendor-b"} {
		if r := h.do("POST", "/v1/tenders/"+id+"/bids", h.token("user-"+v, auth.RoleBusiness, v), bidBody(900_000_000, v), "Idempotency-Key", "k-"+v); r.status != 201 {
			t.Fatalf("bid of %s: %d %s", v, r.status, r.raw)
		}
	}
	h.clock.Set(deadline.Add(time.Second))
	if _, err := h.svc.AdvanceDueTenders(context.Background()); err != nil {
		t.Fatal(err)
	}
	opened := h.do("POST", "/v1/tenders/"+id+"/opening", h.token("pokja-1", auth.RoleProcurementOfficer, ""), nil)
	public := h.do("GET", "/v1/public/tenders/"+id+"/opening", "", nil)
	for what, r := range map[string]resp{"the committee's opening": opened, "the public record": public} {
		if r.status != 200 {
			t.Fatalf("%s: %d %s", what, r.status, r.raw)
		}
		names := map[string]any{}
		for _, b := range r.body["bids"].([]any) {
			names[b.(map[string]any)["vendor"].(string)] = b.(map[string]any)["vendor_name"]
		}
		if names["vendor-a"] != "Usaha vendor-a" || names["vendor-b"] != "" {
			t.Errorf("%s names %v, want vendor-a as Usaha vendor-a and vendor-b unnamed", what, names)
		}
	}
}
