package http

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/auth"
	"gerbang/pkg/dbx"
	"gerbang/pkg/events"
	"gerbang/pkg/natstest"
	"gerbang/pkg/pgtest"
	"gerbang/pkg/svctest"
	"gerbang/services/tender/internal/adapters/postgres"
	"gerbang/services/tender/internal/domain"
)

// BenchmarkBidRush measures the bid rush the way the design's targets are
// stated, in one run, and prints every figure:
//
//   - pgbench's rate for an equal transaction (a key-share lock of the
//     tender row and three inserts, 32 clients, 10 s) on a scratch database;
//   - closed model: 64 and then 256 clients submitting back to back, each
//     bid from its own licensed vendor, over real HTTP (token, validation,
//     rate limit, Idempotency-Key, sealing, the bid statement; the outbox
//     relay publishing to embedded NATS): bids/s, p50, p99;
//   - open model: bids arriving at a fixed rate, 50% and 70% of the best
//     closed-model rate, with at most 256 in flight; latency counted from
//     each bid's scheduled arrival (a bid waiting for a free slot waits on
//     the clock): p50, p99;
//   - the process's peak resident memory (VmHWM; service, load generator
//     and harness together, so an upper bound of the service's).
//
// Each run bids on its own tender; afterwards every tender is closed and
// opened, and the run fails unless every accepted bid is present and
// decrypts to its price. BIDRUSH_BIDS sets the bids per run (default 4000).
//
//	go test -run '^$' -bench BidRush -benchtime 1x ./internal/ports/http/
func BenchmarkBidRush(b *testing.B) {
	n := 4000
	if v := os.Getenv("BIDRUSH_BIDS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 100 {
			b.Fatalf("BIDRUSH_BIDS=%q: want a number of bids, at least 100", v)
		}
	}
	r := newRush(b, n)
	tps := pgbenchEqualTransaction(b)

	runs := []*rushRun{
		{name: "closed-64", clients: 64},
		{name: "closed-256", clients: 256},
		{name: "open-50%", share: 0.5},
		{name: "open-70%", share: 0.7},
	}
	for _, run := range runs {
		r.h.clock.Set(t0) // each tender is created, published and opened for bids from the start
		run.tender.id, run.tender.deadline = r.h.tenderingTender()
	}
	b.ResetTimer()
	best := 0.0
	for _, run := range runs {
		r.drain(nil) // each run starts with the outbox published
		if run.clients > 0 {
			r.closed(run)
			r.drain(run)
			best = max(best, run.sustained)
		} else {
			run.target = best * run.share
			r.open(run, 256)
			r.drain(run)
		}
	}
	b.StopTimer()
	hwm, err := svctest.PeakRSS(0)
	if err != nil {
		b.Fatal(err)
	}
	r.verify(runs)

	b.Logf("pgbench (key-share lock + 3 inserts, 32 clients, 10 s): %.0f tps", tps)
	for _, run := range runs {
		b.Logf("%-10s %s: %.0f bids/s answered, %.0f/s with their events published (%.0f%% of pgbench), p50 %.1f ms, p99 %.1f ms, accepted %d/%d, refused %v",
			run.name, run.shape(), run.rate, run.sustained, 100*run.sustained/tps, ms(run.p50), ms(run.p99), run.accepted, n, run.refused)
	}
	b.Logf("peak RSS (VmHWM) of the process: %.1f MiB", float64(hwm)/(1<<20))
	b.ReportMetric(tps, "pgbench-tps")
	for _, run := range runs {
		b.ReportMetric(run.rate, run.name+"-bids/s")
		b.ReportMetric(run.sustained, run.name+"-published/s")
		b.ReportMetric(ms(run.p50), run.name+"-p50-ms")
		b.ReportMetric(ms(run.p99), run.name+"-p99-ms")
	}
	b.ReportMetric(best/tps, "best/pgbench")
	b.ReportMetric(float64(hwm)/(1<<20), "VmHWM-MiB")
}

// rush is the service under load: the harness's HTTP app on a real
// listener, the pool as dbx.Open configures it, the outbox relay running,
// and n licensed vendors with their tokens (each run reuses them on its
// own tender).
type rush struct {
	b       *testing.B
	h       *harness
	url     string // http://host:port
	vendors []string
	tokens  []string
	body    []byte
	client  *http.Client
}

type rushRun struct {
	name    string
	clients int     // closed model: clients back to back
	share   float64 // open model: share of the best closed-model rate
	target  float64 // open model: arrivals per second
	tender  tenderUnderTest
	rate    float64 // accepted bids per second, until the last answer
	// sustained is accepted bids per second until the relay has published
	// the last one's event: what the service keeps up with.
	sustained float64
	elapsed   time.Duration
	p50, p99  time.Duration
	accepted  int
	ok        []bool // per vendor
	refused   map[int]int
}

type tenderUnderTest struct {
	id       string
	deadline time.Time
}

func (r *rushRun) shape() string {
	if r.clients > 0 {
		return fmt.Sprintf("(%d clients back to back)", r.clients)
	}
	return fmt.Sprintf("(%.0f/s arriving, ≤256 in flight)", r.target)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func newRush(b *testing.B, n int) *rush {
	h := newHarness(b)
	h.db.SetMaxOpenConns(dbx.DefaultMaxConns) // as dbx.Open configures the service's pool
	h.db.SetMaxIdleConns(dbx.DefaultMaxConns)
	ns := natstest.Start(b)
	js, nc := ns.JetStream()
	b.Cleanup(nc.Close)
	if err := events.EnsureStream(context.Background(), js, "TENDER", []string{"tender.>"}); err != nil {
		b.Fatal(err)
	}
	relayCtx, stopRelay := context.WithCancel(context.Background())
	relayDone := make(chan struct{})
	go func() {
		defer close(relayDone)
		_ = events.NewRelay(h.db.DB, js, slog.New(slog.DiscardHandler), events.RelayOptions{DatabaseURL: h.db.URL}).Run(relayCtx)
	}()
	b.Cleanup(func() { stopRelay(); <-relayDone })

	r := &rush{b: b, h: h, vendors: make([]string, n), tokens: make([]string, n)}
	err := dbx.WithTx(context.Background(), h.db.DB, func(tx *sqlx.Tx) error {
		for i := range n {
			r.vendors[i] = fmt.Sprintf("rush-%06d", i)
			if err := postgres.InTx(tx).ApplyLicense(context.Background(), domain.VendorLicense{LicenseID: "lic-" + r.vendors[i],
				BusinessID: r.vendors[i], KBLI: "46512", Status: domain.LicenseActive, EventTime: t0}, "seed"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		r.tokens[i] = h.token("user-"+r.vendors[i], auth.RoleBusiness, r.vendors[i])
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = h.app.Listener(ln) }()
	b.Cleanup(func() { _ = h.app.Shutdown() })
	r.url = "http://" + ln.Addr().String()
	r.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}, Timeout: time.Minute}
	r.body, _ = json.Marshal(bidBody(850_000_000, "120 unit laptop 16 GB RAM, garansi 3 tahun"))
	return r
}

// bid submits vendor i's bid on tender and reports the status.
func (r *rush) bid(run *rushRun, i int) int {
	req, _ := http.NewRequest("POST", r.url+"/v1/tenders/"+run.tender.id+"/bids", bytes.NewReader(r.body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+r.tokens[i])
	req.Header.Set("Idempotency-Key", fmt.Sprintf("%s-%d", run.name, i))
	res, err := r.client.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// closed runs run.clients clients, each submitting the next vendor's bid
// as soon as its previous one is answered.
func (r *rush) closed(run *rushRun) {
	n := len(r.vendors)
	lat := make([]time.Duration, n)
	status := make([]int, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range run.clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t := time.Now()
				status[i] = r.bid(run, i)
				lat[i] = time.Since(t)
			}
		})
	}
	wg.Wait()
	run.summarise(time.Since(start), lat, status)
}

// open submits the bids at run.target per second, each at its scheduled
// time, with at most inFlight outstanding; latency counts from the
// scheduled time.
func (r *rush) open(run *rushRun, inFlight int) {
	n := len(r.vendors)
	lat := make([]time.Duration, n)
	status := make([]int, n)
	interval := time.Duration(float64(time.Second) / run.target)
	slots := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			status[i] = r.bid(run, i)
			lat[i] = time.Since(at)
		})
	}
	wg.Wait()
	run.summarise(time.Since(start), lat, status)
}

func (run *rushRun) summarise(elapsed time.Duration, lat []time.Duration, status []int) {
	run.ok = make([]bool, len(status))
	run.refused = map[int]int{}
	for i, s := range status {
		if s == 201 {
			run.ok[i] = true
			run.accepted++
		} else {
			run.refused[s]++
		}
	}
	sorted := slices.Clone(lat)
	slices.Sort(sorted)
	run.elapsed = elapsed
	run.rate = float64(run.accepted) / elapsed.Seconds()
	run.p50, run.p99 = sorted[len(sorted)/2], sorted[len(sorted)*99/100]
}

// drain waits until the relay has published every event; with a run, it
// sets the run's sustained rate (accepted bids over the time from the
// run's start to the last publication).
func (r *rush) drain(run *rushRun) {
	start := time.Now()
	for {
		var unsent int
		if err := r.h.db.Get(&unsent, `SELECT count(*) FROM outbox WHERE sent_at IS NULL`); err != nil {
			r.b.Fatal(err)
		}
		if unsent == 0 {
			break
		}
		if time.Since(start) > 5*time.Minute {
			r.b.Fatalf("the relay left %d events unpublished for 5 minutes", unsent)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if run != nil {
		run.sustained = float64(run.accepted) / (run.elapsed + time.Since(start)).Seconds()
	}
}

// verify closes and opens every run's tender and fails unless every
// accepted bid is present and decrypts to its price.
func (r *rush) verify(runs []*rushRun) {
	h := r.h
	deadline := runs[0].tender.deadline
	for _, run := range runs {
		if run.tender.deadline.After(deadline) {
			deadline = run.tender.deadline
		}
	}
	h.clock.Set(deadline.Add(time.Second))
	if _, err := h.svc.AdvanceDueTenders(context.Background()); err != nil {
		r.b.Fatal(err)
	}
	for _, run := range runs {
		_, op, err := h.svc.OpenBids(context.Background(), h.officer(), run.tender.id)
		if err != nil {
			r.b.Fatal(err)
		}
		opened := map[string]bool{}
		for _, o := range op.Bids {
			if o.Price == nil || *o.Price != 850_000_000 {
				r.b.Fatalf("%s: bid of %s did not decrypt: %v", run.name, o.Vendor, o.DecryptError)
			}
			opened[o.Vendor] = true
		}
		for i, ok := range run.ok {
			if ok && !opened[r.vendors[i]] {
				r.b.Fatalf("%s: accepted bid of %s missing at the opening", run.name, r.vendors[i])
			}
		}
		if len(opened) != run.accepted {
			r.b.Fatalf("%s: opened %d bids, accepted %d", run.name, len(opened), run.accepted)
		}
	}
}

// pgbenchScript is the equal transaction: what a bid does at least (lock
// the tender row FOR KEY SHARE after checking it takes bids; insert the
// sealed bid, its receipt and its event), with no HTTP, no sealing and no
// client beyond pgbench.
const pgbenchScript = `\set v random(1, 1000000000)
BEGIN;
SELECT id FROM t WHERE id = 1 AND state = 'tendering' AND deadline > now() FOR KEY SHARE;
INSERT INTO a (t, v, sealed, at) VALUES (1, :v, decode(repeat('ab', 1200), 'hex'), now());
INSERT INTO b (a, sig, at) VALUES (:v, decode(repeat('cd', 64), 'hex'), now());
INSERT INTO c (payload, at) VALUES (jsonb_build_object('v', :v, 'type', 'tender.bid.submitted'), now());
END;
`

// pgbenchEqualTransaction runs pgbench -n -c 32 -T 10 with pgbenchScript
// on a scratch database and returns its tps.
func pgbenchEqualTransaction(b *testing.B) float64 {
	bin, err := exec.LookPath("pgbench")
	if err != nil {
		b.Fatal("pgbench is needed for the ceiling this benchmark compares with: ", err)
	}
	url := pgtest.EmptyURL(b)
	if err := dbx.EnsureDatabase(context.Background(), url); err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("postgres", url)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	_, err = db.Exec(`
		CREATE TABLE t (id int PRIMARY KEY, state text, deadline timestamptz);
		INSERT INTO t VALUES (1, 'tendering', now() + interval '1 day');
		CREATE TABLE a (id bigserial PRIMARY KEY, t int REFERENCES t, v text, sealed bytea, at timestamptz);
		CREATE TABLE b (id bigserial PRIMARY KEY, a bigint, sig bytea, at timestamptz);
		CREATE TABLE c (id bigserial PRIMARY KEY, payload jsonb, at timestamptz);`)
	if err != nil {
		b.Fatal(err)
	}
	script := filepath.Join(b.TempDir(), "equal.sql")
	if err := os.WriteFile(script, []byte(pgbenchScript), 0o600); err != nil {
		b.Fatal(err)
	}
	out, err := exec.Command(bin, "-n", "-c", "32", "-T", "10", "-f", script, url).CombinedOutput()
	if err != nil {
		b.Fatalf("pgbench: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`tps = ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		b.Fatalf("pgbench printed no tps:\n%s", out)
	}
	tps, _ := strconv.ParseFloat(string(m[1]), 64)
	return tps
}
