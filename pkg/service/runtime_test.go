package service_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go/jetstream"

	"gerbang/pkg/audit"
	"gerbang/pkg/auth"
	"gerbang/pkg/dbx"
	"gerbang/pkg/natstest"
	"gerbang/pkg/pgtest"
	"gerbang/pkg/service"
	"gerbang/pkg/svctest"
)

// run is a minimal service built the way the real ones are.
func run(ctx context.Context, _ []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := service.LoadConfig("toy", 0, getenv)
	if err != nil {
		return err
	}
	rt, err := service.Start(ctx, cfg, service.Spec{
		Provision: func(ctx context.Context, js jetstream.JetStream) error {
			_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "TOY", Subjects: []string{"toy.>"}})
			return err
		},
	}, stdout)
	if err != nil {
		return err
	}
	rt.App.Post("/things", func(c *fiber.Ctx) error {
		return dbx.WithTx(c.UserContext(), rt.DB, func(tx *sqlx.Tx) error {
			return audit.Record(c.UserContext(), tx, audit.Entry{Actor: "test", Action: "thing.create", EntityType: "thing", EntityID: "1", After: map[string]int{"n": 1}})
		})
	})
	rt.App.Get("/slow", func(c *fiber.Ctx) error {
		time.Sleep(700 * time.Millisecond) // an in-flight request that shutdown must let finish
		return c.SendString("finished")
	})
	return rt.Serve(ctx)
}

func status(t *testing.T, u string) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestServiceCreatesItsDatabaseAndTwoInstancesStartTogether(t *testing.T) {
	dbURL := pgtest.EmptyURL(t)
	ns := natstest.Start(t)
	env := map[string]string{"DATABASE_URL": dbURL, "NATS_URL": ns.URL}
	var wg sync.WaitGroup
	services := make([]*svctest.Service, 2)
	for i := range services {
		wg.Add(1)
		go func() { defer wg.Done(); services[i] = svctest.Start(t, run, env) }()
	}
	wg.Wait()
	for _, s := range services {
		if s == nil {
			t.Fatal("an instance did not start")
		}
		if got := status(t, s.URL+"/healthz"); got != 200 {
			t.Fatalf("healthz %d", got)
		}
		if got := status(t, s.URL+"/metrics"); got != 200 {
			t.Fatalf("metrics %d", got)
		}
	}
}

func TestReadyzFollowsNATSWithoutRestart(t *testing.T) {
	db := pgtest.New(t, nil)
	ns := natstest.Start(t)
	s := svctest.Start(t, run, map[string]string{"DATABASE_URL": db.URL, "NATS_URL": ns.URL})
	ns.Shutdown()
	eventually(t, "readyz 503 while NATS is down", func() bool { return status(t, s.URL+"/readyz") == 503 })
	if got := status(t, s.URL+"/healthz"); got != 200 {
		t.Fatalf("healthz %d while NATS is down; alive means alive", got)
	}
	ns.Restart()
	eventually(t, "readyz 200 when NATS is back", func() bool { return status(t, s.URL+"/readyz") == 200 })
}

func TestReadyzFollowsPostgreSQLWithoutRestart(t *testing.T) {
	db := pgtest.New(t, nil)
	ns := natstest.Start(t)
	proxy := startProxy(t, "127.0.0.1:5432")
	u, _ := url.Parse(db.URL)
	u.Host = proxy.addr
	s := svctest.Start(t, run, map[string]string{"DATABASE_URL": u.String(), "NATS_URL": ns.URL})
	proxy.stop()
	eventually(t, "readyz 503 while PostgreSQL is unreachable", func() bool { return status(t, s.URL+"/readyz") == 503 })
	// A request that needs the database is told to come back, not that the
	// service failed.
	resp, err := http.Post(s.URL+"/things", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("a write while PostgreSQL is unreachable: %d, Retry-After %q, %s; want a 503 problem with Retry-After",
			resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type"))
	}
	proxy.start(t)
	eventually(t, "readyz 200 when PostgreSQL is back", func() bool { return status(t, s.URL+"/readyz") == 200 })
}

func TestShutdownDrainsInFlightRequests(t *testing.T) {
	db := pgtest.New(t, nil)
	ns := natstest.Start(t)
	s := svctest.Start(t, run, map[string]string{"DATABASE_URL": db.URL, "NATS_URL": ns.URL})
	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get(s.URL + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()
	time.Sleep(200 * time.Millisecond) // let the request get in flight
	if err := s.Stop(); err != nil {
		t.Fatalf("run returned %v on shutdown", err)
	}
	r := <-got
	if r.err != nil || r.body != "finished" {
		t.Fatalf("in-flight request got %q, %v; want it finished", r.body, r.err)
	}
	if status(t, s.URL+"/healthz") != 0 {
		t.Fatal("still answering after shutdown")
	}
}

// proxy is a TCP relay that can be switched off to make PostgreSQL unreachable.
type proxy struct {
	target, addr string
	mu           sync.Mutex
	ln           net.Listener
	conns        []net.Conn
}

func startProxy(t *testing.T, target string) *proxy {
	p := &proxy{target: target, addr: svctest.FreeAddr(t)}
	p.start(t)
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) start(t *testing.T) {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
}

func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func TestAuditorsVerifyTheAuditChain(t *testing.T) {
	db := pgtest.New(t, nil)
	ns := natstest.Start(t)
	tokens := svctest.NewTokens(t)
	env := tokens.Env()
	env["DATABASE_URL"], env["NATS_URL"] = db.URL, ns.URL
	s := svctest.Start(t, run, env)
	for range 3 {
		resp, err := http.Post(s.URL+"/things", "application/json", nil)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("write audited thing: %v %v", resp, err)
		}
		resp.Body.Close()
	}
	get := func(token string) (int, audit.Report) {
		req, _ := http.NewRequest("GET", s.URL+"/v1/audit/verify", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r audit.Report
		json.NewDecoder(resp.Body).Decode(&r)
		return resp.StatusCode, r
	}
	if code, _ := get(""); code != 401 {
		t.Fatalf("without a token: %d, want 401", code)
	}
	if code, _ := get(tokens.Mint(t, auth.Principal{Subject: "u1", Roles: []string{auth.RoleBusiness}})); code != 403 {
		t.Fatalf("as a business: %d, want 403", code)
	}
	auditor := tokens.Mint(t, auth.Principal{Subject: "a1", Roles: []string{auth.RoleAuditor}})
	eventually(t, "the sealer chains the three records", func() bool {
		code, r := get(auditor)
		return code == 200 && r.OK && r.ChainLength == 3 && r.Checkpoints >= 1
	})
}

func TestOperatorsSeeDeadLettersPageByPage(t *testing.T) {
	db := pgtest.New(t, nil)
	ns := natstest.Start(t)
	tokens := svctest.NewTokens(t)
	env := tokens.Env()
	env["DATABASE_URL"], env["NATS_URL"] = db.URL, ns.URL
	s := svctest.Start(t, run, env)
	for i := 1; i <= 3; i++ {
		db.MustExec(`INSERT INTO dead_letter (consumer, stream, stream_seq, subject, event_id, payload, error, deliveries)
			VALUES ('toy-consumer', 'PAYMENT', $1, 'payment.invoice.paid', 'e', '{}', 'no such invoice', 5)`, i)
	}
	type page struct {
		Items []struct {
			ID       int64  `json:"id"`
			Consumer string `json:"consumer"`
		} `json:"items"`
		NextCursor *string `json:"next_cursor"`
	}
	get := func(token, query string) (int, page) {
		req, _ := http.NewRequest("GET", s.URL+"/v1/ops/dead-letters"+query, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p page
		json.NewDecoder(resp.Body).Decode(&p)
		return resp.StatusCode, p
	}
	if code, _ := get(tokens.Mint(t, auth.Principal{Subject: "f", Roles: []string{auth.RoleFinance}}), ""); code != 403 {
		t.Fatalf("finance: %d, want 403", code)
	}
	auditor := tokens.Mint(t, auth.Principal{Subject: "a", Roles: []string{auth.RoleAuditor}})
	code, first := get(auditor, "?limit=2")
	if code != 200 || len(first.Items) != 2 || first.NextCursor == nil {
		t.Fatalf("first page: %d %+v", code, first)
	}
	code, second := get(auditor, "?limit=2&cursor="+*first.NextCursor)
	if code != 200 || len(second.Items) != 1 || second.NextCursor != nil || second.Items[0].ID == first.Items[1].ID {
		t.Fatalf("second page: %d %+v", code, second)
	}
	if code, _ := get(auditor, "?limit=500"); code != 400 {
		t.Fatalf("limit 500: %d, want 400", code)
	}
}

func TestShutdownEndsWhenAClientNeverFinishesItsRequest(t *testing.T) {
	db := pgtest.New(t, nil)
	ns := natstest.Start(t)
	s := svctest.Start(t, run, map[string]string{"DATABASE_URL": db.URL, "NATS_URL": ns.URL, "SHUTDOWN_TIMEOUT": "1s"})
	conn, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("POST /things HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the server take the connection
	start := time.Now()
	if err := s.Stop(); err != nil {
		t.Fatalf("run returned %v; the drain's timeout is not a failure", err)
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Fatalf("shutdown took %v with a 1s drain timeout", took)
	}
}
