package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"gerbang/pkg/pgtest"
)

// The equal transactions: what each request must write at least, as
// PostgreSQL runs it with nothing in between (no HTTP, no JSON, no
// validation). A service does more (it reads before it writes, it checks
// its idempotency key, its rules), so a ratio near 1 is not expected; the
// target is half.
const (
	ceilingSchema = `
CREATE TABLE c_row (seq bigserial PRIMARY KEY, id uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE, owner uuid NOT NULL,
	kind text NOT NULL, state text NOT NULL, body jsonb NOT NULL, version int NOT NULL DEFAULT 1,
	created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX ON c_row (owner, created_at);
CREATE TABLE c_outbox (id bigserial PRIMARY KEY, subject text NOT NULL, payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE c_audit (id bigserial PRIMARY KEY, entity text NOT NULL, entity_id uuid NOT NULL, before jsonb, after jsonb, at timestamptz NOT NULL DEFAULT now());
CREATE TABLE c_idem (key text PRIMARY KEY, hash bytea NOT NULL, answer jsonb, created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO c_row (owner, kind, state, body) SELECT gen_random_uuid(), 'application', 'draft', '{"kbli":"62010"}' FROM generate_series(1, 10000);`

	// An application created: the row, its idempotency key with the
	// answer, its event, its audit record.
	ceilingCreate = `BEGIN;
INSERT INTO c_idem (key, hash, answer) VALUES (gen_random_uuid()::text, '\x00', '{"id":"x"}');
INSERT INTO c_row (owner, kind, state, body) VALUES (gen_random_uuid(), 'application', 'draft', '{"kbli":"62010","scale":"small"}') ;
INSERT INTO c_outbox (subject, payload) VALUES ('licensing.application.created', '{"kbli":"62010"}');
INSERT INTO c_audit (entity, entity_id, after) VALUES ('application', gen_random_uuid(), '{"state":"draft"}');
COMMIT;`

	// A low-risk application submitted and issued at once: the state
	// changed from the version read, the license written, the events of
	// both, the audit records of both.
	ceilingSubmit = `\set n random(1, 10000)
BEGIN;
UPDATE c_row SET state = 'issued', version = version + 1, updated_at = now() WHERE seq = :n;
INSERT INTO c_row (owner, kind, state, body) VALUES (gen_random_uuid(), 'license', 'active', '{"number":"LIC-2026-000001"}');
INSERT INTO c_outbox (subject, payload) VALUES ('licensing.application.submitted', '{}'), ('licensing.license.issued', '{}');
INSERT INTO c_audit (entity, entity_id, before, after) VALUES ('application', gen_random_uuid(), '{"state":"draft"}', '{"state":"issued"}'), ('license', gen_random_uuid(), NULL, '{"status":"active"}');
COMMIT;`

	// A document stored: its metadata row (the bytes go to the blob
	// store), its event, its audit record.
	ceilingUpload = `BEGIN;
INSERT INTO c_row (owner, kind, state, body) VALUES (gen_random_uuid(), 'document', 'stored', '{"sha256":"9f2c4e0d6b1a7c3e5f8a9b0c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6","size":1048576}');
INSERT INTO c_outbox (subject, payload) VALUES ('licensing.document.uploaded', '{}');
INSERT INTO c_audit (entity, entity_id, after) VALUES ('document', gen_random_uuid(), '{"size":1048576}');
COMMIT;`

	// An invoice issued: as an application created.
	ceilingInvoice = `BEGIN;
INSERT INTO c_idem (key, hash, answer) VALUES (gen_random_uuid()::text, '\x00', '{"id":"x"}');
INSERT INTO c_row (owner, kind, state, body) VALUES (gen_random_uuid(), 'invoice', 'pending', '{"amount":150000,"billing_code":"820261234567890"}');
INSERT INTO c_outbox (subject, payload) VALUES ('payment.invoice.issued', '{}');
INSERT INTO c_audit (entity, entity_id, after) VALUES ('invoice', gen_random_uuid(), '{"state":"pending"}');
COMMIT;`

	// A gateway callback paying an invoice: the callback's reference kept
	// (a redelivery is a duplicate), the payment, the invoice paid from the
	// version read, the two ledger postings, the event, the audit record.
	ceilingCallback = `\set n random(1, 10000)
BEGIN;
INSERT INTO c_idem (key, hash) VALUES (gen_random_uuid()::text, '\x00');
INSERT INTO c_row (owner, kind, state, body) VALUES (gen_random_uuid(), 'payment', 'applied', '{"amount":150000,"proof":"NTPN0000000000000001"}');
UPDATE c_row SET state = 'paid', version = version + 1, updated_at = now() WHERE seq = :n;
INSERT INTO c_row (owner, kind, state, body) VALUES (gen_random_uuid(), 'posting', 'debit', '{"account":"bank","amount":150000}'), (gen_random_uuid(), 'posting', 'credit', '{"account":"receivable","amount":150000}');
INSERT INTO c_outbox (subject, payload) VALUES ('payment.invoice.paid', '{}');
INSERT INTO c_audit (entity, entity_id, before, after) VALUES ('invoice', gen_random_uuid(), '{"state":"pending"}', '{"state":"paid"}');
COMMIT;`

	// A license read by its number.
	ceilingRead = `\set n random(1, 10000)
SELECT * FROM c_row WHERE seq = :n;`
)

// ceiling runs pgbench against a scratch database of its own.
type ceiling struct {
	t       testing.TB
	url     string
	dur     time.Duration
	clients int
	dir     string
}

func newCeiling(t testing.TB, dur time.Duration, clients int) *ceiling {
	t.Helper()
	if _, err := exec.LookPath("pgbench"); err != nil {
		t.Fatal("pgbench is not installed (Debian: postgresql-client); make prepare installs it")
	}
	dsn := pgtest.EmptyURL(t) // dropped when the benchmark ends
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("postgres", pgtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	_, err = admin.Exec(`CREATE DATABASE "` + strings.TrimPrefix(u.Path, "/") + `"`)
	admin.Close()
	if err != nil {
		t.Fatalf("ceiling database: %v", err)
	}
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(ceilingSchema); err != nil {
		t.Fatalf("ceiling schema: %v", err)
	}
	return &ceiling{t: t, url: dsn, dur: dur, clients: clients, dir: t.TempDir()}
}

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// rate is the transactions per second of script at c.clients clients.
func (c *ceiling) rate(name, script string) float64 {
	c.t.Helper()
	file := filepath.Join(c.dir, name+".sql")
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		c.t.Fatal(err)
	}
	secs := max(1, int(c.dur.Seconds()))
	out, err := exec.Command("pgbench", "-n", "-M", "prepared", "-c", strconv.Itoa(c.clients), "-j", "2",
		"-T", strconv.Itoa(secs), "-f", file, c.url).CombinedOutput()
	m := tpsLine.FindSubmatch(out)
	if err != nil || m == nil {
		c.t.Fatalf("pgbench %s: %v\n%s", name, err, out)
	}
	tps, _ := strconv.ParseFloat(string(m[1]), 64)
	return tps
}

// call sends one request and reads the answer; an answer other than want
// is an error carrying it.
func call(c *http.Client, method, url, token, contentType string, body io.Reader, want int, headers ...string) ([]byte, error) {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: %d %.200s", method, req.URL.Path, resp.StatusCode, out)
	}
	return out, nil
}

// acked keeps the acknowledged writes of a path, to read back.
type acked struct {
	mu  sync.Mutex
	ids []ownedID
}

type ownedID struct {
	id string
	tn *benchTenant
}

func (a *acked) add(id string, tn *benchTenant) {
	a.mu.Lock()
	a.ids = append(a.ids, ownedID{id, tn})
	a.mu.Unlock()
}

// each runs check on every acknowledged write from 16 clients; the first
// failure is the answer.
func (a *acked) each(check func(c *http.Client, o ownedID) error) error {
	jobs := make(chan ownedID)
	var first atomic.Value
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: time.Minute}
			for o := range jobs {
				if err := check(c, o); err != nil {
					first.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	for _, o := range a.ids {
		jobs <- o
	}
	close(jobs)
	wg.Wait()
	if err, ok := first.Load().(error); ok {
		return err
	}
	return nil
}

// paths are the hot paths measured, with what they need prepared.
func (s *benchSeed) paths(t testing.TB, p *platform, api []*http.Client, users int) []benchPath {
	t.Helper()
	licensing, payment, portal := p.url("licensing"), p.url("payment"), p.url("portal")
	var seq atomic.Int64
	tenantOf := func(u int) *benchTenant { return s.tenants[u%len(s.tenants)] }

	created := &acked{}
	create := benchPath{name: "licensing.application.create", service: "licensing", write: true, script: ceilingCreate,
		do: func(u, i int) error {
			tn := tenantOf(u)
			id, err := seedOne(api[u], licensing, tn, "62010", fmt.Sprintf("bench-create-%d", seq.Add(1)), false, nil)
			if err != nil {
				return err
			}
			created.add(id, tn)
			return nil
		}}
	create.verify = func() error {
		return created.each(func(c *http.Client, o ownedID) error {
			_, err := call(c, http.MethodGet, licensing+"/v1/applications/"+o.id, o.tn.token, "", nil, http.StatusOK)
			return err
		})
	}

	// Drafts to submit: those of the seed, then those just created.
	drafts := make(chan ownedID, len(s.drafts)+1_000_000)
	for _, d := range s.drafts {
		drafts <- d
	}
	submitted := &acked{}
	submit := benchPath{name: "licensing.application.submit", service: "licensing", write: true, script: ceilingSubmit,
		do: func(u, i int) error {
			var d ownedID
			select {
			case d = <-drafts:
			default:
				return fmt.Errorf("no draft left to submit")
			}
			if _, err := call(api[u], http.MethodPost, licensing+"/v1/applications/"+d.id+"/submit", d.tn.token, "application/json", nil, http.StatusOK); err != nil {
				return err
			}
			submitted.add(d.id, d.tn)
			return nil
		}}
	submit.verify = func() error {
		return submitted.each(func(c *http.Client, o ownedID) error {
			out, err := call(c, http.MethodGet, licensing+"/v1/applications/"+o.id, o.tn.token, "", nil, http.StatusOK)
			if err == nil && bytes.Contains(out, []byte(`"state":"draft"`)) {
				return fmt.Errorf("application %s was acknowledged submitted and is a draft", o.id)
			}
			return err
		})
	}

	// Uploads: each client replaces the document of a draft of its own.
	own := make([]string, users)
	for u := range users {
		id, err := seedOne(api[u], licensing, tenantOf(u), "49431", fmt.Sprintf("bench-upload-%d", u), false, nil)
		if err != nil {
			t.Fatal(err)
		}
		own[u] = id
	}
	pdf := append([]byte("%PDF-1.7\n%"), bytes.Repeat([]byte("0123456789abcdef"), (1<<20)/16-2)...)
	pdf = append(pdf, "\n%%EOF\n"...)
	uploads := make([]atomic.Int64, users)
	upload := benchPath{name: "licensing.document.upload", service: "licensing", write: true, script: ceilingUpload,
		do: func(u, i int) error {
			body, contentType := documentForm(s.requirement, pdf)
			if _, err := call(api[u], http.MethodPost, licensing+"/v1/applications/"+own[u]+"/documents", tenantOf(u).token, contentType, body, http.StatusCreated); err != nil {
				return err
			}
			uploads[u%users].Add(1)
			return nil
		}}
	upload.verify = func() error {
		for u, id := range own {
			out, err := call(api[u], http.MethodGet, licensing+"/v1/applications/"+id+"/documents", tenantOf(u).token, "", nil, http.StatusOK)
			if err != nil {
				return err
			}
			var list struct{ Items []json.RawMessage }
			if err := json.Unmarshal(out, &list); err != nil {
				return err
			}
			if int64(len(list.Items)) < uploads[u].Load() {
				return fmt.Errorf("application %s holds %d documents, %d uploads were acknowledged", id, len(list.Items), uploads[u].Load())
			}
		}
		return nil
	}

	invoices := &acked{}
	unpaid := make(chan [2]string, 1_000_000) // invoices to pay: id, billing code
	finance := p.login("keuangan@demo.gerbang.id")
	invoice := benchPath{name: "payment.invoice.create", service: "payment", write: true, script: ceilingInvoice,
		do: func(u, i int) error {
			n := seq.Add(1)
			out, err := call(api[u], http.MethodPost, payment+"/v1/invoices", finance, "application/json",
				strings.NewReader(fmt.Sprintf(`{"purpose":"other","reference":"bench-%d","payer":%q,"amount":{"amount":150000,"currency":"IDR"},"description":"Retribusi uji beban %d"}`, n, tenantOf(u).biz, n)),
				http.StatusCreated, "Idempotency-Key", fmt.Sprintf("bench-invoice-%d", n))
			if err != nil {
				return err
			}
			var inv struct {
				ID          string `json:"id"`
				BillingCode string `json:"billing_code"`
			}
			if err := json.Unmarshal(out, &inv); err != nil || inv.ID == "" || inv.BillingCode == "" {
				return fmt.Errorf("invoice: %s", out)
			}
			invoices.add(inv.ID, nil)
			select {
			case unpaid <- [2]string{inv.ID, inv.BillingCode}:
			default:
			}
			return nil
		}}
	invoice.verify = func() error {
		return invoices.each(func(c *http.Client, o ownedID) error {
			_, err := call(c, http.MethodGet, payment+"/v1/invoices/"+o.id, finance, "", nil, http.StatusOK)
			return err
		})
	}

	paid := &acked{}
	callback := benchPath{name: "payment.gateway.callback", service: "payment", write: true, script: ceilingCallback,
		do: func(u, i int) error {
			var inv [2]string
			select {
			case inv = <-unpaid:
			default:
				return fmt.Errorf("no invoice left to pay")
			}
			n := seq.Add(1)
			body := fmt.Sprintf(`{"gateway_reference":"BENCH-%d","billing_code":%q,"amount":{"amount":150000,"currency":"IDR"},"paid_at":%q,"proof":"NTPN%016d"}`,
				n, inv[1], time.Now().UTC().Format(time.RFC3339), n)
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			m := hmac.New(sha256.New, []byte("gerbang-dev-gateway-secret"))
			m.Write([]byte(ts + "." + body))
			out, err := call(api[u], http.MethodPost, payment+"/v1/gateway/callbacks", "", "application/json", strings.NewReader(body), http.StatusOK,
				"X-Gateway-Timestamp", ts, "X-Gateway-Signature", "v1="+hex.EncodeToString(m.Sum(nil)))
			if err != nil {
				return err
			}
			if !bytes.Contains(out, []byte(`"applied"`)) {
				return fmt.Errorf("callback for %s: %s, want applied", inv[0], out)
			}
			paid.add(inv[0], nil)
			return nil
		}}
	callback.verify = func() error {
		return paid.each(func(c *http.Client, o ownedID) error {
			out, err := call(c, http.MethodGet, payment+"/v1/invoices/"+o.id, finance, "", nil, http.StatusOK)
			if err == nil && !bytes.Contains(out, []byte(`"state":"paid"`)) {
				return fmt.Errorf("invoice %s was acknowledged paid: %.200s", o.id, out)
			}
			return err
		})
	}

	numbers := s.licenseNumbers(t, p)
	verify := benchPath{name: "licensing.license.read", service: "licensing", script: ceilingRead,
		do: func(u, i int) error {
			_, err := call(api[u], http.MethodGet, licensing+"/v1/public/licenses/"+numbers[(u*7919+i)%len(numbers)], "", "", nil, http.StatusOK)
			return err
		}}

	businesses := make([]*http.Client, users)
	officers := make([]*http.Client, users)
	for u := range users {
		businesses[u] = newPerson(t, p, tenantOf(u).email).http
		officers[u] = newPerson(t, p, "petugas.izin@demo.gerbang.id").http
	}
	appOf := func(u, i int) (string, *benchTenant) {
		tn := tenantOf(u)
		return tn.apps[(u*7919+i)%len(tn.apps)], tn
	}
	page := func(c *http.Client, path string) error {
		out, err := call(c, http.MethodGet, portal+path, "", "", nil, http.StatusOK)
		if err == nil && !bytes.Contains(out, []byte("Keluar")) {
			return fmt.Errorf("%s: not a signed-in page", path)
		}
		return err
	}
	queueQuery := func(i int) string {
		if i%2 == 1 {
			return "?kbli=49431"
		}
		return ""
	}
	status := benchPath{name: "portal.application.status", service: "portal",
		do: func(u, i int) error {
			id, _ := appOf(u, i)
			return page(businesses[u], "/applications/"+id)
		},
		behind: func(u, i int) error {
			id, tn := appOf(u, i)
			_, err := call(api[u], http.MethodGet, licensing+"/v1/applications/"+id, tn.token, "", nil, http.StatusOK)
			return err
		}}
	queue := benchPath{name: "portal.review.queue", service: "portal",
		do: func(u, i int) error { return page(officers[u], "/review"+queueQuery(i)) },
		behind: func(u, i int) error {
			_, err := call(api[u], http.MethodGet, licensing+"/v1/review-queue"+queueQuery(i), s.officer, "", nil, http.StatusOK)
			return err
		}}

	// Created drafts become more drafts to submit, once they are read back.
	createThenFeed := create
	createThenFeed.verify = func() error {
		if err := create.verify(); err != nil {
			return err
		}
		for _, o := range created.ids {
			drafts <- o
		}
		return nil
	}
	return []benchPath{verify, status, queue, createThenFeed, submit, upload, invoice, callback}
}

// licenseNumbers lists the numbers of the licenses the seed issued.
func (s *benchSeed) licenseNumbers(t testing.TB, p *platform) []string {
	t.Helper()
	var out []string
	for _, tn := range s.tenants {
		cursor := ""
		for {
			path := "/v1/licenses?limit=100"
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			code, body := p.get("licensing", path, tn.token)
			var page struct {
				Items []struct {
					Number string `json:"number"`
				} `json:"items"`
				NextCursor *string `json:"next_cursor"`
			}
			if code != http.StatusOK || json.Unmarshal(body, &page) != nil {
				t.Fatalf("licenses of %s: %d %s", tn.email, code, body)
			}
			for _, l := range page.Items {
				out = append(out, l.Number)
			}
			if page.NextCursor == nil || *page.NextCursor == "" {
				break
			}
			cursor = *page.NextCursor
		}
	}
	if len(out) == 0 {
		t.Fatal("the seed issued no license")
	}
	return out
}
