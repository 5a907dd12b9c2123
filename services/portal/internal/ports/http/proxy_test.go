package http

import (
	"io"
	"log/slog"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gerbang/pkg/httpx"
)

func proxyApp(t *testing.T, b Backend, timeout time.Duration) *httptestApp {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	app := httpx.New(httpx.Options{Name: "portal", Log: log, BodyLimits: ProxyBodyLimits(b.Name)})
	h := NewProxy(timeout, log).Handler(b)
	app.All(b.Prefix(), h)
	app.All(b.Prefix()+"/*", h)
	return &httptestApp{t: t, test: app.Test}
}

type httptestApp struct {
	t    *testing.T
	test func(*nethttp.Request, ...int) (*nethttp.Response, error)
}

func (a *httptestApp) do(req *nethttp.Request) (*nethttp.Response, string) {
	a.t.Helper()
	resp, err := a.test(req, 10_000)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestProxyAnswersWithTheServicesStatusHeadersAndBody(t *testing.T) {
	svc := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Retry-After", "5")
		w.Header().Set("Connection", "close") // hop-by-hop: stays between proxy and service
		w.WriteHeader(nethttp.StatusPreconditionFailed)
		io.WriteString(w, `{"status":412,"path":"`+r.URL.Path+`"}`)
	}))
	defer svc.Close()
	app := proxyApp(t, Backend{Name: "payment", URL: svc.URL}, 5*time.Second)
	resp, body := app.do(httptest.NewRequest(nethttp.MethodPatch, "/api/payment/v1/invoices/9", strings.NewReader(`{}`)))
	if resp.StatusCode != nethttp.StatusPreconditionFailed || resp.Header.Get("Retry-After") != "5" ||
		resp.Header.Get("Content-Type") != "application/problem+json" || body != `{"status":412,"path":"/v1/invoices/9"}` {
		t.Errorf("answer %d %v %s", resp.StatusCode, resp.Header, body)
	}
}

func TestSlowServiceGets504Problem(t *testing.T) {
	release := make(chan struct{})
	svc := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		<-release
	}))
	defer svc.Close()
	defer close(release)
	app := proxyApp(t, Backend{Name: "tender", URL: svc.URL}, 200*time.Millisecond)
	resp, body := app.do(httptest.NewRequest(nethttp.MethodGet, "/api/tender/v1/public/tenders", nil))
	if resp.StatusCode != nethttp.StatusGatewayTimeout || !strings.Contains(body, "Layanan tender tidak menjawab tepat waktu") {
		t.Errorf("answer %d %s", resp.StatusCode, body)
	}
}

func TestProxyTakesUploadsUpTo25MiBAndNoMore(t *testing.T) {
	var got int
	svc := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		got = int(n)
		w.WriteHeader(nethttp.StatusCreated)
	}))
	defer svc.Close()
	app := proxyApp(t, Backend{Name: "licensing", URL: svc.URL}, 5*time.Second)
	ok := httptest.NewRequest(nethttp.MethodPost, "/api/licensing/v1/applications/1/documents", strings.NewReader(strings.Repeat("x", UploadLimit)))
	if resp, body := app.do(ok); resp.StatusCode != nethttp.StatusCreated || got != UploadLimit {
		t.Errorf("25 MiB upload: %d (%d bytes forwarded) %s", resp.StatusCode, got, body)
	}
	tooBig := httptest.NewRequest(nethttp.MethodPost, "/api/licensing/v1/applications/1/documents", strings.NewReader(strings.Repeat("x", UploadLimit+1)))
	if resp, _ := app.do(tooBig); resp.StatusCode != nethttp.StatusRequestEntityTooLarge {
		t.Errorf("25 MiB + 1 upload: %d, want 413", resp.StatusCode)
	}
}
