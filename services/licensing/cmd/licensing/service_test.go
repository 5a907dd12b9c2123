package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"gerbang/pkg/auth"
	"gerbang/pkg/events"
	"gerbang/pkg/natstest"
	"gerbang/pkg/pgtest"
	"gerbang/pkg/svctest"
	"gerbang/services/licensing/migrations"
)

type env struct {
	t      testing.TB
	svc    *svctest.Service
	db     *pgtest.DB
	nats   *natstest.Server
	tokens map[string]string // by name: owner, other, officer, auditor, finance
}

func start(t testing.TB, extra ...string) *env {
	t.Helper()
	ns := natstest.Start(t)
	db := pgtest.New(t, migrations.FS)
	tk := svctest.NewTokens(t)
	vars := tk.Env()
	vars["DATABASE_URL"] = db.URL
	vars["NATS_URL"] = ns.URL
	vars["SCHEDULER_INTERVAL"] = "1h"
	for i := 0; i+1 < len(extra); i += 2 {
		vars[extra[i]] = extra[i+1]
	}
	s := svctest.Start(t, run, vars)
	e := &env{t: t, svc: s, db: db, nats: ns, tokens: map[string]string{}}
	for name, p := range map[string]auth.Principal{
		"owner":   {Subject: "user-owner", Roles: []string{auth.RoleBusiness}},
		"other":   {Subject: "user-other", Roles: []string{auth.RoleBusiness}},
		"officer": {Subject: "user-officer", Roles: []string{auth.RoleLicensingOfficer}},
		"auditor": {Subject: "user-auditor", Roles: []string{auth.RoleAuditor}},
		"finance": {Subject: "user-finance", Roles: []string{auth.RoleFinance}},
		"member":  {Subject: "user-member", Roles: []string{auth.RoleBusiness}, Org: "01930000-0000-7000-8000-0000000000b9"},
	} {
		e.tokens[name] = tk.Mint(t, p)
	}
	return e
}

type reply struct {
	status int
	body   map[string]any
	raw    string
	header http.Header
}

func (e *env) do(method, path, who string, body any, headers ...string) reply {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.svc.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[who])
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, raw: string(raw), header: resp.Header}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func (e *env) must(r reply, status int) reply {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("status %d; want %d: %s", r.status, status, r.raw)
	}
	return r
}

func (e *env) registerBusiness(who, scale string, kbli ...string) map[string]any {
	e.t.Helper()
	return e.must(e.do("POST", "/v1/businesses", who, map[string]any{
		"name": "PT Contoh " + who, "npwp": "01.234.567.8-901.000", "address": "Jl. Thamrin 1, Jakarta", "scale": scale, "kbli": kbli,
	}), 201).body
}

func (e *env) createApplication(who, businessID, kbli string, size int) string {
	e.t.Helper()
	r := e.must(e.do("POST", "/v1/applications", who, map[string]any{"business_id": businessID, "kbli": kbli, "size": size},
		"Idempotency-Key", fmt.Sprintf("k-%s-%d", kbli, time.Now().UnixNano())), 201)
	return r.body["id"].(string)
}

// publishPaid publishes payment.invoice.paid as the payment service would.
func (e *env) publishPaid(eventID, applicationID string, amount int64) {
	e.t.Helper()
	js, nc := e.nats.JetStream()
	defer nc.Close()
	ev, err := events.New("/payment", "payment.invoice.paid", "inv-1", map[string]any{
		"invoice_id": "inv-1", "purpose": "license_fee", "reference": applicationID, "billing_code": "812345678901234",
		"amount": map[string]any{"amount": amount, "currency": "IDR"},
	}, time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	if eventID != "" {
		ev.ID = eventID
	}
	b, _ := json.Marshal(ev)
	if _, err := js.Publish(context.Background(), ev.Type, b, jetstream.WithMsgID(ev.ID)); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("timed out waiting for %s", what)
}

func TestALicenseGoesFromApplicationToPaymentToVerificationOverHTTP(t *testing.T) {
	e := start(t)
	b := e.registerBusiness("owner", "medium", "55110")
	if nib, _ := b["nib"].(string); len(nib) != 13 {
		t.Fatalf("NIB %q", nib)
	}
	bid := b["id"].(string)
	e.must(e.do("GET", "/v1/businesses/"+bid, "other", nil), 404)
	// The owner changes its business with the ETag it read; a stale one is refused.
	got := e.must(e.do("GET", "/v1/businesses/"+bid, "owner", nil), 200)
	changed := e.must(e.do("PATCH", "/v1/businesses/"+bid, "owner", map[string]any{"address": "Jl. Baru 5"}, "If-Match", got.header.Get("ETag")), 200)
	if changed.body["address"] != "Jl. Baru 5" || changed.body["nib"] != b["nib"] || changed.header.Get("ETag") == got.header.Get("ETag") {
		t.Fatalf("patched business %s", changed.raw)
	}
	e.must(e.do("PATCH", "/v1/businesses/"+bid, "owner", map[string]any{"address": "Jl. Lama"}, "If-Match", got.header.Get("ETag")), 412)
	e.must(e.do("PATCH", "/v1/businesses/"+bid, "owner", map[string]any{"npwp": "0123"}), 400)
	// A registration retried with its Idempotency-Key gets the same business and NIB.
	input := map[string]any{"name": "CV Dua", "npwp": "012345678901000", "address": "Jl. B 2", "scale": "small", "kbli": []string{"62010"}}
	r1 := e.must(e.do("POST", "/v1/businesses", "owner", input, "Idempotency-Key", "reg-1"), 201)
	r2 := e.must(e.do("POST", "/v1/businesses", "owner", input, "Idempotency-Key", "reg-1"), 201)
	if r1.body["nib"] != r2.body["nib"] || r1.body["id"] != r2.body["id"] {
		t.Fatalf("a retried registration made a second business: %v %v", r1.body["nib"], r2.body["nib"])
	}
	if list := e.must(e.do("GET", "/v1/businesses", "owner", nil), 200); len(list.body["items"].([]any)) != 2 {
		t.Fatalf("own businesses %s", list.raw)
	}

	// Creating an application takes an Idempotency-Key; a retry gets the same draft.
	e.must(e.do("POST", "/v1/applications", "owner", map[string]any{"business_id": bid, "kbli": "55110", "size": 150}), 400)
	body := map[string]any{"business_id": bid, "kbli": "55110", "size": 150}
	first := e.must(e.do("POST", "/v1/applications", "owner", body, "Idempotency-Key", "hotel-1"), 201)
	again := e.must(e.do("POST", "/v1/applications", "owner", body, "Idempotency-Key", "hotel-1"), 201)
	if first.body["id"] != again.body["id"] {
		t.Fatalf("retry made a second draft: %v vs %v", first.body["id"], again.body["id"])
	}
	e.must(e.do("POST", "/v1/applications", "owner", map[string]any{"business_id": bid, "kbli": "55110", "size": 10}, "Idempotency-Key", "hotel-1"), 422)
	id := first.body["id"].(string)
	for _, req := range []string{"pbg", "denah_bangunan", "amdal"} {
		e.must(e.upload("owner", id, req, req+".pdf", []byte("%PDF-1.7\n%%EOF\n")), 201)
	}

	// A stale If-Match is refused; the ETag of a fresh read is accepted.
	stale := e.must(e.do("POST", "/v1/applications/"+id+"/submit", "owner", nil, "If-Match", `"99"`), 412)
	if stale.body["current_state"] != "draft" {
		t.Fatalf("stale If-Match: %s", stale.raw)
	}
	tag := e.must(e.do("GET", "/v1/applications/"+id, "owner", nil), 200).header.Get("ETag")
	if tag == "" {
		t.Fatal("no ETag on the application")
	}
	sub := e.must(e.do("POST", "/v1/applications/"+id+"/submit", "owner", nil, "If-Match", tag), 200)
	if sub.header.Get("ETag") == tag {
		t.Fatalf("the ETag did not change with the submission: %s", tag)
	}
	if sub.body["state"] != "submitted" || sub.body["whose_turn"] != "officer" || sub.body["turn_due_at"] == nil {
		t.Fatalf("submitted: %s", sub.raw)
	}
	queue := e.must(e.do("GET", "/v1/review-queue", "officer", nil), 200)
	if items := queue.body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != id {
		t.Fatalf("queue %s", queue.raw)
	}
	conflict := e.must(e.do("POST", "/v1/applications/"+id+"/approve", "officer", nil), 409)
	if conflict.body["current_state"] != "submitted" {
		t.Fatalf("conflict without current_state: %s", conflict.raw)
	}
	e.must(e.do("POST", "/v1/applications/"+id+"/start-review", "officer", nil), 200)
	e.must(e.do("POST", "/v1/applications/"+id+"/request-revision", "officer", map[string]any{"documents": []map[string]any{
		{"requirement": "amdal", "note": "annexes missing"}, {"requirement": "amdal", "note": "twice"},
	}}), 400)
	e.must(e.do("POST", "/v1/applications/"+id+"/request-revision", "officer", map[string]any{"documents": []map[string]any{}}), 400)
	e.must(e.do("POST", "/v1/applications/"+id+"/request-revision", "officer", map[string]any{"documents": []map[string]any{
		{"requirement": "amdal", "note": "annexes missing"}, {"requirement": "denah_bangunan", "note": "unreadable"},
	}}), 200)
	revised := e.must(e.do("GET", "/v1/applications/"+id, "owner", nil), 200)
	if rs, _ := revised.body["revisions"].([]any); len(rs) != 2 || rs[1].(map[string]any)["requirement"] != "denah_bangunan" || rs[1].(map[string]any)["note"] != "unreadable" ||
		revised.body["revision_requirement"] != "amdal" || revised.body["revision_note"] != "annexes missing" {
		t.Fatalf("revision requested: %s", revised.raw)
	}
	e.must(e.do("POST", "/v1/applications/"+id+"/resubmit", "owner", map[string]any{"note": strings.Repeat("x", 2001)}), 400)
	e.must(e.do("POST", "/v1/applications/"+id+"/resubmit", "owner", map[string]any{"note": "annexes added, plan rescanned"}), 200)
	history := e.must(e.do("GET", "/v1/applications/"+id+"/history", "owner", nil), 200)
	var steps []string
	for _, it := range history.body["items"].([]any) {
		st := it.(map[string]any)
		steps = append(steps, fmt.Sprintf("%s by %s", st["action"], st["actor"]))
		switch st["action"] {
		case "application.request_revision":
			if rs, _ := st["revisions"].([]any); len(rs) != 2 || st["state"] != "revision_requested" {
				t.Fatalf("the revision step: %v", st)
			}
		case "application.resubmit":
			if st["note"] != "annexes added, plan rescanned" {
				t.Fatalf("the resubmission step: %v", st)
			}
		}
	}
	want := "application.create by applicant, document.upload by applicant, document.upload by applicant, document.upload by applicant, " +
		"application.submit by applicant, application.start_review by officer, application.request_revision by officer, application.resubmit by applicant"
	if got := strings.Join(steps, ", "); got != want {
		t.Fatalf("history:\n got %s\nwant %s", got, want)
	}
	e.must(e.do("GET", "/v1/applications/"+id+"/history", "other", nil), 404)
	approved := e.must(e.do("POST", "/v1/applications/"+id+"/approve", "officer", nil), 200)
	if approved.body["state"] != "awaiting_payment" {
		t.Fatalf("approved: %s", approved.raw)
	}

	// The fee request goes out through the outbox relay to the LICENSING stream.
	js, nc := e.nats.JetStream()
	defer nc.Close()
	e.waitFor("licensing.fee.requested on the LICENSING stream", func() bool {
		stream, err := js.Stream(context.Background(), "LICENSING")
		if err != nil {
			return false
		}
		msg, err := stream.GetLastMsgForSubject(context.Background(), "licensing.fee.requested")
		if err != nil {
			return false
		}
		ev, err := events.Parse(msg.Data)
		return err == nil && strings.Contains(string(ev.Data), `"reference":"`+id+`"`) && strings.Contains(string(ev.Data), `"amount":5000000`)
	})

	// Payment confirms; the event redelivered (same id) and duplicated (new id) issues one license.
	dup := "0193a6f2-6c1e-7b3a-9f41-2d5c8e0a1b77"
	e.publishPaid(dup, id, 5000000)
	e.publishPaid(dup, id, 5000000)
	e.publishPaid("", id, 5000000)
	e.waitFor("the license issued", func() bool {
		return e.do("GET", "/v1/applications/"+id, "owner", nil).body["state"] == "issued"
	})
	e.waitFor("both payment events handled", func() bool {
		var n int
		_ = e.db.GetContext(context.Background(), &n, `SELECT count(*) FROM inbox WHERE consumer = 'licensing-payment-invoice-paid'`)
		return n == 2
	})
	var licenses int
	if err := e.db.GetContext(context.Background(), &licenses, `SELECT count(*) FROM license WHERE application_id = $1`, id); err != nil || licenses != 1 {
		t.Fatalf("%d licenses, %v", licenses, err)
	}
	lic := e.must(e.do("GET", "/v1/applications/"+id+"/license", "owner", nil), 200)
	number := lic.body["number"].(string)
	if !strings.HasPrefix(number, "LIC-") || lic.body["valid_until"] == nil {
		t.Fatalf("license %s", lic.raw)
	}
	e.must(e.do("GET", "/v1/applications/"+id+"/license", "other", nil), 404)
	v := e.must(e.do("GET", "/v1/public/licenses/"+number, "", nil), 200)
	if v.body["genuine"] != true || v.body["status"] != "active" {
		t.Fatalf("verification %s", v.raw)
	}
	e.must(e.do("GET", "/v1/public/licenses/LIC-2026-999999", "", nil), 404)

	// The certificate: a PDF with the license and a QR code to the verification page.
	pdf := e.must(e.do("GET", "/v1/applications/"+id+"/license/certificate", "owner", nil), 200)
	if !strings.HasPrefix(pdf.raw, "%PDF-") || !strings.Contains(pdf.raw, number) || !strings.Contains(pdf.raw, "/verify/"+number) {
		t.Fatalf("certificate is not the license's PDF (%d bytes)", len(pdf.raw))
	}
	e.must(e.do("GET", "/v1/applications/"+id+"/license/certificate", "other", nil), 404)
	// The signed JSON verifies with the published key; a tampered copy does not.
	signed := e.must(e.do("GET", "/v1/applications/"+id+"/license/signed", "owner", nil), 200)
	keys := e.must(e.do("GET", "/.well-known/license-keys.json", "", nil), 200)
	kid := signed.body["header"].(map[string]any)["kid"]
	if ks := keys.body["keys"].([]any); len(ks) != 1 || ks[0].(map[string]any)["kid"] != kid {
		t.Fatalf("published keys %s do not name %v", keys.raw, kid)
	}
	ok := e.must(e.do("POST", "/v1/public/licenses/verify-signed", "", signed.body), 200)
	if ok.body["genuine"] != true || ok.body["status"] != "active" || ok.body["number"] != number {
		t.Fatalf("genuine signed license: %s", ok.raw)
	}
	signed.body["payload"].(map[string]any)["holder_name"] = "Hotel Palsu"
	bad := e.must(e.do("POST", "/v1/public/licenses/verify-signed", "", signed.body), 200)
	if bad.body["genuine"] != false || bad.body["reason"] == nil {
		t.Fatalf("tampered signed license: %s", bad.raw)
	}
	e.must(e.do("POST", "/v1/licenses/"+lic.body["id"].(string)+"/suspend", "officer", map[string]any{"reason": "inspection"}), 200)
	if v := e.do("GET", "/v1/public/licenses/"+number, "", nil); v.body["status"] != "suspended" {
		t.Fatalf("live status after suspension: %s", v.raw)
	}
}

func TestLowRiskIsIssuedAtSubmissionOverHTTP(t *testing.T) {
	e := start(t)
	b := e.registerBusiness("owner", "micro", "62010")
	id := e.createApplication("owner", b["id"].(string), "62010", 0)
	r := e.must(e.do("POST", "/v1/applications/"+id+"/submit", "owner", nil), 200)
	if r.body["state"] != "issued" || r.body["whose_turn"] != nil {
		t.Fatalf("low risk: %s", r.raw)
	}
	e.must(e.do("GET", "/v1/applications/"+id+"/license", "owner", nil), 200)
}

// The Idempotency-Key, the application and the stored answer commit in
// one transaction. A process that dies before that commit leaves nothing
// (here the commit itself fails once, as a crash would end it): the retry
// makes the application, once. A retry after the commit (its answer lost on
// the way to the client) gets the stored answer and makes nothing.
func TestARetryAfterACrashMakesOneApplication(t *testing.T) {
	e := start(t)
	bid := e.registerBusiness("owner", "micro", "62010")["id"].(string)
	body := map[string]any{"business_id": bid, "kbli": "62010"}
	e.crashAtTheCommitOf("crash-1")
	e.must(e.do("POST", "/v1/applications", "owner", body, "Idempotency-Key", "crash-1"), 500)
	if list := e.must(e.do("GET", "/v1/applications", "owner", nil), 200); len(list.body["items"].([]any)) != 0 {
		t.Fatalf("applications after the crash: %s, want none", list.raw)
	}
	first := e.must(e.do("POST", "/v1/applications", "owner", body, "Idempotency-Key", "crash-1"), 201)
	again := e.must(e.do("POST", "/v1/applications", "owner", body, "Idempotency-Key", "crash-1"), 201)
	if again.body["id"] != first.body["id"] || again.body["state"] != "draft" || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the retry answered %s, want the draft %v replayed", again.raw, first.body["id"])
	}
	if list := e.must(e.do("GET", "/v1/applications", "owner", nil), 200); len(list.body["items"].([]any)) != 1 {
		t.Fatalf("applications after the retries: %s, want the one", list.raw)
	}
	// Another key still makes another application.
	other := e.must(e.do("POST", "/v1/applications", "owner", body, "Idempotency-Key", "crash-2"), 201)
	if other.body["id"] == first.body["id"] {
		t.Fatal("a new key got the first key's application")
	}
}

// crashAtTheCommitOf makes the first commit that stores key fail, as a
// process killed before its commit ends the transaction: everything it
// wrote is rolled back. (A sequence is not rolled back with it, so only the
// first commit fails.)
func (e *env) crashAtTheCommitOf(key string) {
	e.t.Helper()
	_, err := e.db.Exec(`
		CREATE SEQUENCE IF NOT EXISTS crash_once;
		CREATE OR REPLACE FUNCTION crash_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF nextval('crash_once') = 1 THEN RAISE EXCEPTION 'the process died before the commit'; END IF;
			RETURN NULL;
		END $$;
		CREATE CONSTRAINT TRIGGER crash_at_commit AFTER INSERT ON idempotency_keys DEFERRABLE INITIALLY DEFERRED
			FOR EACH ROW WHEN (NEW.key = '` + key + `') EXECUTE FUNCTION crash_at_commit();`)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { e.db.Exec(`DROP TRIGGER crash_at_commit ON idempotency_keys; DROP SEQUENCE crash_once`) })
}

// The same on a registration: the retry registers the business once, and a
// retry after the commit gets it with its NIB, for a user without an
// organisation (who may hold several) and for one acting for an
// organisation (whose business takes the organisation's id, so a second
// registration would answer 409).
func TestARetryAfterACrashRegistersOneBusiness(t *testing.T) {
	e := start(t)
	for _, who := range []string{"owner", "member"} {
		input := map[string]any{"name": "CV Tiga", "npwp": "012345678901000", "address": "Jl. C 3", "scale": "small", "kbli": []string{"62010"}}
		key := "reg-crash-" + who
		e.crashAtTheCommitOf(key)
		e.must(e.do("POST", "/v1/businesses", who, input, "Idempotency-Key", key), 500)
		first := e.must(e.do("POST", "/v1/businesses", who, input, "Idempotency-Key", key), 201)
		again := e.must(e.do("POST", "/v1/businesses", who, input, "Idempotency-Key", key), 201)
		if again.body["id"] != first.body["id"] || again.body["nib"] != first.body["nib"] {
			t.Fatalf("%s: the retry answered %s, want business %v with NIB %v", who, again.raw, first.body["id"], first.body["nib"])
		}
		if list := e.must(e.do("GET", "/v1/businesses", who, nil), 200); len(list.body["items"].([]any)) != 1 {
			t.Fatalf("%s: businesses after the retry: %s, want the one", who, list.raw)
		}
		e.db.Exec(`DROP TRIGGER crash_at_commit ON idempotency_keys; DROP SEQUENCE crash_once`)
	}
}

func TestWhatDoINeedIsPublic(t *testing.T) {
	e := start(t)
	r := e.must(e.do("GET", "/v1/catalog/requirements?kbli=55110&scale=medium&size=150", "", nil), 200)
	lt := r.body["license_type"].(map[string]any)
	if r.body["risk"] != "high" || lt["code"] != "IZIN-HOTEL" || lt["sla_days"] != float64(15) || lt["fee"].(map[string]any)["amount"] != float64(5000000) {
		t.Fatalf("requirements %s", r.raw)
	}
	e.must(e.do("GET", "/v1/catalog/requirements?kbli=55110&scale=huge", "", nil), 400)
	e.must(e.do("GET", "/v1/catalog/requirements?kbli=99999&scale=micro", "", nil), 404)
	if r := e.must(e.do("GET", "/v1/catalog/kbli", "", nil), 200); len(r.body["items"].([]any)) < 15 {
		t.Fatalf("kbli %s", r.raw)
	}
	e.must(e.do("GET", "/v1/catalog/license-types", "", nil), 200)
	for _, npwp := range []string{"12.345", "12.345.678.9-01"} { // too short for the contract; 11 digits for the rule
		bad := e.must(e.do("POST", "/v1/businesses", "owner", map[string]any{
			"name": "X", "npwp": npwp, "address": "Jl. A", "scale": "micro", "kbli": []string{"56101"},
		}), 400)
		if !strings.Contains(bad.raw, `npwp"`) {
			t.Fatalf("bad NPWP problem: %s", bad.raw)
		}
	}
}

// TestEveryEndpointAdmitsOnlyItsRolesAndOwners calls every protected
// endpoint anonymously, with a role it does not admit, and as another
// business with the owner's ids.
func TestEveryEndpointAdmitsOnlyItsRolesAndOwners(t *testing.T) {
	e := start(t)
	b := e.registerBusiness("owner", "medium", "55110")
	bid := b["id"].(string)
	id := e.createApplication("owner", bid, "55110", 150)
	doc := e.must(e.upload("owner", id, "amdal", "amdal.pdf", []byte("%PDF-1.7\n%%EOF\n")), 201).body["id"].(string)
	e.must(e.do("POST", "/v1/applications/"+id+"/submit", "owner", nil), 200)
	reason := map[string]any{"reason": "r"}
	cases := []struct {
		method, path string
		body         any
		wrongRole    string
		otherOwner   bool // another business gets 404
	}{
		{"POST", "/v1/businesses", map[string]any{"name": "X", "npwp": "012345678901000", "address": "A", "scale": "micro", "kbli": []string{"56101"}}, "officer", false},
		{"GET", "/v1/businesses", nil, "finance", false},
		{"GET", "/v1/businesses/" + bid, nil, "finance", true},
		{"PATCH", "/v1/businesses/" + bid, map[string]any{"address": "Jl. C"}, "officer", true},
		{"GET", "/v1/applications", nil, "finance", false},
		{"GET", "/v1/applications/" + id, nil, "finance", true},
		{"POST", "/v1/applications/" + id + "/submit", nil, "officer", true},
		{"POST", "/v1/applications/" + id + "/withdraw", nil, "officer", true},
		{"POST", "/v1/applications/" + id + "/resubmit", nil, "officer", true},
		{"POST", "/v1/applications/" + id + "/start-review", nil, "owner", false},
		{"POST", "/v1/applications/" + id + "/approve", nil, "owner", false},
		{"POST", "/v1/applications/" + id + "/reject", reason, "owner", false},
		{"POST", "/v1/applications/" + id + "/request-revision", map[string]any{"requirement": "amdal"}, "owner", false},
		{"GET", "/v1/applications/" + id + "/license", nil, "finance", true},
		{"GET", "/v1/review-queue", nil, "owner", false},
		{"GET", "/v1/licenses", nil, "finance", false},
		{"POST", "/v1/licenses/" + id + "/suspend", reason, "owner", false},
		{"GET", "/v1/applications/" + id + "/license/certificate", nil, "finance", true},
		{"GET", "/v1/applications/" + id + "/license/signed", nil, "finance", true},
		{"GET", "/v1/applications/" + id + "/documents", nil, "finance", true},
		{"GET", "/v1/applications/" + id + "/documents/" + doc + "/content", nil, "finance", true},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			if r := e.do(c.method, c.path, "", c.body, "Idempotency-Key", "k"); r.status != 401 {
				t.Errorf("anonymous: %d %s", r.status, r.raw)
			}
			if r := e.do(c.method, c.path, c.wrongRole, c.body, "Idempotency-Key", "k"); r.status != 403 {
				t.Errorf("as %s: %d %s", c.wrongRole, r.status, r.raw)
			}
			if c.otherOwner {
				if r := e.do(c.method, c.path, "other", c.body, "Idempotency-Key", "k"); r.status != 404 {
					t.Errorf("as another business: %d %s", r.status, r.raw)
				}
			}
		})
	}
	// Another business cannot start an application on the owner's business.
	e.must(e.do("POST", "/v1/applications", "other", map[string]any{"business_id": bid, "kbli": "55110"}, "Idempotency-Key", "x"), 400)
	// Lists: a business sees its own only, an auditor all.
	if r := e.must(e.do("GET", "/v1/applications", "other", nil), 200); len(r.body["items"].([]any)) != 0 {
		t.Fatalf("another business lists %s", r.raw)
	}
	if r := e.must(e.do("GET", "/v1/applications", "auditor", nil), 200); len(r.body["items"].([]any)) != 1 {
		t.Fatalf("the auditor lists %s", r.raw)
	}
	// The state is untouched by all of the above.
	if r := e.do("GET", "/v1/applications/"+id, "owner", nil); r.body["state"] != "submitted" {
		t.Fatalf("state changed: %s", r.raw)
	}
}

func (e *env) upload(who, applicationID, requirement, filename string, data []byte) reply {
	e.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if requirement != "" {
		_ = w.WriteField("requirement", requirement)
	}
	if data != nil {
		part, _ := w.CreateFormFile("file", filename)
		_, _ = part.Write(data)
	}
	_ = w.Close()
	req, _ := http.NewRequest("POST", e.svc.URL+"/v1/applications/"+applicationID+"/documents", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[who])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := reply{status: resp.StatusCode, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func TestDocumentsAreUploadedCheckedAndDownloadedOverHTTP(t *testing.T) {
	e := start(t)
	b := e.registerBusiness("owner", "medium", "55110")
	id := e.createApplication("owner", b["id"].(string), "55110", 150)
	pdf := []byte("%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
	doc := e.must(e.upload("owner", id, "amdal", "amdal.pdf", pdf), 201)
	if doc.body["content_type"] != "application/pdf" || len(doc.body["sha256"].(string)) != 64 {
		t.Fatalf("document %s", doc.raw)
	}
	e.must(e.upload("owner", id, "amdal", "fake.pdf", []byte("PK\x03\x04zip")), 415)
	e.must(e.upload("owner", id, "amdal", "cut.pdf", pdf[:20]), 400)
	e.must(e.upload("owner", id, "amdal", "empty.pdf", []byte{}), 400)
	e.must(e.upload("owner", id, "", "x.pdf", pdf), 400)
	e.must(e.upload("owner", id, "amdal", "", nil), 400)
	big := append(append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("x"), 11<<20)...), []byte("\n%%EOF\n")...)
	e.must(e.upload("owner", id, "pbg", "big.pdf", big), 413) // pbg takes at most 10 MiB
	e.must(e.upload("other", id, "amdal", "amdal.pdf", pdf), 404)
	e.must(e.upload("officer", id, "amdal", "amdal.pdf", pdf), 403)
	e.must(e.upload("finance", id, "amdal", "amdal.pdf", pdf), 403)
	e.must(e.upload("", id, "amdal", "amdal.pdf", pdf), 401)
	list := e.must(e.do("GET", "/v1/applications/"+id+"/documents", "officer", nil), 200)
	if items := list.body["items"].([]any); len(items) != 1 {
		t.Fatalf("documents %s", list.raw)
	}
	req, _ := http.NewRequest("GET", e.svc.URL+"/v1/applications/"+id+"/documents/"+doc.body["id"].(string)+"/content", nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens["owner"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.Equal(got, pdf) {
		t.Fatalf("download: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), got)
	}
	e.must(e.do("GET", "/v1/applications/"+id+"/documents", "other", nil), 404)
}

func TestDocumentsGoToTheBlobStoreNamedByBlobURL(t *testing.T) {
	dir := t.TempDir()
	e := start(t, "BLOB_URL", "file://"+dir)
	b := e.registerBusiness("owner", "medium", "55110")
	id := e.createApplication("owner", b["id"].(string), "55110", 150)
	doc := e.must(e.upload("owner", id, "amdal", "amdal.pdf", []byte("%PDF-1.7\n%%EOF\n")), 201)
	if _, err := os.Stat(filepath.Join(dir, "documents", id, doc.body["sha256"].(string))); err != nil {
		t.Fatalf("the blob is not in the configured store: %v", err)
	}
}

// A NUL or invalid UTF-8 in a business's name is refused with a 400 that
// names the field (PostgreSQL would refuse the NUL with a 500; the invalid
// bytes were stored); an address may hold line breaks, a name may not.
func TestTextFieldsRefuseControlCharactersAndInvalidUTF8(t *testing.T) {
	e := start(t)
	body := func(name, address string) []byte {
		return []byte(`{"name":"` + name + `","npwp":"01.234.567.8-901.000","address":"` + address + `","scale":"micro","kbli":["56101"]}`)
	}
	for _, tt := range []struct {
		name          string
		body          []byte
		status        int
		field, saying string
	}{
		{"NUL in the name", body(`PT Maju\u0000Jaya`, "Jl. Thamrin 1"), 400, "body.name", "U+0000"},
		{"invalid UTF-8 in the name", body("PT Maju \xff Jaya", "Jl. Thamrin 1"), 400, "body.name", "UTF-8"},
		{"a line break in the name", body(`PT Maju\nJaya`, "Jl. Thamrin 1"), 400, "body.name", "one line"},
		{"line breaks in the address", body("PT Maju Jaya", `Jl. Thamrin 1\nJakarta Pusat`), 201, "", ""},
	} {
		req, _ := http.NewRequest("POST", e.svc.URL+"/v1/businesses", bytes.NewReader(tt.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+e.tokens["owner"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Fatalf("%s: status %d, want %d: %s", tt.name, resp.StatusCode, tt.status, raw)
		}
		if tt.field != "" && (resp.Header.Get("Content-Type") != "application/problem+json" ||
			!strings.Contains(string(raw), `"field":"`+tt.field+`"`) || !strings.Contains(string(raw), tt.saying)) {
			t.Errorf("%s: %s, want a problem naming %s (%s)", tt.name, raw, tt.field, tt.saying)
		}
	}
}
