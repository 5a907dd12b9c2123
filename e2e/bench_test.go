package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The hot paths under load, each beside the ceiling PostgreSQL gives its
// equal transaction on the same machine in the same run (pgbench running
// the statements that request must make at least), so that the figures
// read as ratios on a noisy shared machine (issue: every hot path at half
// the database's ceiling). Each path is measured through real HTTP with
// real tokens, validation, idempotency keys and the outbox relay
// publishing to NATS: a closed model (BENCH_USERS clients, default 64, one
// request after the other) and, for writes, an open model at 70% of the
// closed rate with at most 256 in flight, latency counted from each
// request's scheduled arrival. Every acknowledged write is read back
// afterwards: a benchmark that loses data fails. The portal's pages are
// measured beside the licensing read they are built on.
//
// Run by `make bench` (services built without -race, as the benchmark is):
//
//	cd e2e && go test -run '^$' -bench BenchmarkHotPaths -benchtime 1x
//
// BENCH_APPLICATIONS (10000), BENCH_USERS (64), BENCH_DURATION (10s) and
// BENCH_PATHS (the paths to run, by name, comma-separated; all by default)
// change the defaults. Each line reads:
//
//	BENCH <path> rate=<n>/s pgbench=<n>/s ratio=<r> p50=<ms> p99=<ms> rss=<MiB>
//	BENCH <path>@open70 rate=<n>/s p50=<ms> p99=<ms>
func BenchmarkHotPaths(b *testing.B) {
	nApps := envInt(b, "BENCH_APPLICATIONS", 10000)
	users := envInt(b, "BENCH_USERS", 64)
	dur := 10 * time.Second
	if v := os.Getenv("BENCH_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("BENCH_DURATION: %v", err)
		}
		dur = d
	}
	p := startPlatform(b, map[string]string{
		"LOG_LEVEL": "error", "LOGIN_LIMIT_PER_EMAIL": "1000", "LOGIN_LIMIT_PER_IP": "1000",
		"CREATIONS_PER_MINUTE": "1000000",
	})
	ceiling := newCeiling(b, dur, users)
	seedStart := time.Now()
	seed := seedApplications(b, p, nApps)
	fmt.Printf("seeded %d applications through licensing's API in %s (%d waiting for review)\n",
		nApps, time.Since(seedStart).Round(time.Second), len(seed.queued))
	fmt.Printf("%d clients, %s per run, services built without -race, on %s\n", users, dur, machine())

	pid := func(service string) int { return p.procs[service].cmd.Process.Pid }
	api := make([]*http.Client, users)
	for i := range api {
		api[i] = &http.Client{Timeout: time.Minute}
	}
	only := map[string]bool{} // BENCH_PATHS: some paths, by name, comma-separated; all when unset
	for _, name := range strings.FieldsFunc(os.Getenv("BENCH_PATHS"), func(r rune) bool { return r == ',' || r == ' ' }) {
		only[name] = true
	}
	for _, path := range seed.paths(b, p, api, users) {
		if len(only) > 0 && !only[path.name] {
			continue
		}
		closedRun := closed(users, dur, pid(path.service), path.do)
		line := fmt.Sprintf("BENCH %s rate=%.0f/s", path.name, closedRun.rate())
		switch {
		case path.script != "":
			pg := ceiling.rate(path.name, path.script)
			line += fmt.Sprintf(" pgbench=%.0f/s ratio=%.2f", pg, closedRun.rate()/pg)
		case path.behind != nil:
			behind := closed(users, dur, pid("licensing"), path.behind)
			line += fmt.Sprintf(" behind=%.0f/s ratio=%.2f", behind.rate(), closedRun.rate()/behind.rate())
		}
		fmt.Printf("%s p50=%s p99=%s rss=%.0fMiB errors=%d\n", line, ms(closedRun.quantile(0.5)), ms(closedRun.quantile(0.99)),
			float64(closedRun.rssMax)/(1<<20), closedRun.errors)
		closedRun.showErrors()
		b.ReportMetric(closedRun.rate(), path.name+"_req/s")
		if path.write {
			openRun := open(0.7*closedRun.rate(), 256, users, dur, pid(path.service), path.do)
			fmt.Printf("BENCH %s@open70 rate=%.0f/s p50=%s p99=%s errors=%d\n", path.name, openRun.rate(), ms(openRun.quantile(0.5)), ms(openRun.quantile(0.99)), openRun.errors)
			openRun.showErrors()
		}
		if path.verify != nil {
			if err := path.verify(); err != nil {
				b.Fatalf("%s: an acknowledged write is missing: %v", path.name, err)
			}
		}
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

// request is the i-th request of client u; nil when it was answered as
// the path expects.
type request func(u, i int) error

// benchPath is one hot path: its request, the equal transaction of its
// ceiling (a pgbench script) or the service read behind it (a portal
// page), and the check that its acknowledged writes are there.
type benchPath struct {
	name    string
	service string // whose RSS is sampled
	do      request
	write   bool
	script  string
	behind  request
	verify  func() error
}

// figures are one load run's counts.
type figures struct {
	ok, errors  int
	elapsed     time.Duration
	latencies   []time.Duration
	rssMax      int64
	firstErrors []string
}

func (f figures) rate() float64 { return float64(f.ok) / f.elapsed.Seconds() }

func (f figures) quantile(q float64) time.Duration {
	if len(f.latencies) == 0 {
		return 0
	}
	return f.latencies[min(len(f.latencies)-1, int(q*float64(len(f.latencies))))]
}

func (f figures) showErrors() {
	for _, e := range f.firstErrors {
		fmt.Printf("    error: %.300s\n", e)
	}
}

// tally gathers a run's answers from many goroutines and samples the RSS
// of one process meanwhile.
type tally struct {
	mu    sync.Mutex
	f     figures
	rss   atomic.Int64
	stop  chan struct{}
	start time.Time
	pid   int
}

func newTally(pid int) *tally {
	t := &tally{stop: make(chan struct{}), start: time.Now(), pid: pid}
	go func() {
		for {
			if v := residentBytes(pid); v > t.rss.Load() {
				t.rss.Store(v)
			}
			select {
			case <-t.stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return t
}

func (t *tally) add(lat time.Duration, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.f.errors++
		if len(t.f.firstErrors) < 3 {
			t.f.firstErrors = append(t.f.firstErrors, err.Error())
		}
		return
	}
	t.f.ok++
	t.f.latencies = append(t.f.latencies, lat)
}

func (t *tally) done() figures {
	t.f.elapsed = time.Since(t.start)
	close(t.stop)
	t.f.rssMax = max(t.rss.Load(), residentBytes(t.pid))
	slices.Sort(t.f.latencies)
	return t.f
}

// closed has users clients send requests one after the other for d.
func closed(users int, d time.Duration, pid int, do request) figures {
	t := newTally(pid)
	deadline := t.start.Add(d)
	var wg sync.WaitGroup
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(deadline); i++ {
				t0 := time.Now()
				err := do(u, i)
				t.add(time.Since(t0), err)
			}
		}()
	}
	wg.Wait()
	return t.done()
}

// open sends requests at rate for d whether or not the earlier ones were
// answered, at most inFlight at once; each latency counts from the
// request's scheduled arrival, so waiting for a free slot counts too.
func open(rate float64, inFlight, users int, d time.Duration, pid int, do request) figures {
	t := newTally(pid)
	if rate <= 0 {
		return t.done()
	}
	slots := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	interval := time.Duration(float64(time.Second) / rate)
	for k := 0; ; k++ {
		at := t.start.Add(time.Duration(k) * interval)
		if at.After(t.start.Add(d)) {
			break
		}
		time.Sleep(time.Until(at))
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			err := do(k%users, k)
			t.add(time.Since(at), err)
		}()
	}
	wg.Wait()
	return t.done()
}

// residentBytes is a process's resident set (VmRSS), 0 when unreadable.
func residentBytes(pid int) int64 {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(raw)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// machine says what the figures were measured on.
func machine() string {
	raw, _ := os.ReadFile("/proc/cpuinfo")
	n := strings.Count(string(raw), "\nprocessor") + 1
	load, _ := os.ReadFile("/proc/loadavg")
	return fmt.Sprintf("%d cores (load %s)", n, strings.Join(strings.Fields(string(load))[:3], " "))
}

// benchTenant is a demo business user, its business and its applications.
type benchTenant struct {
	email, token, biz string
	apps              []string
}

type benchSeed struct {
	tenants     []*benchTenant
	officer     string
	queued      []string  // submitted, waiting for the officer
	drafts      []ownedID // drafts of KBLI 62010 (low risk)
	requirement string    // a document KBLI 49431 requires
}

// seedApplications makes n applications through licensing's API, from 16
// clients at once: 15% for KBLI 49431 with their documents, submitted and
// waiting for review; 10% for KBLI 62010 submitted (low risk: issued at
// once); the rest drafts, as a business leaves them between visits.
func seedApplications(t testing.TB, p *platform, n int) benchSeed {
	t.Helper()
	s := benchSeed{officer: p.login("petugas.izin@demo.gerbang.id")}
	for i, email := range []string{"usaha@demo.gerbang.id", "vendor2@demo.gerbang.id"} {
		tn := &benchTenant{email: email, token: p.login(email)}
		code, body := p.do("POST", "licensing", "/v1/businesses", tn.token, map[string]any{
			"name": fmt.Sprintf("PT Beban Halaman %d", i+1), "npwp": fmt.Sprintf("0%d.345.678.9-012.000", i+5), "address": "Jl. Thamrin 10, Jakarta",
			"scale": "small", "kbli": []string{"62010", "49431"},
		})
		var biz struct{ ID string }
		if code != http.StatusCreated || json.Unmarshal(body, &biz) != nil {
			t.Fatalf("register the business of %s: %d %s", email, code, body)
		}
		tn.biz = biz.ID
		s.tenants = append(s.tenants, tn)
	}
	code, body := p.get("licensing", "/v1/catalog/requirements?kbli=49431&scale=small", "")
	var need struct {
		LicenseType struct {
			Requirements []struct{ Code string } `json:"requirements"`
		} `json:"license_type"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &need) != nil || len(need.LicenseType.Requirements) == 0 {
		t.Fatalf("what 49431 needs: %d %s", code, body)
	}
	s.requirement = need.LicenseType.Requirements[0].Code
	base := p.url("licensing")
	jobs := make(chan int)
	var mu sync.Mutex
	var failure error
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: time.Minute}
			for i := range jobs {
				tn := s.tenants[i%len(s.tenants)]
				kbli, submit := "62010", i%10 == 1
				if i%100 < 15 {
					kbli, submit = "49431", true
				}
				id, err := seedOne(c, base, tn, kbli, fmt.Sprintf("bench-%d", i), submit, need.LicenseType.Requirements)
				mu.Lock()
				if err != nil && failure == nil {
					failure = err
				}
				if err == nil {
					tn.apps = append(tn.apps, id)
					switch {
					case kbli == "49431":
						s.queued = append(s.queued, id)
					case !submit:
						s.drafts = append(s.drafts, ownedID{id, tn})
					}
				}
				mu.Unlock()
			}
		}()
	}
	for i := range n {
		mu.Lock()
		failed := failure != nil
		mu.Unlock()
		if failed {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if failure != nil {
		t.Fatal(failure)
	}
	return s
}

// seedOne creates one application and, when submit says so, uploads what
// it needs and submits it.
func seedOne(c *http.Client, base string, tn *benchTenant, kbli, key string, submit bool, reqs []struct{ Code string }) (string, error) {
	created, err := call(c, http.MethodPost, base+"/v1/applications", tn.token, "application/json",
		strings.NewReader(fmt.Sprintf(`{"business_id":%q,"kbli":%q}`, tn.biz, kbli)), http.StatusCreated, "Idempotency-Key", key)
	if err != nil {
		return "", err
	}
	var a struct{ ID string }
	if err := json.Unmarshal(created, &a); err != nil || a.ID == "" {
		return "", fmt.Errorf("create %s: %s", key, created)
	}
	if !submit {
		return a.ID, nil
	}
	if kbli == "49431" {
		for _, r := range reqs {
			body, contentType := documentForm(r.Code, []byte(fmt.Sprintf("%%PDF-1.7\n%% %s %s\n%%%%EOF\n", r.Code, key)))
			if _, err := call(c, http.MethodPost, base+"/v1/applications/"+a.ID+"/documents", tn.token, contentType, body, http.StatusCreated); err != nil {
				return "", err
			}
		}
	}
	if _, err := call(c, http.MethodPost, base+"/v1/applications/"+a.ID+"/submit", tn.token, "application/json", nil, http.StatusOK); err != nil {
		return "", err
	}
	return a.ID, nil
}

// documentForm is the multipart upload of one requirement's document.
func documentForm(requirement string, pdf []byte) (*bytes.Buffer, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("requirement", requirement)
	part, _ := w.CreateFormFile("file", requirement+".pdf")
	part.Write(pdf)
	w.Close()
	return &buf, w.FormDataContentType()
}

func envInt(t testing.TB, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}
