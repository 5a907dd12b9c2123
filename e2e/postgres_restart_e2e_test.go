package e2e

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// PostgreSQL restarted under traffic (pg_ctl restart -m fast), then stopped
// and started: while it is away every request that needs it is answered 503
// with Retry-After (a problem, never a 500) and /readyz says 503; afterwards
// the services serve again without being restarted, and every application
// whose creation was acknowledged is there, once.
func TestPostgreSQLRestartAnswers503AndLosesNothingAcknowledged(t *testing.T) {
	pg := startOwnPostgres(t)
	p := startPlatformOn(t, pg.url, nil)
	ts := registerTenants(t, p)
	checks := &unavailableAnswers{refusals: map[string]int{}}
	p.observe = checks.observe

	cr := startCreators(p, ts, 3, "pgrestart")
	acked := &cr.acked
	var wg sync.WaitGroup
	var reads atomic.Int64
	stop := make(chan struct{})
	// Readers of each service, the public and the signed-in.
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			p.get("tender", "/v1/public/tenders", "")
			p.get("licensing", "/v1/applications", ts[0].token)
			p.get("payment", "/v1/invoices", ts[1].token)
			reads.Add(1)
		}
	})

	p.eventually("traffic flows before the restart", func() bool { return acked.Load() >= 10 && reads.Load() >= 10 })
	began := time.Now()
	pg.must("restart", "-m", "fast")
	restarted := time.Since(began)
	atRestart, readsAtRestart := acked.Load(), reads.Load()
	p.eventually("writes and reads flow again, no service restarted", func() bool {
		return acked.Load() >= atRestart+10 && reads.Load() >= readsAtRestart+10
	})
	close(stop)
	wg.Wait()
	ops := cr.stop()

	// Stopped for longer: every service says so, and so do its requests.
	pg.must("stop", "-m", "fast")
	for _, s := range services {
		p.eventually(s+" readyz 503 while PostgreSQL is down", func() bool { code, _ := p.get(s, "/readyz", ""); return code == http.StatusServiceUnavailable })
	}
	for _, r := range []struct {
		method, service, path, token string
		body                         any
	}{
		{"GET", "tender", "/v1/public/tenders", "", nil},
		{"GET", "licensing", "/v1/applications", ts[0].token, nil},
		{"GET", "payment", "/v1/invoices", ts[1].token, nil},
		{"POST", "licensing", "/v1/applications", ts[0].token, map[string]any{"business_id": ts[0].biz, "kbli": "62010"}},
		// A login, once: the portal limits logins per account.
		{"POST", "portal", "/api/auth/token", "", map[string]string{"email": "vendor2@demo.gerbang.id", "password": "demo12345"}},
	} {
		if code, body := p.do(r.method, r.service, r.path, r.token, r.body, "Idempotency-Key", "while-down"); code != http.StatusServiceUnavailable {
			t.Errorf("%s %s %s while PostgreSQL is down: %d %s, want 503", r.method, r.service, r.path, code, body)
		}
	}
	pg.start()
	for _, s := range services {
		p.eventually(s+" ready again without a restart", func() bool { code, _ := p.get(s, "/readyz", ""); return code == http.StatusOK })
	}

	checks.mu.Lock()
	for _, f := range checks.failures {
		t.Errorf("while PostgreSQL restarted: %s", f)
	}
	t.Logf("restart took %v; %d answers checked, 503s by request: %v", restarted.Round(time.Millisecond), checks.answers, checks.refusals)
	checks.mu.Unlock()

	// Every acknowledged creation is there, one application per key.
	for _, op := range ops {
		if op.failure != "" {
			t.Error(op.failure)
		}
	}
	seen := map[string]string{}
	kept := 0
	for _, op := range ops {
		if !op.created {
			continue
		}
		if k, dup := seen[op.id]; dup {
			t.Fatalf("keys %s and %s answered with one application %s", k, op.key, op.id)
		}
		seen[op.id] = op.key
		if code, body := p.get("licensing", "/v1/applications/"+op.id, op.tn.token); code != http.StatusOK {
			t.Errorf("acknowledged application %s (key %s): %d %s", op.id, op.key, code, body)
			continue
		}
		kept++
	}
	made := 0
	for _, tn := range ts {
		for _, a := range listAll(t, p, "licensing", "/v1/applications", tn.token) {
			if a["kbli"] == "62010" {
				made++
			}
		}
	}
	t.Logf("%d of %d acknowledged applications there after the restart, %d applications in all (%d acknowledged before it)", kept, len(seen), made, atRestart)
	if kept != len(seen) {
		t.Fatalf("%d acknowledged applications lost", len(seen)-kept)
	}
	if doubtful := countDoubtful(ops); made > len(seen)+doubtful || made < len(seen) {
		t.Fatalf("%d applications for %d acknowledged creations and %d unanswered ones", made, len(seen), doubtful)
	}
}

func countDoubtful(ops []*createOp) int {
	n := 0
	for _, op := range ops {
		if op.doubtful {
			n++
		}
	}
	return n
}
