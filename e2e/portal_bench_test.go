package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The pages people wait on most, under load: the application status page
// (a business following its application) and the officer's review queue,
// each read by 64 signed-in people at once for a while, with 10,000
// applications in licensing's database. Beside each page, the licensing
// API's own read that the page is built on, measured in the same run at the
// same concurrency, so the portal's cost reads as a ratio on a noisy
// machine. The portal's resident memory is sampled throughout.
//
// Run by `make bench` (services built without -race, as the benchmark is):
//
//	cd e2e && go test -run '^$' -bench BenchmarkPortalPages -benchtime 1x
//
// BENCH_APPLICATIONS, BENCH_USERS and BENCH_DURATION change the defaults
// (10000, 64, 15s). Every answer counted is a 200 carrying the page's own
// text; anything else is counted as an error and the first few are shown.
func BenchmarkPortalPages(b *testing.B) {
	nApps := envInt(b, "BENCH_APPLICATIONS", 10000)
	users := envInt(b, "BENCH_USERS", 64)
	dur := 15 * time.Second
	if v := os.Getenv("BENCH_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("BENCH_DURATION: %v", err)
		}
		dur = d
	}
	p := startPlatform(b, map[string]string{
		"LOG_LEVEL": "error", "LOGIN_LIMIT_PER_EMAIL": "1000", "LOGIN_LIMIT_PER_IP": "1000",
	})
	seedStart := time.Now()
	seed := seedApplications(b, p, nApps)
	fmt.Printf("seeded %d applications through licensing's API in %s (%d waiting for review)\n",
		nApps, time.Since(seedStart).Round(time.Second), len(seed.queued))

	portal := p.url("portal")
	businesses := make([]*http.Client, users)
	officers := make([]*http.Client, users)
	for i := range users {
		businesses[i] = portalSession(b, portal, seed.tenants[i%len(seed.tenants)].email)
		officers[i] = portalSession(b, portal, "petugas.izin@demo.gerbang.id")
	}
	apiClients := make([]*http.Client, users)
	for i := range apiClients {
		apiClients[i] = &http.Client{Timeout: time.Minute}
	}
	pid := p.procs["portal"].cmd.Process.Pid
	statusPath := func(u, i int) string {
		apps := seed.tenants[u%len(seed.tenants)].apps
		return "/applications/" + apps[(u*7919+i)%len(apps)]
	}
	queuePath := func(u, i int) string {
		if i%2 == 1 {
			return "/review?kbli=49431"
		}
		return "/review"
	}
	licensing := p.url("licensing")
	runs := []struct {
		name    string
		metric  string
		clients []*http.Client
		base    string
		path    func(u, i int) string
		token   func(u int) string
		want    string
	}{
		{"application status page (portal)", "status_page/s", businesses, portal, statusPath, nil, "Keluar"},
		{"  GET /v1/applications/{id} (licensing)", "application_api/s", apiClients, licensing,
			func(u, i int) string { return "/v1" + statusPath(u, i) },
			func(u int) string { return seed.tenants[u%len(seed.tenants)].token }, `"state"`},
		{"review queue page (portal)", "queue_page/s", officers, portal, queuePath, nil, "Keluar"},
		{"  GET /v1/review-queue (licensing)", "queue_api/s", apiClients, licensing,
			func(u, i int) string {
				if i%2 == 1 {
					return "/v1/review-queue?kbli=49431"
				}
				return "/v1/review-queue"
			},
			func(int) string { return seed.officer }, `"items"`},
	}
	fmt.Printf("\n%d concurrent signed-in users for %s each, %d applications; services built without -race on %s\n",
		users, dur, nApps, machine())
	fmt.Printf("%-42s %9s %9s %9s %7s %14s\n", "", "req/s", "p50", "p99", "errors", "portal RSS max")
	for _, r := range runs {
		f := hammer(r.clients, r.base, r.path, r.token, r.want, dur, pid)
		fmt.Printf("%-42s %9.0f %9s %9s %7d %11.1f MiB\n", r.name, f.rate(), f.quantile(0.50), f.quantile(0.99), f.errors, float64(f.rssMax)/(1<<20))
		for _, e := range f.firstErrors {
			fmt.Printf("    error: %s\n", e)
		}
		b.ReportMetric(f.rate(), r.metric)
	}
	fmt.Println()
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
	return f.latencies[min(len(f.latencies)-1, int(q*float64(len(f.latencies))))].Round(100 * time.Microsecond)
}

// hammer has every client read its paths one after the other for d, and
// samples the RSS of process pid meanwhile.
func hammer(clients []*http.Client, base string, path func(u, i int) string, token func(u int) string, want string, d time.Duration, pid int) figures {
	var (
		mu  sync.Mutex
		f   figures
		wg  sync.WaitGroup
		rss atomic.Int64
	)
	stop := make(chan struct{})
	go func() {
		for {
			if v := residentBytes(pid); v > rss.Load() {
				rss.Store(v)
			}
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	deadline := start.Add(d)
	for u, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			ok, bad := 0, []string{}
			for i := 0; time.Now().Before(deadline); i++ {
				req, _ := http.NewRequest(http.MethodGet, base+path(u, i), nil)
				if token != nil {
					req.Header.Set("Authorization", "Bearer "+token(u))
				}
				t0 := time.Now()
				resp, err := c.Do(req)
				if err != nil {
					bad = append(bad, err.Error())
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(want)) {
					bad = append(bad, fmt.Sprintf("%s: %d %.200s", req.URL.Path, resp.StatusCode, body))
					continue
				}
				lat = append(lat, time.Since(t0))
				ok++
			}
			mu.Lock()
			f.ok += ok
			f.errors += len(bad)
			f.latencies = append(f.latencies, lat...)
			f.firstErrors = append(f.firstErrors, bad[:min(len(bad), 3-min(3, len(f.firstErrors)))]...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	f.elapsed = time.Since(start)
	close(stop)
	f.rssMax = max(rss.Load(), residentBytes(pid))
	slices.Sort(f.latencies)
	return f
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

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// portalSession signs in at the portal's login form as a browser would and
// returns the browser: its own cookie jar, its own session.
func portalSession(t testing.TB, base, email string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: time.Minute}
	resp, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfInput.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on /login:\n%s", page)
	}
	resp, err = c.PostForm(base+"/login", url.Values{"email": {email}, "password": {"demo12345"}, "csrf_token": {string(m[1])}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(page, []byte("Keluar")) {
		t.Fatalf("log in %s: %d\n%s", email, resp.StatusCode, page)
	}
	return c
}

// benchTenant is a demo business user, its business and its applications.
type benchTenant struct {
	email, token, biz string
	apps              []string
}

type benchSeed struct {
	tenants []*benchTenant
	officer string
	queued  []string // submitted, waiting for the officer
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
					if kbli == "49431" {
						s.queued = append(s.queued, id)
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
	call := func(method, path, contentType string, body io.Reader, want int) ([]byte, error) {
		req, _ := http.NewRequest(method, base+path, body)
		req.Header.Set("Authorization", "Bearer "+tn.token)
		req.Header.Set("Content-Type", contentType)
		if method == http.MethodPost && path == "/v1/applications" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := c.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			return nil, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, out)
		}
		return out, nil
	}
	created, err := call(http.MethodPost, "/v1/applications", "application/json",
		strings.NewReader(fmt.Sprintf(`{"business_id":%q,"kbli":%q}`, tn.biz, kbli)), http.StatusCreated)
	if err != nil {
		return "", err
	}
	var a struct{ ID string }
	if err := json.Unmarshal(created, &a); err != nil {
		return "", err
	}
	if !submit {
		return a.ID, nil
	}
	if kbli == "49431" {
		for _, r := range reqs {
			var buf bytes.Buffer
			w := multipart.NewWriter(&buf)
			w.WriteField("requirement", r.Code)
			part, _ := w.CreateFormFile("file", r.Code+".pdf")
			fmt.Fprintf(part, "%%PDF-1.7\n%% %s %s\n%%%%EOF\n", r.Code, key)
			w.Close()
			if _, err := call(http.MethodPost, "/v1/applications/"+a.ID+"/documents", w.FormDataContentType(), &buf, http.StatusCreated); err != nil {
				return "", err
			}
		}
	}
	if _, err := call(http.MethodPost, "/v1/applications/"+a.ID+"/submit", "application/json", nil, http.StatusOK); err != nil {
		return "", err
	}
	return a.ID, nil
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
