package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The fault tests of DESIGN.md ("Testing"): a service killed with SIGKILL in
// the middle of traffic, NATS stopped and started. Nothing acknowledged is
// lost, nothing is applied twice.

// A business user and the business it acts for (the org of its token).
type tenant struct {
	name  string
	token string
	biz   string
}

// registerTenants logs in the two demo business users and registers the
// business each acts for, with the activities the fault tests apply for.
func registerTenants(t *testing.T, p *platform) []tenant {
	t.Helper()
	ts := []tenant{
		{name: "usaha", token: p.login("usaha@demo.gerbang.id"), biz: "01930000-0000-7000-8000-00000000b001"},
		{name: "vendor2", token: p.login("vendor2@demo.gerbang.id"), biz: "01930000-0000-7000-8000-00000000b002"},
	}
	for i, tn := range ts {
		b := decode(t, mustStatus(t, "register business of "+tn.name, http.StatusCreated)(p.do("POST", "licensing", "/v1/businesses", tn.token, map[string]any{
			"name": "PT Uji Gangguan " + tn.name, "npwp": fmt.Sprintf("0%d.345.678.9-012.000", i+3), "address": "Jl. Sudirman 1, Jakarta",
			"scale": "small", "kbli": []string{"62010", "49431"},
		})))
		if b["id"] != tn.biz {
			t.Fatalf("business of %s: %v, want the organisation's id %s", tn.name, b["id"], tn.biz)
		}
	}
	return ts
}

// listAll reads every page of a list endpoint.
func listAll(t *testing.T, p *platform, service, path, token string) []map[string]any {
	t.Helper()
	var all []map[string]any
	cursor := ""
	for {
		q := path + "?limit=100"
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		var page struct {
			Items      []map[string]any `json:"items"`
			NextCursor *string          `json:"next_cursor"`
		}
		body := mustStatus(t, "list "+service+" "+path, http.StatusOK)(p.get(service, q, token))
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatalf("list %s %s: %s", service, path, body)
		}
		all = append(all, page.Items...)
		if page.NextCursor == nil || *page.NextCursor == "" {
			return all
		}
		cursor = *page.NextCursor
	}
}

// feeCase is an application whose license costs a fee, and its invoice.
type feeCase struct {
	tn          tenant
	app         string
	invoice     string
	billingCode string
	amount      int64
}

// feeApplication takes an application for KBLI 49431 (medium-high risk, a
// fee, a review) through submission and review; approve says whether the
// officer approves it too (licensing.fee.requested).
func feeApplication(t *testing.T, p *platform, tn tenant, officer, key string, approve bool) string {
	t.Helper()
	app := decode(t, mustStatus(t, "apply "+key, http.StatusCreated)(p.do("POST", "licensing", "/v1/applications", tn.token,
		map[string]any{"business_id": tn.biz, "kbli": "49431"}, "Idempotency-Key", key)))
	id := app["id"].(string)
	need := decode(t, mustStatus(t, "what 49431 needs", http.StatusOK)(p.get("licensing", "/v1/catalog/requirements?kbli=49431&scale=small", "")))
	for _, req := range requirementCodes(t, need["license_type"].(map[string]any)) {
		mustStatus(t, "upload "+req, http.StatusCreated)(p.upload(tn.token, id, req))
	}
	mustStatus(t, "submit "+key, http.StatusOK)(p.do("POST", "licensing", "/v1/applications/"+id+"/submit", tn.token, nil))
	mustStatus(t, "start review "+key, http.StatusOK)(p.do("POST", "licensing", "/v1/applications/"+id+"/start-review", officer, nil))
	if approve {
		approved := decode(t, mustStatus(t, "approve "+key, http.StatusOK)(p.do("POST", "licensing", "/v1/applications/"+id+"/approve", officer, nil)))
		if approved["state"] != "awaiting_payment" {
			t.Fatalf("approved %s is %v, want awaiting_payment", key, approved["state"])
		}
	}
	return id
}

// invoicesFor lists the invoices of a business that reference an application.
func invoicesFor(t *testing.T, p *platform, tn tenant, reference string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, inv := range listAll(t, p, "payment", "/v1/invoices", tn.token) {
		if inv["reference"] == reference {
			out = append(out, inv)
		}
	}
	return out
}

// feeInvoice waits for payment to invoice the fee of an application.
func feeInvoice(t *testing.T, p *platform, tn tenant, app string) feeCase {
	t.Helper()
	p.eventually("payment invoices the fee of "+app, func() bool { return len(invoicesFor(t, p, tn, app)) > 0 })
	invs := invoicesFor(t, p, tn, app)
	if len(invs) != 1 || invs[0]["state"] != "pending" || invs[0]["purpose"] != "license_fee" {
		t.Fatalf("invoices for %s: %v, want one pending license fee", app, invs)
	}
	return feeCase{tn: tn, app: app, invoice: invs[0]["id"].(string), billingCode: invs[0]["billing_code"].(string),
		amount: int64(invs[0]["amount"].(map[string]any)["amount"].(float64))}
}

// feeCases makes n approved fee-bearing applications, alternating the
// tenants, and waits for their invoices.
func feeCases(t *testing.T, p *platform, ts []tenant, officer, prefix string, n int) []feeCase {
	t.Helper()
	apps := make([]string, n)
	for i := range apps {
		apps[i] = feeApplication(t, p, ts[i%len(ts)], officer, fmt.Sprintf("%s-fee-%d", prefix, i), true)
	}
	fees := make([]feeCase, n)
	for i, app := range apps {
		fees[i] = feeInvoice(t, p, ts[i%len(ts)], app)
	}
	return fees
}

// checkPaidOnceAndLicensedOnce checks that each fee was paid by exactly one
// payment, that the ledger took each fee in once and held nothing in
// suspense, and that licensing issued each application.
func checkPaidOnceAndLicensedOnce(t *testing.T, p *platform, fees []feeCase, finance string) {
	t.Helper()
	var total int64
	for _, f := range fees {
		invs := invoicesFor(t, p, f.tn, f.app)
		if len(invs) != 1 || invs[0]["id"] != f.invoice || invs[0]["state"] != "paid" {
			t.Fatalf("invoices for %s: %v, want the one invoice %s, paid", f.app, invs, f.invoice)
		}
		var pays struct {
			Items []map[string]any `json:"items"`
		}
		body := mustStatus(t, "payments of "+f.invoice, http.StatusOK)(p.get("payment", "/v1/invoices/"+f.invoice+"/payments", f.tn.token))
		if err := json.Unmarshal(body, &pays); err != nil || len(pays.Items) != 1 || pays.Items[0]["outcome"] != "applied" {
			t.Fatalf("payments of invoice %s: %s, want exactly one, applied", f.invoice, body)
		}
		total += f.amount
		p.eventually("licensing issues "+f.app+" once paid", func() bool {
			_, body := p.get("licensing", "/v1/applications/"+f.app, f.tn.token)
			return decode(t, body)["state"] == "issued"
		})
	}
	// Every payment went through the gateway clearing account once, and
	// none was held in suspense (a second payment of a paid invoice).
	bal := decode(t, mustStatus(t, "ledger balances", http.StatusOK)(p.get("payment", "/v1/ledger/balances", finance)))
	if bal["balanced"] != true {
		t.Fatalf("ledger not balanced: %v", bal)
	}
	accounts := map[string]int64{}
	for _, a := range bal["accounts"].([]any) {
		acc := a.(map[string]any)
		accounts[acc["account"].(string)] = int64(acc["balance"].(map[string]any)["amount"].(float64))
	}
	if accounts["gateway_clearing"] != total || accounts["payment_suspense"] != 0 {
		t.Fatalf("ledger: gateway_clearing %d (want %d, the fees once), payment_suspense %d (want 0): %v",
			accounts["gateway_clearing"], total, accounts["payment_suspense"], accounts)
	}
}

// licensesByApplication counts the licenses of the tenants by application.
func licensesByApplication(t *testing.T, p *platform, ts []tenant) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, tn := range ts {
		for _, l := range listAll(t, p, "licensing", "/v1/licenses", tn.token) {
			n[l["application_id"].(string)]++
		}
	}
	return n
}

// isTransient tells an answer worth retrying unchanged: no answer at all
// (the process is dead or restarting) or a 5xx.
func isTransient(code int) bool { return code == 0 || code >= 500 }

// retryFor bounds the retries of one request across a restart.
const retryFor = 2 * time.Minute

// createOp is one low-risk application a client creates and submits under
// one Idempotency-Key.
type createOp struct {
	tn  tenant
	key string
	// created: a 201 was received (id is the application); doubtful: the
	// create's fate was unknown when the traffic stopped.
	id        string
	created   bool
	doubtful  bool
	submitted bool   // a 200 to the submit was received
	failure   string // an answer no fault explains
}

// create sends the create until it is answered; it gives up (doubtful) on a
// 409 (the key is still leased to a request the kill cut short) or when
// stop is closed.
func (op *createOp) create(p *platform, stop <-chan struct{}) {
	for start := time.Now(); ; {
		code, body := p.do("POST", "licensing", "/v1/applications", op.tn.token,
			map[string]any{"business_id": op.tn.biz, "kbli": "62010"}, "Idempotency-Key", op.key)
		switch {
		case code == http.StatusCreated:
			var a struct {
				ID    string `json:"id"`
				State string `json:"state"`
			}
			if err := json.Unmarshal(body, &a); err != nil || a.ID == "" || a.State != "draft" {
				op.failure = fmt.Sprintf("create %s: 201 %s", op.key, body)
				return
			}
			op.id, op.created = a.ID, true
			return
		case code == http.StatusConflict:
			op.doubtful = true
			return
		case isTransient(code) && time.Since(start) > retryFor:
			op.failure = fmt.Sprintf("create %s: no answer within %v", op.key, retryFor)
			return
		case isTransient(code):
			select {
			case <-stop:
				op.doubtful = true
				return
			case <-time.After(20 * time.Millisecond):
			}
		default:
			op.failure = fmt.Sprintf("create %s: %d %s", op.key, code, body)
			return
		}
	}
}

// submit submits the created draft until answered. A 409 after a lost
// answer means the first submit was applied; the state is checked later.
func (op *createOp) submit(p *platform) {
	for start := time.Now(); time.Since(start) < retryFor; {
		code, body := p.do("POST", "licensing", "/v1/applications/"+op.id+"/submit", op.tn.token, nil)
		switch {
		case code == http.StatusOK:
			op.submitted = true
			return
		case code == http.StatusConflict:
			return
		case isTransient(code):
			time.Sleep(20 * time.Millisecond)
		default:
			op.failure = fmt.Sprintf("submit %s (%s): %d %s", op.key, op.id, code, body)
			return
		}
	}
	op.failure = fmt.Sprintf("submit %s (%s): no answer within %v", op.key, op.id, retryFor)
}

// Businesses create and submit low-risk applications (issued at submission)
// from four clients while payment takes the fees of applications awaiting
// payment; licensing is killed with SIGKILL in the middle and started again.
// Every application whose creation was acknowledged is there and issued;
// a creation cut short, retried with its Idempotency-Key, makes no second
// application; each application has exactly one license, including those
// whose payment.invoice.paid licensing was consuming when it died.
func TestKillNineMidTrafficLosesNothingAcknowledged(t *testing.T) {
	p := startPlatform(t, nil)
	officer := p.login("petugas.izin@demo.gerbang.id")
	finance := p.login("keuangan@demo.gerbang.id")
	ts := registerTenants(t, p)
	fees := feeCases(t, p, ts, officer, "kill9", 6)

	cr := startCreators(p, ts, 4, "kill9")
	var wg sync.WaitGroup
	var paid atomic.Int64
	// The payer pays the fees one by one, across the kill; payment stays up,
	// so each payment is acknowledged, and licensing consumes the events
	// before it dies or after it is back.
	payErrs := make(chan string, len(fees))
	wg.Go(func() {
		tick := time.NewTicker(150 * time.Millisecond)
		defer tick.Stop()
		for _, f := range fees {
			<-tick.C
			code, body := p.do("POST", "payment", "/v1/sandbox/pay", f.tn.token, map[string]any{"billing_code": f.billingCode})
			if code != http.StatusOK || !strings.Contains(string(body), `"status":"applied"`) {
				payErrs <- fmt.Sprintf("pay %s: %d %s", f.billingCode, code, body)
			}
			paid.Add(1)
		}
	})

	p.eventually("traffic flows before the kill", func() bool { return cr.acked.Load() >= 8 && paid.Load() >= 2 })
	p.kill("licensing")
	atKill := cr.acked.Load()
	p.start("licensing")
	p.eventually("traffic flows again after the restart", func() bool { return cr.acked.Load() >= atKill+8 && paid.Load() == int64(len(fees)) })
	ops := cr.stop()
	wg.Wait()
	close(payErrs)
	for e := range payErrs {
		t.Error(e)
	}

	want := settleAndCheckApplications(t, p, ts, ops)
	t.Logf("%d applications, %d acknowledged before the kill", len(ops), atKill)

	// Fees: each paid once, each application issued once paid.
	checkPaidOnceAndLicensedOnce(t, p, fees, finance)
	checkOneLicenseEach(t, p, ts, want, fees)
	auditor := p.login("auditor@demo.gerbang.id")
	p.eventually("licensing's audit chain verifies after the kill", func() bool {
		code, body := p.get("licensing", "/v1/audit/verify", auditor)
		return code == http.StatusOK && decode(t, body)["ok"] == true
	})
}

// settleAndCheckApplications retries the creations whose fate was unknown
// with their keys until answered (409 while a killed request's lease runs,
// then a 201: the stored answer, or the application made now, never a
// second one), then checks that every key made exactly one application,
// issued, and that the tenants have no other. It returns the applications
// by business.
func settleAndCheckApplications(t *testing.T, p *platform, ts []tenant, ops []*createOp) map[string]map[string]bool {
	t.Helper()
	var doubtful []*createOp
	for _, op := range ops {
		if op.failure != "" {
			t.Error(op.failure)
		}
		if op.doubtful {
			doubtful = append(doubtful, op)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	var retry sync.WaitGroup
	deadline := time.Now().Add(100 * time.Second) // above the one-minute idempotency lease
	for _, op := range doubtful {
		retry.Go(func() {
			for !op.created && op.failure == "" && time.Now().Before(deadline) {
				op.doubtful = false
				op.create(p, nil)
				if op.doubtful {
					time.Sleep(500 * time.Millisecond) // the key is leased: ask again
				}
			}
			if op.created {
				op.submit(p)
			} else if op.failure == "" {
				op.failure = fmt.Sprintf("create %s: still in progress after the lease", op.key)
			}
		})
	}
	retry.Wait()
	for _, op := range doubtful {
		if op.failure != "" {
			t.Fatal(op.failure)
		}
	}
	t.Logf("%d creations retried after their answer was lost", len(doubtful))

	want := map[string]map[string]bool{}
	for _, tn := range ts {
		want[tn.biz] = map[string]bool{}
	}
	for _, op := range ops {
		if want[op.tn.biz][op.id] {
			t.Fatalf("two keys answered with application %s", op.id)
		}
		want[op.tn.biz][op.id] = true
		code, body := p.get("licensing", "/v1/applications/"+op.id, op.tn.token)
		if code != http.StatusOK || decode(t, body)["state"] != "issued" {
			t.Fatalf("application %s (key %s, submit acknowledged %v): %d %s, want issued", op.id, op.key, op.submitted, code, body)
		}
	}
	for _, tn := range ts {
		got := 0
		for _, a := range listAll(t, p, "licensing", "/v1/applications", tn.token) {
			if a["kbli"] != "62010" {
				continue
			}
			got++
			if !want[tn.biz][a["id"].(string)] {
				t.Fatalf("application %s of %s was made by no acknowledged key: a duplicate", a["id"], tn.name)
			}
		}
		if got != len(want[tn.biz]) {
			t.Fatalf("%s has %d low-risk applications, want %d, one per key", tn.name, got, len(want[tn.biz]))
		}
	}
	return want
}

// checkOneLicenseEach checks that each application of want and each fee's
// application holds exactly one license, and no other application any.
func checkOneLicenseEach(t *testing.T, p *platform, ts []tenant, want map[string]map[string]bool, fees []feeCase) {
	t.Helper()
	for _, f := range fees {
		want[f.tn.biz][f.app] = true
	}
	licenses := licensesByApplication(t, p, ts)
	n := 0
	for _, tn := range ts {
		for app := range want[tn.biz] {
			n++
			if licenses[app] != 1 {
				t.Fatalf("application %s has %d licenses, want exactly 1", app, licenses[app])
			}
		}
	}
	if len(licenses) != n {
		t.Fatalf("%d applications hold licenses, want %d", len(licenses), n)
	}
}

// creators are clients that create and submit low-risk applications, each
// under its own Idempotency-Key, until stopped.
type creators struct {
	acked atomic.Int64 // creations answered 201
	done  chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	ops   []*createOp
	ackAt []time.Time // when each creation was acknowledged
}

// startCreators starts n clients, alternating the tenants, with keys
// prefix-<client>-<i>.
func startCreators(p *platform, ts []tenant, n int, prefix string) *creators {
	c := &creators{done: make(chan struct{})}
	for w := range n {
		tn := ts[w%len(ts)]
		c.wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-c.done:
					return
				default:
				}
				op := &createOp{tn: tn, key: fmt.Sprintf("%s-%d-%d", prefix, w, i)}
				op.create(p, c.done)
				c.mu.Lock()
				if op.created {
					c.ackAt = append(c.ackAt, time.Now())
				}
				c.mu.Unlock()
				if op.created {
					c.acked.Add(1)
					op.submit(p)
				}
				c.mu.Lock()
				c.ops = append(c.ops, op)
				c.mu.Unlock()
			}
		})
	}
	return c
}

// stop ends the traffic and returns every creation tried.
func (c *creators) stop() []*createOp {
	close(c.done)
	c.wg.Wait()
	return c.ops
}

// acks returns the acknowledgement times so far, in order.
func (c *creators) acks() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Time(nil), c.ackAt...)
}

// readyzNATS answers /readyz of a service: its status and its NATS check.
func readyzNATS(p *platform, service string) (int, string) {
	code, body := p.get(service, "/readyz", "")
	var h struct {
		Checks map[string]any `json:"checks"`
	}
	_ = json.Unmarshal(body, &h)
	nats, _ := h.Checks["nats"].(string)
	return code, nats
}

// With NATS stopped the services say they are not ready but go on taking
// requests: an officer approves a fee-bearing application, a business gets
// a low-risk license. Their events wait in the outbox; once NATS is back,
// payment invoices the fee exactly once. With NATS stopped again, the
// payment's event waits in payment's outbox; once NATS is back, licensing
// issues the license exactly once.
func TestNATSDownDelaysButLosesNoEvent(t *testing.T) {
	p := startPlatform(t, nil)
	officer := p.login("petugas.izin@demo.gerbang.id")
	finance := p.login("keuangan@demo.gerbang.id")
	ts := registerTenants(t, p)
	tn := ts[0]
	app := feeApplication(t, p, tn, officer, "natsdown-fee", false)

	waitReadiness := func(wantCode int) {
		t.Helper()
		for _, s := range []string{"licensing", "tender", "payment"} {
			p.eventually(fmt.Sprintf("%s /readyz answers %d", s, wantCode), func() bool {
				code, nats := readyzNATS(p, s)
				return code == wantCode && (nats == "ok") == (wantCode == http.StatusOK)
			})
		}
	}

	p.nats.Shutdown()
	waitReadiness(http.StatusServiceUnavailable)
	approved := decode(t, mustStatus(t, "approve without NATS", http.StatusOK)(p.do("POST", "licensing", "/v1/applications/"+app+"/approve", officer, nil)))
	if approved["state"] != "awaiting_payment" {
		t.Fatalf("approved without NATS: %v, want awaiting_payment", approved["state"])
	}
	low := decode(t, mustStatus(t, "apply without NATS", http.StatusCreated)(p.do("POST", "licensing", "/v1/applications", tn.token,
		map[string]any{"business_id": tn.biz, "kbli": "62010"}, "Idempotency-Key", "natsdown-low")))
	lowID := low["id"].(string)
	if s := decode(t, mustStatus(t, "submit without NATS", http.StatusOK)(p.do("POST", "licensing", "/v1/applications/"+lowID+"/submit", tn.token, nil)))["state"]; s != "issued" {
		t.Fatalf("low-risk application submitted without NATS: %v, want issued", s)
	}
	if invs := invoicesFor(t, p, tn, app); len(invs) != 0 {
		t.Fatalf("payment invoiced %s while NATS was down: %v", app, invs)
	}

	p.nats.Restart()
	waitReadiness(http.StatusOK)
	fee := feeInvoice(t, p, tn, app)

	// The other way: payment's event waits while NATS is down.
	p.nats.Shutdown()
	waitReadiness(http.StatusServiceUnavailable)
	receipt := decode(t, mustStatus(t, "pay without NATS", http.StatusOK)(p.do("POST", "payment", "/v1/sandbox/pay", tn.token, map[string]any{"billing_code": fee.billingCode})))
	if receipt["status"] != "applied" {
		t.Fatalf("payment without NATS: %v, want applied", receipt)
	}
	if s := decode(t, mustStatus(t, "application while NATS is down", http.StatusOK)(p.get("licensing", "/v1/applications/"+app, tn.token)))["state"]; s != "awaiting_payment" {
		t.Fatalf("application %s is %v before licensing can have heard of the payment, want awaiting_payment", app, s)
	}
	p.nats.Restart()
	waitReadiness(http.StatusOK)

	checkPaidOnceAndLicensedOnce(t, p, []feeCase{fee}, finance)
	licenses := licensesByApplication(t, p, ts)
	if len(licenses) != 2 || licenses[app] != 1 || licenses[lowID] != 1 {
		t.Fatalf("licenses by application: %v, want exactly one for %s and one for %s", licenses, app, lowID)
	}
}

// gatewayCallback is one payment as the bank confirms it: its body, signed
// again at each delivery, and the answers it got.
type gatewayCallback struct {
	fee     feeCase
	ref     string
	body    []byte
	answers []string
	failure string
}

// deliver sends the callback until payment answers it (a gateway redelivers
// what was not acknowledged), signing it with the sandbox's secret.
func (cb *gatewayCallback) deliver(p *platform) {
	for start := time.Now(); time.Since(start) < retryFor; {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		m := hmac.New(sha256.New, []byte("gerbang-dev-gateway-secret"))
		m.Write([]byte(ts + "." + string(cb.body)))
		code, body := p.do("POST", "payment", "/v1/gateway/callbacks", "", json.RawMessage(cb.body),
			"X-Gateway-Timestamp", ts, "X-Gateway-Signature", "v1="+hex.EncodeToString(m.Sum(nil)))
		switch {
		case code == http.StatusOK:
			var r struct {
				Status    string `json:"status"`
				InvoiceID string `json:"invoice_id"`
			}
			if err := json.Unmarshal(body, &r); err != nil || r.InvoiceID != cb.fee.invoice {
				cb.failure = fmt.Sprintf("callback %s: %s, want a receipt for invoice %s", cb.ref, body, cb.fee.invoice)
			}
			cb.answers = append(cb.answers, r.Status)
			return
		case isTransient(code):
			cb.answers = append(cb.answers, "no answer")
			time.Sleep(20 * time.Millisecond)
		default:
			cb.failure = fmt.Sprintf("callback %s: %d %s", cb.ref, code, body)
			return
		}
	}
	cb.failure = fmt.Sprintf("callback %s: no answer within %v", cb.ref, retryFor)
}

// The gateway confirms the fees of eight applications from four
// connections; payment is killed with SIGKILL among the callbacks and
// started again; the gateway redelivers every callback not acknowledged,
// then every callback once more. Each invoice is paid by exactly one
// payment, the first acknowledged answer of a callback is "applied" or (a
// redelivery of one applied before the kill) "duplicate", every later one
// "duplicate"; the ledger takes each fee once; licensing issues each
// application exactly one license.
func TestPaymentKilledBetweenCallbacksPaysOnce(t *testing.T) {
	p := startPlatform(t, nil)
	officer := p.login("petugas.izin@demo.gerbang.id")
	finance := p.login("keuangan@demo.gerbang.id")
	ts := registerTenants(t, p)
	fees := feeCases(t, p, ts, officer, "paykill", 8)

	cbs := make([]*gatewayCallback, len(fees))
	for i, f := range fees {
		ref := fmt.Sprintf("BNI-FAULT-%03d", i)
		body, err := json.Marshal(map[string]any{
			"gateway_reference": ref, "billing_code": f.billingCode,
			"amount":  map[string]any{"amount": f.amount, "currency": "IDR"},
			"paid_at": time.Now().UTC().Format(time.RFC3339), "proof": fmt.Sprintf("NTPN%016d", i),
		})
		if err != nil {
			t.Fatal(err)
		}
		cbs[i] = &gatewayCallback{fee: f, ref: ref, body: body}
	}
	queue := make(chan *gatewayCallback)
	var answered atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for cb := range queue {
				cb.deliver(p)
				answered.Add(1)
			}
		})
	}
	feeding := make(chan struct{})
	go func() {
		defer close(feeding)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for _, cb := range cbs {
			<-tick.C
			queue <- cb
		}
		close(queue)
	}()
	p.eventually("callbacks flow before the kill", func() bool { return answered.Load() >= 2 })
	p.kill("payment")
	p.start("payment")
	<-feeding
	wg.Wait()

	redelivered := 0
	for _, cb := range cbs {
		if cb.failure != "" {
			t.Fatal(cb.failure)
		}
		acked := cb.answers[len(cb.answers)-1]
		if len(cb.answers) > 1 {
			redelivered++
		}
		if acked != "applied" && !(acked == "duplicate" && len(cb.answers) > 1) {
			t.Fatalf("callback %s: answers %v, want applied (or duplicate after a lost answer)", cb.ref, cb.answers)
		}
		cb.deliver(p) // the gateway sends it once more
		if again := cb.answers[len(cb.answers)-1]; again != "duplicate" || cb.failure != "" {
			t.Fatalf("callback %s delivered again: %v %s, want duplicate", cb.ref, cb.answers, cb.failure)
		}
	}
	t.Logf("%d of %d callbacks went unanswered at least once", redelivered, len(cbs))

	checkPaidOnceAndLicensedOnce(t, p, fees, finance)
	for _, f := range fees {
		var pays struct {
			Items []map[string]any `json:"items"`
		}
		if err := json.Unmarshal(mustStatus(t, "payments", http.StatusOK)(p.get("payment", "/v1/invoices/"+f.invoice+"/payments", f.tn.token)), &pays); err != nil {
			t.Fatal(err)
		}
		if ref := cbs[indexOf(fees, f.app)].ref; pays.Items[0]["gateway_reference"] != ref {
			t.Fatalf("invoice %s paid by %v, want gateway reference %s", f.invoice, pays.Items[0]["gateway_reference"], ref)
		}
	}
	licenses := licensesByApplication(t, p, ts)
	if len(licenses) != len(fees) {
		t.Fatalf("%d applications hold licenses, want %d", len(licenses), len(fees))
	}
	for _, f := range fees {
		if licenses[f.app] != 1 {
			t.Fatalf("application %s has %d licenses, want exactly 1", f.app, licenses[f.app])
		}
	}
}

func indexOf(fees []feeCase, app string) int {
	for i, f := range fees {
		if f.app == app {
			return i
		}
	}
	return -1
}
