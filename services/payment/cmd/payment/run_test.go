package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"gerbang/pkg/auth"
	"gerbang/pkg/events"
	"gerbang/pkg/natstest"
	"gerbang/pkg/pgtest"
	"gerbang/pkg/svctest"
	"gerbang/services/payment/internal/domain"
	"gerbang/services/payment/migrations"
)

const testSecret = "service-test-gateway-secret"

type harness struct {
	svc    *svctest.Service
	db     *pgtest.DB
	js     jetstream.JetStream
	tokens *svctest.Tokens
}

func start(t *testing.T, sandbox bool, extra ...string) *harness {
	t.Helper()
	ns := natstest.Start(t)
	db := pgtest.New(t, migrations.FS)
	db.SetMaxOpenConns(4) // the test's own reads; the service has its pool
	js, nc := ns.JetStream()
	t.Cleanup(nc.Close)
	ctx := context.Background()
	for name, subj := range map[string]string{"LICENSING": "licensing.>", "TENDER": "tender.>"} {
		if err := events.EnsureStream(ctx, js, name, []string{subj}); err != nil {
			t.Fatal(err)
		}
	}
	tokens := svctest.NewTokens(t)
	env := tokens.Env()
	env["DATABASE_URL"], env["NATS_URL"] = db.URL, ns.URL
	env["GATEWAY_SECRET"] = testSecret
	env["SANDBOX_GATEWAY"] = fmt.Sprint(sandbox)
	env["SCHEDULER_INTERVAL_MS"] = "100"
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return &harness{svc: svctest.Start(t, run, env), db: db, js: js, tokens: tokens}
}

var (
	financeUser = auth.Principal{Subject: "fin-1", Roles: []string{auth.RoleFinance}}
	auditorUser = auth.Principal{Subject: "aud-1", Roles: []string{auth.RoleAuditor}}
	officer     = auth.Principal{Subject: "off-1", Roles: []string{auth.RoleLicensingOfficer}}
)

func businessUser(org string) auth.Principal {
	return auth.Principal{Subject: "u-" + org, Roles: []string{auth.RoleBusiness}, Org: org}
}

type response struct {
	status int
	body   map[string]any
	raw    string
}

func (h *harness) do(t *testing.T, p *auth.Principal, method, path string, body any, headers map[string]string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, h.svc.URL+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if p != nil {
		req.Header.Set("Authorization", "Bearer "+h.tokens.Mint(t, *p))
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func newInvoiceBody(ref, payer string, amount int64) map[string]any {
	return map[string]any{"purpose": "license_fee", "reference": ref, "payer": payer,
		"amount": map[string]any{"amount": amount, "currency": "IDR"}, "description": "Retribusi izin"}
}

func key() map[string]string { return map[string]string{"Idempotency-Key": uuid.NewString()} }

func TestInvoiceEndpointsAdmitOnlyTheirRoles(t *testing.T) {
	h := start(t, true)
	biz := businessUser("ORG-A")
	other := businessUser("ORG-B")

	// Create: finance only, with an Idempotency-Key.
	for _, tc := range []struct {
		name string
		p    *auth.Principal
		want int
	}{
		{"anonymous", nil, 401},
		{"business", &biz, 403},
		{"auditor", &auditorUser, 403},
		{"licensing officer", &officer, 403},
	} {
		if r := h.do(t, tc.p, "POST", "/v1/invoices", newInvoiceBody("APP-X", "ORG-A", 1000), key()); r.status != tc.want {
			t.Fatalf("create as %s: %d %s, want %d", tc.name, r.status, r.raw, tc.want)
		}
	}
	if r := h.do(t, &financeUser, "POST", "/v1/invoices", newInvoiceBody("APP-X", "ORG-A", 1000), nil); r.status != 400 {
		t.Fatalf("create without Idempotency-Key: %d %s", r.status, r.raw)
	}
	if r := h.do(t, &financeUser, "POST", "/v1/invoices", newInvoiceBody("APP-X", "ORG-A", -5), key()); r.status != 400 {
		t.Fatalf("negative amount: %d %s", r.status, r.raw)
	}
	k := key()
	created := h.do(t, &financeUser, "POST", "/v1/invoices", newInvoiceBody("APP-1", "ORG-A", 1500000), k)
	if created.status != 201 || created.body["state"] != "pending" {
		t.Fatalf("create: %d %s", created.status, created.raw)
	}
	id := created.body["id"].(string)
	if _, err := domain.ParseBillingCode(created.body["billing_code"].(string), "code"); err != nil {
		t.Fatal(err)
	}
	if r := h.do(t, &financeUser, "POST", "/v1/invoices", newInvoiceBody("APP-1", "ORG-A", 1500000), k); r.status != 201 || r.body["id"] != id {
		t.Fatalf("retry with the same key: %d %s", r.status, r.raw)
	}
	if r := h.do(t, &financeUser, "POST", "/v1/invoices", newInvoiceBody("APP-1", "ORG-A", 1500000), key()); r.status != 200 || r.body["id"] != id {
		t.Fatalf("same request, new key: %d %s (want the same invoice, 200)", r.status, r.raw)
	}
	theirs := h.do(t, &financeUser, "POST", "/v1/invoices", newInvoiceBody("APP-2", "ORG-B", 1000), key()).body["id"].(string)

	// Read: the payer its own, finance and auditors all, others 404/403/401.
	for _, tc := range []struct {
		name string
		p    *auth.Principal
		id   string
		want int
	}{
		{"payer, own", &biz, id, 200},
		{"payer, another's", &biz, theirs, 404},
		{"other payer", &other, id, 404},
		{"finance", &financeUser, theirs, 200},
		{"auditor", &auditorUser, theirs, 200},
		{"licensing officer", &officer, id, 403},
		{"anonymous", nil, id, 401},
		{"unknown id", &financeUser, uuid.NewString(), 404},
		{"malformed id", &financeUser, "not-a-uuid", 400},
	} {
		if r := h.do(t, tc.p, "GET", "/v1/invoices/"+tc.id, nil, nil); r.status != tc.want {
			t.Fatalf("get as %s: %d %s, want %d", tc.name, r.status, r.raw, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		p    *auth.Principal
		want int
	}{{"payer", &biz, 1}, {"other payer", &other, 1}, {"finance", &financeUser, 2}, {"auditor", &auditorUser, 2}} {
		r := h.do(t, tc.p, "GET", "/v1/invoices?limit=10", nil, nil)
		if items, _ := r.body["items"].([]any); r.status != 200 || len(items) != tc.want {
			t.Fatalf("list as %s: %d %s, want %d items", tc.name, r.status, r.raw, tc.want)
		}
	}
	if r := h.do(t, &officer, "GET", "/v1/invoices", nil, nil); r.status != 403 {
		t.Fatalf("list as officer: %d", r.status)
	}
	if r := h.do(t, &financeUser, "GET", "/v1/invoices?limit=1000", nil, nil); r.status != 400 {
		t.Fatalf("limit over 100: %d", r.status)
	}

	// Cancel: finance only; a second cancel is a conflict naming the state.
	if r := h.do(t, &biz, "POST", "/v1/invoices/"+theirs+"/cancel", map[string]any{"reason": "x"}, nil); r.status != 403 {
		t.Fatalf("cancel as business: %d", r.status)
	}
	if r := h.do(t, &financeUser, "POST", "/v1/invoices/"+theirs+"/cancel", map[string]any{"reason": "wrong payer"}, nil); r.status != 200 || r.body["state"] != "cancelled" {
		t.Fatalf("cancel: %d %s", r.status, r.raw)
	}
	if r := h.do(t, &financeUser, "POST", "/v1/invoices/"+theirs+"/cancel", map[string]any{"reason": "again"}, nil); r.status != 409 || r.body["current_state"] != "cancelled" {
		t.Fatalf("cancel twice: %d %s", r.status, r.raw)
	}

	// Accepting a reviewed payment: finance only; a pending invoice has none.
	if r := h.do(t, &biz, "POST", "/v1/invoices/"+id+"/accept-payment", map[string]any{"reason": "x"}, nil); r.status != 403 {
		t.Fatalf("accept payment as business: %d", r.status)
	}
	if r := h.do(t, &financeUser, "POST", "/v1/invoices/"+id+"/accept-payment", map[string]any{"reason": "x"}, nil); r.status != 409 || r.body["current_state"] != "pending" {
		t.Fatalf("accept payment of a pending invoice: %d %s", r.status, r.raw)
	}

	// Sandbox: the payer its own, finance any; others 404, officers 403.
	code := created.body["billing_code"].(string)
	if r := h.do(t, &other, "POST", "/v1/sandbox/pay", map[string]any{"billing_code": code}, nil); r.status != 404 {
		t.Fatalf("sandbox pay of another's: %d %s", r.status, r.raw)
	}
	if r := h.do(t, &officer, "POST", "/v1/sandbox/pay", map[string]any{"billing_code": code}, nil); r.status != 403 {
		t.Fatalf("sandbox pay as officer: %d", r.status)
	}
	if r := h.do(t, &biz, "POST", "/v1/sandbox/pay", map[string]any{"billing_code": code}, nil); r.status != 200 || r.body["status"] != "applied" {
		t.Fatalf("sandbox pay: %d %s", r.status, r.raw)
	}
	if r := h.do(t, &biz, "GET", "/v1/invoices/"+id, nil, nil); r.body["state"] != "paid" {
		t.Fatalf("after sandbox payment: %s", r.raw)
	}

	// Payments with their proof: as the invoice; the ledger: finance and auditors.
	for _, tc := range []struct {
		name string
		p    *auth.Principal
		path string
		want int
	}{
		{"payer reads its payments", &biz, "/payments", 200},
		{"other payer", &other, "/payments", 404},
		{"officer", &officer, "/payments", 403},
		{"payer reads the ledger", &biz, "/ledger", 403},
		{"auditor reads the ledger", &auditorUser, "/ledger", 200},
		{"finance reads the ledger", &financeUser, "/ledger", 200},
	} {
		r := h.do(t, tc.p, "GET", "/v1/invoices/"+id+tc.path, nil, nil)
		if r.status != tc.want {
			t.Fatalf("%s: %d %s, want %d", tc.name, r.status, r.raw, tc.want)
		}
		if items, _ := r.body["items"].([]any); tc.want == 200 && len(items) == 0 {
			t.Fatalf("%s: no items", tc.name)
		}
	}
	if r := h.do(t, &biz, "GET", "/v1/invoices/"+id+"/payments", nil, nil); !strings.Contains(r.raw, `"proof":"NTPN`) {
		t.Fatalf("the proof of payment is not shown: %s", r.raw)
	}
	if r := h.do(t, &biz, "GET", "/v1/ledger/balances", nil, nil); r.status != 403 {
		t.Fatalf("balances as business: %d", r.status)
	}
	if r := h.do(t, &auditorUser, "GET", "/v1/ledger/balances", nil, nil); r.status != 200 || r.body["balanced"] != true {
		t.Fatalf("balances: %d %s", r.status, r.raw)
	}
}

func TestBillingCodeCreationIsRateLimitedPerCaller(t *testing.T) {
	h := start(t, false, "CREATIONS_PER_MINUTE", "3")
	for i := range 3 {
		if r := h.do(t, &financeUser, "POST", "/v1/invoices", newInvoiceBody(fmt.Sprint("RL-", i), "ORG-A", 1000), key()); r.status != 201 {
			t.Fatalf("creation %d: %d %s", i, r.status, r.raw)
		}
	}
	if r := h.do(t, &financeUser, "POST", "/v1/invoices", newInvoiceBody("RL-4", "ORG-A", 1000), key()); r.status != 429 {
		t.Fatalf("fourth creation in a minute: %d %s", r.status, r.raw)
	}
	other := auth.Principal{Subject: "fin-2", Roles: []string{auth.RoleFinance}}
	if r := h.do(t, &other, "POST", "/v1/invoices", newInvoiceBody("RL-5", "ORG-A", 1000), key()); r.status != 201 {
		t.Fatalf("another officer is not limited by the first: %d", r.status)
	}
}

func TestSandboxIsOffUnlessConfigured(t *testing.T) {
	h := start(t, false)
	r := h.do(t, &financeUser, "POST", "/v1/sandbox/pay", map[string]any{"billing_code": "712345678901238"}, nil)
	if r.status != 404 {
		t.Fatalf("sandbox when off: %d %s", r.status, r.raw)
	}
}

func signed(secret string, at time.Time, body []byte) map[string]string {
	ts, sig := domain.SignCallback([]byte(secret), at, body)
	return map[string]string{domain.HeaderGatewayTimestamp: ts, domain.HeaderGatewaySignature: sig}
}

func TestGatewayCallbackOverHTTP(t *testing.T) {
	h := start(t, false)
	inv := h.do(t, &financeUser, "POST", "/v1/invoices", newInvoiceBody("APP-1", "ORG-A", 1500000), key())
	code := inv.body["billing_code"].(string)
	body := []byte(`{"gateway_reference":"BNI-1","billing_code":"` + code + `","amount":{"amount":1500000,"currency":"IDR"},"paid_at":"` +
		time.Now().UTC().Format(time.RFC3339) + `","proof":"NTPN0001"}`)
	now := time.Now()
	for _, tc := range []struct {
		name    string
		body    []byte
		headers map[string]string
		want    int
	}{
		{"tampered body", bytes.Replace(body, []byte("1500000"), []byte("1500001"), 1), signed(testSecret, now, body), 401},
		{"wrong secret", body, signed("guess", now, body), 401},
		{"stale timestamp", body, signed(testSecret, now.Add(-10*time.Minute), body), 401},
		{"no signature headers", body, nil, 400},
	} {
		if r := h.do(t, nil, "POST", "/v1/gateway/callbacks", tc.body, tc.headers); r.status != tc.want {
			t.Fatalf("%s: %d %s", tc.name, r.status, r.raw)
		}
	}
	if r := h.do(t, &financeUser, "GET", "/v1/invoices/"+inv.body["id"].(string), nil, nil); r.body["state"] != "pending" {
		t.Fatalf("refused callbacks changed the invoice: %s", r.raw)
	}
	if r := h.do(t, nil, "POST", "/v1/gateway/callbacks", body, signed(testSecret, now, body)); r.status != 200 || r.body["status"] != "applied" {
		t.Fatalf("signed callback: %d %s", r.status, r.raw)
	}
	if r := h.do(t, nil, "POST", "/v1/gateway/callbacks", body, signed(testSecret, now, body)); r.status != 200 || r.body["status"] != "duplicate" {
		t.Fatalf("replayed callback: %d %s", r.status, r.raw)
	}
	// The paid event goes out through the outbox to the PAYMENT stream, once.
	got := h.collect(t, "payment.invoice.paid", 1)
	if got[0]["billing_code"] != code || got[0]["reference"] != "APP-1" {
		t.Fatalf("paid event %v", got[0])
	}
}

// collect waits for n events of typ on the PAYMENT stream (bounded), then
// checks no more arrive for a moment.
func (h *harness) collect(t *testing.T, typ string, n int) []map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var stream jetstream.Stream
	var err error
	for stream == nil {
		if stream, err = h.js.Stream(ctx, "PAYMENT"); err != nil {
			if ctx.Err() != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{typ}})
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for len(out) < n+1 {
		wait := 10 * time.Second
		if len(out) == n {
			wait = 500 * time.Millisecond // a moment for any extra copy
		}
		msg, err := cons.Next(jetstream.FetchMaxWait(wait))
		if err != nil {
			break
		}
		var ev struct {
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(msg.Data(), &ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev.Data)
	}
	if len(out) != n {
		t.Fatalf("%d %s events, want %d", len(out), typ, n)
	}
	return out
}

func (h *harness) publish(t *testing.T, typ string, data any) {
	t.Helper()
	ev, err := events.New("/test", typ, "", data, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(ev)
	if _, err := h.js.Publish(context.Background(), typ, raw, jetstream.WithMsgID(ev.ID)); err != nil {
		t.Fatal(err)
	}
}

func (h *harness) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (h *harness) count(t *testing.T, q string, args ...any) int {
	var n int
	if err := h.db.Get(&n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestInvoicesFromEventsAreMadeOnceAndBidSecuritiesSettledOnce(t *testing.T) {
	h := start(t, true)
	fee := map[string]any{"application_id": "APP-EV-1", "payer_org": "ORG-A", "reference": "APP-EV-1", "purpose": "license_fee",
		"amount": map[string]any{"amount": 500000, "currency": "IDR"}, "description": "Retribusi"}
	h.publish(t, "licensing.fee.requested", fee)
	h.publish(t, "licensing.fee.requested", fee) // the same request again, as a new event
	tender := uuid.NewString()
	for _, vendor := range []string{"WIN", "LOSE"} {
		req := map[string]any{"bid_security_id": vendor + "-sec", "tender_id": tender, "vendor": vendor, "reference": vendor + "-sec",
			"amount": map[string]any{"amount": 10000, "currency": "IDR"},
			// A deadline closer than an invoice's shortest validity still gets its invoice.
			"pay_before": time.Now().Add(10 * time.Minute).UTC().Format(time.RFC3339)}
		h.publish(t, "tender.bid_security.requested", req)
		h.publish(t, "tender.bid_security.requested", req)
	}
	h.waitFor(t, "three invoices", func() bool { return h.count(t, `SELECT count(*) FROM invoice`) == 3 })
	issued := h.collect(t, "payment.invoice.issued", 3)
	codes := map[string]string{}
	for _, d := range issued {
		codes[d["reference"].(string)] = d["billing_code"].(string)
	}
	// Both vendors pay through the sandbox; the award comes twice.
	for _, vendor := range []string{"WIN", "LOSE"} {
		p := businessUser(vendor)
		if r := h.do(t, &p, "POST", "/v1/sandbox/pay", map[string]any{"billing_code": codes[vendor+"-sec"]}, nil); r.status != 200 {
			t.Fatalf("pay %s: %d %s", vendor, r.status, r.raw)
		}
	}
	award := map[string]any{"tender_id": tender, "vendor": "WIN", "bid_id": uuid.NewString()}
	h.publish(t, "tender.award.finalised", award)
	h.publish(t, "tender.award.finalised", award)
	h.publish(t, "tender.bid_security.forfeit_requested", map[string]any{"tender_id": tender, "vendor": "LOSE", "reason": "late forfeit"})
	released := h.collect(t, "payment.bid_security.released", 1)
	if released[0]["vendor"] != "LOSE" {
		t.Fatalf("released %v", released[0])
	}
	h.collect(t, "payment.bid_security.forfeited", 0)
	h.waitFor(t, "every event handled", func() bool { return h.count(t, `SELECT count(*) FROM inbox`) == 9 })
	if n := h.count(t, `SELECT count(*) FROM bid_security WHERE state = 'held' AND vendor = 'WIN'`); n != 1 {
		t.Fatal("the winner's security is not held")
	}
	if n := h.count(t, `SELECT count(*) FROM dead_letter`); n != 0 {
		t.Fatalf("%d dead letters", n)
	}
	// A cancelled tender releases every security, the winner-to-be's too.
	cancelled := uuid.NewString()
	h.publish(t, "tender.bid_security.requested", map[string]any{"bid_security_id": "C-sec", "tender_id": cancelled, "vendor": "WIN",
		"reference": "C-sec", "amount": map[string]any{"amount": 3000, "currency": "IDR"}})
	h.waitFor(t, "the security invoiced", func() bool { return h.count(t, `SELECT count(*) FROM invoice WHERE reference = 'C-sec'`) == 1 })
	var cCode string
	if err := h.db.Get(&cCode, `SELECT billing_code FROM invoice WHERE reference = 'C-sec'`); err != nil {
		t.Fatal(err)
	}
	win := businessUser("WIN")
	h.do(t, &win, "POST", "/v1/sandbox/pay", map[string]any{"billing_code": cCode}, nil)
	h.publish(t, "tender.tender.cancelled", map[string]any{"tender_id": cancelled, "reason": "budget withdrawn"})
	h.waitFor(t, "the cancelled tender's security released", func() bool {
		return h.count(t, `SELECT count(*) FROM bid_security WHERE tender_id = $1 AND state = 'released'`, cancelled) == 1
	})

	// A fee request that can never make an invoice is dead-lettered at once,
	// not retried, and makes nothing.
	h.publish(t, "licensing.fee.requested", map[string]any{"application_id": "APP-BAD", "payer_org": "ORG-A", "reference": "APP-BAD",
		"amount": map[string]any{"amount": -5, "currency": "IDR"}})
	h.waitFor(t, "the poison event dead-lettered", func() bool { return h.count(t, `SELECT count(*) FROM dead_letter`) == 1 })
	if n := h.count(t, `SELECT count(*) FROM invoice WHERE reference = 'APP-BAD'`); n != 0 {
		t.Fatal("a poison event made an invoice")
	}
}

func TestHundredConcurrentCallbacksOverHTTPPublishOnePaidEvent(t *testing.T) {
	h := start(t, false)
	inv := h.do(t, &financeUser, "POST", "/v1/invoices", newInvoiceBody("APP-1", "ORG-A", 1500000), key())
	body := []byte(`{"gateway_reference":"BNI-RACE","billing_code":"` + inv.body["billing_code"].(string) +
		`","amount":{"amount":1500000,"currency":"IDR"},"paid_at":"` + time.Now().UTC().Format(time.RFC3339) + `","proof":"NTPN0002"}`)
	headers := signed(testSecret, time.Now(), body)
	var wg sync.WaitGroup
	statuses := make(chan string, 100)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := h.do(t, nil, "POST", "/v1/gateway/callbacks", body, headers)
			statuses <- fmt.Sprint(r.status, " ", r.body["status"])
		}()
	}
	wg.Wait()
	close(statuses)
	tally := map[string]int{}
	for s := range statuses {
		tally[s]++
	}
	if tally["200 applied"] != 1 || tally["200 duplicate"] != 99 {
		t.Fatalf("answers %v", tally)
	}
	h.collect(t, "payment.invoice.paid", 1)
	if n := h.count(t, `SELECT count(*) FROM ledger_transaction WHERE kind = 'payment_received'`); n != 1 {
		t.Fatalf("%d payment transactions", n)
	}
	if !strings.Contains(h.do(t, &financeUser, "GET", "/v1/invoices/"+inv.body["id"].(string), nil, nil).raw, `"paid"`) {
		t.Fatal("invoice not paid")
	}
}

func (h *harness) doRaw(t *testing.T, p *auth.Principal, method, path, contentType string, body []byte) response {
	t.Helper()
	req, _ := http.NewRequest(method, h.svc.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if p != nil {
		req.Header.Set("Authorization", "Bearer "+h.tokens.Mint(t, *p))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func TestRefundsNeedFourEyesAndReconciliationIsFinanceOnly(t *testing.T) {
	h := start(t, true)
	finance2 := auth.Principal{Subject: "fin-2", Roles: []string{auth.RoleFinance}}
	biz := businessUser("ORG-A")
	other := businessUser("ORG-B")
	inv := h.do(t, &financeUser, "POST", "/v1/invoices", newInvoiceBody("APP-1", "ORG-A", 1500000), key())
	id, code := inv.body["id"].(string), inv.body["billing_code"].(string)
	if r := h.do(t, &biz, "POST", "/v1/sandbox/pay", map[string]any{"billing_code": code}, nil); r.status != 200 {
		t.Fatalf("pay: %d %s", r.status, r.raw)
	}
	reason := map[string]any{"reason": "withdrawn"}
	for _, tc := range []struct {
		name string
		p    *auth.Principal
		want int
	}{{"anonymous", nil, 401}, {"business", &biz, 403}, {"auditor", &auditorUser, 403}} {
		if r := h.do(t, tc.p, "POST", "/v1/invoices/"+id+"/refunds", reason, key()); r.status != tc.want {
			t.Fatalf("refund request as %s: %d, want %d", tc.name, r.status, tc.want)
		}
	}
	req := h.do(t, &financeUser, "POST", "/v1/invoices/"+id+"/refunds", reason, key())
	if req.status != 201 || req.body["state"] != "requested" {
		t.Fatalf("request: %d %s", req.status, req.raw)
	}
	rid := req.body["id"].(string)
	for _, tc := range []struct {
		name string
		p    *auth.Principal
		want int
	}{{"the requester", &financeUser, 403}, {"business", &biz, 403}, {"auditor", &auditorUser, 403}, {"anonymous", nil, 401}} {
		if r := h.do(t, tc.p, "POST", "/v1/refunds/"+rid+"/approve", nil, nil); r.status != tc.want {
			t.Fatalf("approve as %s: %d %s, want %d", tc.name, r.status, r.raw, tc.want)
		}
	}
	for _, tc := range []struct {
		name string
		p    *auth.Principal
		want int
	}{{"payer", &biz, 200}, {"other payer", &other, 404}, {"auditor", &auditorUser, 200}, {"officer", &officer, 403}} {
		if r := h.do(t, tc.p, "GET", "/v1/refunds/"+rid, nil, nil); r.status != tc.want {
			t.Fatalf("get refund as %s: %d, want %d", tc.name, r.status, tc.want)
		}
	}
	if r := h.do(t, &biz, "GET", "/v1/refunds", nil, nil); r.status != 403 {
		t.Fatalf("list refunds as business: %d", r.status)
	}
	if r := h.do(t, &finance2, "POST", "/v1/refunds/"+rid+"/approve", nil, nil); r.status != 200 || r.body["state"] != "approved" {
		t.Fatalf("approve by a second officer: %d %s", r.status, r.raw)
	}
	completed := h.collect(t, "payment.refund.completed", 1)
	if completed[0]["invoice_id"] != id {
		t.Fatalf("refund event %v", completed[0])
	}
	h.waitFor(t, "invoice refunded", func() bool {
		return h.do(t, &biz, "GET", "/v1/invoices/"+id, nil, nil).body["state"] == "refunded"
	})

	// Reconciliation: finance uploads, auditors read, others are refused.
	paid := h.do(t, &financeUser, "POST", "/v1/invoices", newInvoiceBody("APP-2", "ORG-A", 7000), key())
	h.do(t, &biz, "POST", "/v1/sandbox/pay", map[string]any{"billing_code": paid.body["billing_code"]}, nil)
	csv := []byte("value_date,billing_code,amount,bank_reference\n2026-11-25," + paid.body["billing_code"].(string) + ",7000,BNI-9\n")
	for _, tc := range []struct {
		name string
		p    *auth.Principal
		want int
	}{{"business", &biz, 403}, {"auditor", &auditorUser, 403}, {"anonymous", nil, 401}} {
		if r := h.doRaw(t, tc.p, "POST", "/v1/reconciliations", "text/csv", csv); r.status != tc.want {
			t.Fatalf("upload as %s: %d, want %d", tc.name, r.status, tc.want)
		}
	}
	bad := []byte("value_date,billing_code,amount,bank_reference\n2026-11-25,123,7000,BNI-9\n")
	if r := h.doRaw(t, &financeUser, "POST", "/v1/reconciliations", "text/csv", bad); r.status != 400 || !strings.Contains(r.raw, "body.line[2].billing_code") {
		t.Fatalf("malformed upload: %d %s", r.status, r.raw)
	}
	rep := h.doRaw(t, &financeUser, "POST", "/v1/reconciliations", "text/csv", csv)
	if matched, _ := rep.body["matched"].([]any); rep.status != 201 || len(matched) != 1 {
		t.Fatalf("upload: %d %s", rep.status, rep.raw)
	}
	if r := h.do(t, &auditorUser, "GET", "/v1/reconciliations/"+rep.body["id"].(string), nil, nil); r.status != 200 {
		t.Fatalf("auditor reads the report: %d", r.status)
	}
	if r := h.do(t, &biz, "GET", "/v1/reconciliations/"+rep.body["id"].(string), nil, nil); r.status != 403 {
		t.Fatalf("business reads the report: %d", r.status)
	}
	if r := h.do(t, &biz, "GET", "/v1/invoices/"+paid.body["id"].(string), nil, nil); r.body["state"] != "reconciled" {
		t.Fatalf("matched invoice: %s", r.raw)
	}
}

// Amounts have bounds (domain.MaxInvoiceAmount, the contract's Rp 10^15),
// every refusal names the field in words, and no amount stored makes the
// balances fail for everyone.
func TestHugeAmountsAreRefusedAndTheBalancesNeverFail(t *testing.T) {
	h := start(t, false)
	for _, tt := range []struct {
		amount string
		status int
	}{
		{"9223372036854775807", http.StatusBadRequest},
		{"9223372036854775808", http.StatusBadRequest},
		{"1e30", http.StatusBadRequest},
		{fmt.Sprint(domain.MaxInvoiceAmount + 1), http.StatusBadRequest},
		{fmt.Sprint(domain.MaxInvoiceAmount), http.StatusCreated},
	} {
		body := []byte(`{"purpose":"license_fee","reference":"LIC-HUGE-` + tt.amount + `","payer":"ORG-HUGE","amount":{"amount":` + tt.amount + `,"currency":"IDR"}}`)
		r := h.do(t, &financeUser, "POST", "/v1/invoices", body, key())
		if r.status != tt.status {
			t.Fatalf("invoice of %s: status %d, want %d: %s", tt.amount, r.status, tt.status, r.raw)
		}
		if tt.status == http.StatusBadRequest && (!strings.Contains(r.raw, `"body.amount.amount"`) && !strings.Contains(r.raw, `"amount.amount"`) ||
			strings.Contains(r.raw, "Go struct") || strings.Contains(r.raw, "int64")) {
			t.Errorf("invoice of %s: the problem does not name the field in words: %s", tt.amount, r.raw)
		}
	}
	// Postings beyond int64 in sum, as no request can make them: the
	// balances still answer, and say they do not balance.
	if _, err := h.db.Exec(`INSERT INTO ledger_transaction (id, kind, created_at) VALUES ('0193a6f2-6c1e-7b3a-9f41-2d5c8e0a1b77', 'adjustment', now());
		INSERT INTO ledger_posting (transaction_id, account, currency, amount) VALUES
		('0193a6f2-6c1e-7b3a-9f41-2d5c8e0a1b77', 'receivable:ORG-X', 'IDR', 9223372036854775807),
		('0193a6f2-6c1e-7b3a-9f41-2d5c8e0a1b77', 'receivable:ORG-X', 'IDR', 9223372036854775807),
		('0193a6f2-6c1e-7b3a-9f41-2d5c8e0a1b77', 'receivable:ORG-Y', 'IDR', -9223372036854775807),
		('0193a6f2-6c1e-7b3a-9f41-2d5c8e0a1b77', 'receivable:ORG-Y', 'IDR', -9223372036854775807)`); err != nil {
		t.Fatal(err)
	}
	r := h.do(t, &auditorUser, "GET", "/v1/ledger/balances", nil, nil)
	if r.status >= 500 || r.status == http.StatusOK {
		t.Fatalf("balances beyond int64: status %d: %s", r.status, r.raw)
	}
	if !strings.Contains(r.raw, "receivable:ORG-X") {
		t.Errorf("the answer does not say which balance: %s", r.raw)
	}
}
