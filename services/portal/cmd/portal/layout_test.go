package main

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// browser is an HTTP client that keeps cookies and does not follow
// redirects, as a test of what a browser is sent.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
	csrf   string
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, base: base, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	home := b.get("/")
	m := csrfInput.FindStringSubmatch(string(home.body))
	if m == nil {
		t.Fatalf("no CSRF token on the home page:\n%s", home.body)
	}
	b.csrf = m[1]
	return b
}

func (b *browser) get(path string) answer {
	b.t.Helper()
	return do(b.t, b.client, http.MethodGet, b.base+path, nil, nil)
}

// post sends a form as the page's form would, with its CSRF token.
func (b *browser) post(path string, form url.Values) answer {
	b.t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("csrf_token", b.csrf)
	return do(b.t, b.client, http.MethodPost, b.base+path, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, []byte(f.Encode()))
}

// signIn logs in through the form as email (password demo12345).
func signIn(t *testing.T, base, email string) *browser {
	t.Helper()
	b := newBrowser(t, base)
	if a := b.post("/login", url.Values{"email": {email}, "password": {"demo12345"}}); a.status != http.StatusSeeOther {
		t.Fatalf("log in as %s: %d\n%s", email, a.status, a.body)
	}
	return b
}

func sessionExpiry(t *testing.T, a answer) time.Time {
	t.Helper()
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.Name == "gerbang_session" {
			return c.Expires
		}
	}
	t.Fatalf("no session cookie in %v", a.header.Values("Set-Cookie"))
	return time.Time{}
}

func TestTheLanguageSwitchIsRememberedAndComesBack(t *testing.T) {
	svc, _ := startPortal(t, nil)
	b := newBrowser(t, svc.URL)
	a := b.get("/language/en?back=" + url.QueryEscape("/verify?x=1"))
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/verify?x=1" {
		t.Fatalf("switch: %d to %q", a.status, a.header.Get("Location"))
	}
	page := wantPage(t, b.get("/verify"), http.StatusOK, `<html lang="en">`, `href="/language/id?back=%2fverify"`, "Bahasa Indonesia", "Verify a business license", "License number")
	if strings.Contains(page, "Nomor izin") {
		t.Error("the English page speaks Indonesian")
	}
	wantPage(t, b.get("/"), http.StatusOK, "Password", "What is Gerbang?")
	if a := b.get("/language/id?back=/tenders"); a.header.Get("Location") != "/tenders" {
		t.Fatalf("switch back: %q", a.header.Get("Location"))
	}
	wantPage(t, b.get("/"), http.StatusOK, `<html lang="id">`, "Apa itu Gerbang?")
	for _, away := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example"} {
		if a := b.get("/language/en?back=" + url.QueryEscape(away)); a.header.Get("Location") != "/" {
			t.Errorf("back=%s sends the browser to %q", away, a.header.Get("Location"))
		}
	}
}

func TestTheSessionWarnsBeforeItEndsAndIsExtended(t *testing.T) {
	// A session of five minutes is within the ten-minute warning at once.
	svc, _ := startPortal(t, map[string]string{"SESSION_TTL": "5m"})
	b := newBrowser(t, svc.URL)
	a := b.post("/login", url.Values{"email": {"usaha@demo.gerbang.id"}, "password": {"demo12345"}})
	first := sessionExpiry(t, a)
	page := wantPage(t, b.get("/"), http.StatusOK, "Dasbor", `id="session-warning" class="warn session" role="alert">`,
		"Sesi Anda akan berakhir pukul "+first.In(time.FixedZone("WIB", 7*3600)).Format("15:04")+" WIB", `action="/session/extend"`, "Perpanjang sesi")
	if !strings.Contains(page, `data-session-ends="`) {
		t.Error("the page's script is not told when the session ends")
	}
	wantPage(t, b.get("/session"), http.StatusOK, "Sesi Anda berakhir pada", "Perpanjang sesi")

	time.Sleep(1100 * time.Millisecond) // a token's expiry is in whole seconds
	a = b.post("/session/extend", url.Values{"back": {"/tenders"}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/tenders" {
		t.Fatalf("extend: %d to %q\n%s", a.status, a.header.Get("Location"), a.body)
	}
	if second := sessionExpiry(t, a); !second.After(first) {
		t.Errorf("extended session ends %v, the first %v", second, first)
	}
	wantPage(t, b.get("/"), http.StatusOK, "Dasbor")

	// Signed out, there is nothing to extend.
	out := newBrowser(t, svc.URL)
	wantPage(t, out.post("/session/extend", url.Values{"back": {"/"}}), http.StatusUnauthorized, "Sesi Anda telah berakhir")
}

func TestALongSessionShowsNoWarningYet(t *testing.T) {
	svc, _ := startPortal(t, nil)
	b := signIn(t, svc.URL, "usaha@demo.gerbang.id")
	wantPage(t, b.get("/"), http.StatusOK, `id="session-warning" class="warn session" role="alert" hidden>`, "Sesi Anda berlaku sampai")
}

func TestStaticFilesAreServedByThePortal(t *testing.T) {
	svc, _ := startPortal(t, nil)
	for path, want := range map[string]string{
		"/static/htmx-2.0.11.min.js":  "text/javascript",
		"/static/portal.js":           "text/javascript",
		"/static/portal.css":          "text/css",
		"/static/htmx-2.0.11.LICENSE": "text/plain",
	} {
		a := do(t, nil, http.MethodGet, svc.URL+path, nil, nil)
		if a.status != http.StatusOK || !strings.HasPrefix(a.header.Get("Content-Type"), want) || len(a.body) == 0 {
			t.Errorf("%s: %d %q %d bytes", path, a.status, a.header.Get("Content-Type"), len(a.body))
		}
	}
	if a := do(t, nil, http.MethodGet, svc.URL+"/static/htmx-2.0.11.min.js", nil, nil); !strings.Contains(a.header.Get("Cache-Control"), "immutable") {
		t.Errorf("htmx cache %q", a.header.Get("Cache-Control"))
	}
	if a := do(t, nil, http.MethodGet, svc.URL+"/static/nope.js", nil, nil); a.status != http.StatusNotFound {
		t.Errorf("a missing file: %d", a.status)
	}
}

func TestTheDeveloperDocumentationHasItsOwnPage(t *testing.T) {
	svc, _ := startPortal(t, nil)
	wantPage(t, do(t, nil, http.MethodGet, svc.URL+"/developers", nil, nil), http.StatusOK,
		"Untuk pengembang", "Kontrak API", `href="/openapi.json"`, `href="/api/licensing/openapi.json"`, "/api/tender/v1/public/tenders")
	page := wantPage(t, do(t, nil, http.MethodGet, svc.URL+"/", nil, nil), http.StatusOK, `href="/developers"`)
	if strings.Contains(page, "/api/tender/v1/public/tenders") {
		t.Error("the home page still shows the developer documentation")
	}
}
