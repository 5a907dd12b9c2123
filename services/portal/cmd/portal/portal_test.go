package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"gerbang/pkg/auth"
	"gerbang/pkg/natstest"
	"gerbang/pkg/pgtest"
	"gerbang/pkg/svctest"
	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/migrations"
)

// startPortal runs the real portal against a fresh database and an embedded
// NATS, with the demo accounts (hashed at bcrypt's least cost, for speed).
func startPortal(t testing.TB, env map[string]string) (*svctest.Service, string) {
	t.Helper()
	db := pgtest.New(t, migrations.FS)
	ns := natstest.Start(t)
	dataDir := t.TempDir()
	vars := map[string]string{
		"DATABASE_URL":       db.URL,
		"NATS_URL":           ns.URL,
		"DATA_DIR":           dataDir,
		"DEMO_ACCOUNTS":      "true",
		"PASSWORD_HASH_COST": "4",
		"LOG_LEVEL":          "info", // the demo logins are logged at info
	}
	for k, v := range env {
		vars[k] = v
	}
	return svctest.Start(t, run, vars), dataDir
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("answer %d is not JSON: %v\n%s", a.status, err, a.body)
	}
	return m
}

func do(t testing.TB, client *http.Client, method, url string, header map[string]string, body []byte) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, b}
}

func login(t *testing.T, base, email, password string) answer {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	return do(t, nil, http.MethodPost, base+"/api/auth/token", map[string]string{"Content-Type": "application/json"}, body)
}

func wantProblem(t *testing.T, a answer, status int, detail string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d: %s", a.status, status, a.body)
	}
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("content type %q, want application/problem+json", ct)
	}
	p := a.json(t)
	if int(p["status"].(float64)) != status || p["type"] == "" {
		t.Errorf("problem %v", p)
	}
	if detail != "" && p["detail"] != detail {
		t.Errorf("detail %q, want %q", p["detail"], detail)
	}
}

// backend stands in for a service behind the proxy and records what it got.
type backend struct {
	mu   sync.Mutex
	got  *http.Request
	body []byte
	srv  *httptest.Server
}

func newBackend(t *testing.T) *backend {
	b := &backend{}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		b.mu.Lock()
		b.got, b.body = r.Clone(context.Background()), body
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("ETag", `"7"`)
		w.Header().Set("Location", "/v1/applications/0193/documents/1")
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"id":"1","version":7}`))
	}))
	t.Cleanup(b.srv.Close)
	return b
}

func TestPortal(t *testing.T) {
	licensing := newBackend(t)
	dead := "http://" + svctest.FreeAddr(t) // nothing listens there
	svc, dataDir := startPortal(t, map[string]string{"LICENSING_URL": licensing.srv.URL, "TENDER_URL": dead})

	t.Run("TestJWKSVerifiesTheTokensThePortalMints", func(t *testing.T) {
		a := login(t, svc.URL, "Usaha@Demo.Gerbang.id", "demo12345")
		if a.status != http.StatusOK {
			t.Fatalf("login: %d %s", a.status, a.body)
		}
		tok := a.json(t)
		if tok["token_type"] != "Bearer" || tok["expires_in"] != float64(8*60*60) || a.header.Get("Cache-Control") != "no-store" {
			t.Errorf("token answer %v, cache %q", tok, a.header.Get("Cache-Control"))
		}
		jwks := do(t, nil, http.MethodGet, svc.URL+auth.JWKSPath, nil, nil)
		keys, err := auth.ParseJWKS(jwks.body)
		if jwks.status != http.StatusOK || err != nil || len(keys) != 1 {
			t.Fatalf("JWKS %d %v: %s", jwks.status, err, jwks.body)
		}
		v := &auth.Verifier{Keys: auth.NewRemoteJWKS(svc.URL+auth.JWKSPath, auth.RemoteJWKSOptions{}), Issuer: auth.DefaultIssuer, Audience: auth.DefaultAudience}
		p, err := v.Verify(context.Background(), tok["access_token"].(string))
		if err != nil {
			t.Fatalf("verify against the JWKS: %v", err)
		}
		if p.Subject != app.DemoAccounts()[0].ID.String() || p.Org != app.DemoOrgUsaha.String() || len(p.Roles) != 1 || p.Roles[0] != auth.RoleBusiness {
			t.Errorf("principal %+v", p)
		}
	})

	t.Run("TestPortalVerifiesItsOwnTokensWithoutFetchingItsJWKS", func(t *testing.T) {
		// The platform's verifier would fetch the JWKS from JWKS_URL (port
		// 8080 by default, not this test's port); the portal uses its key.
		tok := login(t, svc.URL, "auditor@demo.gerbang.id", "demo12345").json(t)["access_token"].(string)
		a := do(t, nil, http.MethodGet, svc.URL+"/v1/audit/verify", map[string]string{"Authorization": "Bearer " + tok}, nil)
		if a.status != http.StatusOK {
			t.Fatalf("audit verify as auditor: %d %s", a.status, a.body)
		}
		tok = login(t, svc.URL, "pokja@demo.gerbang.id", "demo12345").json(t)["access_token"].(string)
		wantProblem(t, do(t, nil, http.MethodGet, svc.URL+"/v1/audit/verify", map[string]string{"Authorization": "Bearer " + tok}, nil), http.StatusForbidden, "")
	})

	t.Run("TestEveryDemoAccountLogsInAndIsListed", func(t *testing.T) {
		text, err := os.ReadFile(filepath.Join(dataDir, "demo-logins.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(svc.Output(), "demo accounts ready") {
			t.Error("the log does not show the demo logins")
		}
		for _, d := range app.DemoAccounts() {
			if !strings.Contains(string(text), d.Email) {
				t.Errorf("demo-logins.txt lacks %s", d.Email)
			}
			if a := login(t, svc.URL, d.Email, app.DemoPassword); a.status != http.StatusOK {
				t.Errorf("login %s: %d %s", d.Email, a.status, a.body)
			}
		}
	})

	t.Run("TestWrongCredentialsGet401Problem", func(t *testing.T) {
		wantProblem(t, login(t, svc.URL, "usaha@demo.gerbang.id", "salah"), http.StatusUnauthorized, app.WrongCredentials)
		wantProblem(t, login(t, svc.URL, "tidakada@demo.gerbang.id", "demo12345"), http.StatusUnauthorized, app.WrongCredentials)
		bad := do(t, nil, http.MethodPost, svc.URL+"/api/auth/token", map[string]string{"Content-Type": "application/json"}, []byte(`{"email":"bukan-email","password":"x"}`))
		wantProblem(t, bad, http.StatusBadRequest, "")
	})

	t.Run("TestProxyForwardsToTheServiceWithoutItsPrefix", func(t *testing.T) {
		upload := bytes.Repeat([]byte("x"), 5<<20) // above the platform's 1 MiB default
		a := do(t, nil, http.MethodPost, svc.URL+"/api/licensing/v1/applications/0193/documents?kind=npwp&x=a%2Fb", map[string]string{
			"Authorization":   "Bearer abc.def.ghi",
			"Idempotency-Key": "k-1",
			"If-Match":        `"6"`,
			"Content-Type":    "application/pdf",
			"X-Request-Id":    "req-proxy-1",
			"Cookie":          "gerbang_session=secret",
		}, upload)
		if a.status != http.StatusCreated || string(a.body) != `{"id":"1","version":7}` || a.header.Get("ETag") != `"7"` || a.header.Get("Location") == "" {
			t.Fatalf("answer %d %v %s", a.status, a.header, a.body)
		}
		licensing.mu.Lock()
		got, body := licensing.got, licensing.body
		licensing.mu.Unlock()
		if got.Method != http.MethodPost || got.URL.Path != "/v1/applications/0193/documents" || got.URL.RawQuery != "kind=npwp&x=a%2Fb" {
			t.Errorf("backend got %s %s?%s", got.Method, got.URL.Path, got.URL.RawQuery)
		}
		for h, want := range map[string]string{"Authorization": "Bearer abc.def.ghi", "Idempotency-Key": "k-1", "If-Match": `"6"`, "Content-Type": "application/pdf", "X-Request-Id": "req-proxy-1", "Cookie": ""} {
			if got.Header.Get(h) != want {
				t.Errorf("backend header %s = %q, want %q", h, got.Header.Get(h), want)
			}
		}
		if !bytes.Equal(body, upload) {
			t.Errorf("backend got %d bytes, want %d", len(body), len(upload))
		}
		root := do(t, nil, http.MethodGet, svc.URL+"/api/licensing", nil, nil)
		licensing.mu.Lock()
		path := licensing.got.URL.Path
		licensing.mu.Unlock()
		if root.status != http.StatusCreated || path != "/" {
			t.Errorf("GET /api/licensing reached %q with %d", path, root.status)
		}
	})

	t.Run("TestServiceDownGets502Problem", func(t *testing.T) {
		a := do(t, nil, http.MethodGet, svc.URL+"/api/tender/v1/public/tenders", nil, nil)
		wantProblem(t, a, http.StatusBadGateway, "Layanan tender sedang tidak tersedia / The tender service is unavailable")
	})

	t.Run("TestHomePageIsInIndonesianFirst", func(t *testing.T) {
		a := do(t, nil, http.MethodGet, svc.URL+"/", nil, nil)
		page := string(a.body)
		if a.status != http.StatusOK || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
			t.Fatalf("home %d %q", a.status, a.header.Get("Content-Type"))
		}
		for _, want := range []string{`<html lang="id">`, "Apa itu Gerbang?", "Kata sandi", `name="csrf_token"`, "WIB", `name="viewport"`, `href="/developers"`, `href="/language/en?back=%2f"`} {
			if !strings.Contains(page, want) {
				t.Errorf("home page lacks %q", want)
			}
		}
		if strings.Contains(page, "What is Gerbang?") {
			t.Error("the Indonesian page speaks English")
		}
	})

	t.Run("TestLoginFormNeedsItsCSRFToken", func(t *testing.T) {
		form := url.Values{"email": {"usaha@demo.gerbang.id"}, "password": {"demo12345"}}
		// No cookie, no token.
		a := do(t, nil, http.MethodPost, svc.URL+"/login", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, []byte(form.Encode()))
		if a.status != http.StatusForbidden || strings.Contains(strings.Join(a.header.Values("Set-Cookie"), ";"), "gerbang_session=") {
			t.Fatalf("login without CSRF token: %d %v", a.status, a.header.Values("Set-Cookie"))
		}
		// A browser with the page's cookie but a forged token.
		jar, _ := cookiejar.New(nil)
		browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		home := do(t, browser, http.MethodGet, svc.URL+"/", nil, nil)
		m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(string(home.body))
		if m == nil {
			t.Fatal("no csrf token in the form")
		}
		forged := url.Values{"email": form["email"], "password": form["password"], "csrf_token": {"forged"}}
		if a := do(t, browser, http.MethodPost, svc.URL+"/login", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, []byte(forged.Encode())); a.status != http.StatusForbidden || !strings.Contains(string(a.body), "Formulir ini kedaluwarsa") {
			t.Fatalf("login with a forged CSRF token: %d\n%s", a.status, a.body)
		}
		// Wrong password: the form again, 401.
		wrong := url.Values{"email": form["email"], "password": {"salah"}, "csrf_token": {m[1]}}
		if a := do(t, browser, http.MethodPost, svc.URL+"/login", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, []byte(wrong.Encode())); a.status != http.StatusUnauthorized || !strings.Contains(string(a.body), "Email atau kata sandi salah.") {
			t.Fatalf("login with a wrong password: %d", a.status)
		}
		// The real form.
		form.Set("csrf_token", m[1])
		a = do(t, browser, http.MethodPost, svc.URL+"/login", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, []byte(form.Encode()))
		if a.status != http.StatusSeeOther {
			t.Fatalf("login: %d %s", a.status, a.body)
		}
		session := strings.Join(a.header.Values("Set-Cookie"), "; ")
		if !strings.Contains(session, "gerbang_session=") || !strings.Contains(session, "HttpOnly") {
			t.Errorf("session cookie %q", session)
		}
		home = do(t, browser, http.MethodGet, svc.URL+"/", nil, nil)
		if !strings.Contains(string(home.body), "Masuk sebagai Siti Rahayu (CV Maju Jaya)") || !strings.Contains(string(home.body), "Dasbor") {
			t.Fatalf("home page after login does not name the user:\n%s", home.body)
		}
		// Log out: the session is gone.
		logout := url.Values{"csrf_token": {m[1]}}
		if a := do(t, browser, http.MethodPost, svc.URL+"/logout", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, []byte(logout.Encode())); a.status != http.StatusSeeOther {
			t.Fatalf("logout: %d", a.status)
		}
		home = do(t, browser, http.MethodGet, svc.URL+"/", nil, nil)
		if strings.Contains(string(home.body), "Masuk sebagai") {
			t.Error("still signed in after logout")
		}
	})
}

func TestLoginIsRateLimitedPerEmailAndPerAddress(t *testing.T) {
	svc, _ := startPortal(t, map[string]string{"LOGIN_LIMIT_PER_EMAIL": "3", "LOGIN_LIMIT_PER_IP": "6"})
	for i := 0; i < 3; i++ {
		wantProblem(t, login(t, svc.URL, "usaha@demo.gerbang.id", "salah"), http.StatusUnauthorized, app.WrongCredentials)
	}
	limited := login(t, svc.URL, "USAHA@demo.gerbang.id", "demo12345") // the right password, too late
	wantProblem(t, limited, http.StatusTooManyRequests, "")
	if ra := limited.header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After %q", ra)
	}
	// Another account from the same address: allowed until the address's limit.
	for i := 0; i < 2; i++ {
		if a := login(t, svc.URL, "pokja@demo.gerbang.id", "demo12345"); a.status != http.StatusOK {
			t.Fatalf("login of another account: %d %s", a.status, a.body)
		}
	}
	wantProblem(t, login(t, svc.URL, "auditor@demo.gerbang.id", "demo12345"), http.StatusTooManyRequests, "")
}
