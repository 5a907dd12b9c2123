package http

import (
	"io"
	"log/slog"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gofiber/fiber/v2"

	"gerbang/pkg/httpx"
)

// A body over a service's limit gets that service's 413, through the proxy,
// every time: the service reads what the proxy may forward before it
// refuses (httpx.ReadLimit), so the proxy never meets a closed connection.
func TestOversizedBodyIsAnswered413WhateverTheService(t *testing.T) {
	if UploadLimit >= httpx.ReadLimit {
		t.Fatalf("the proxy forwards up to %d bytes but services read only %d before answering", UploadLimit, httpx.ReadLimit)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := httpx.New(httpx.Options{Name: "payment", Log: log}) // 1 MiB on every route, as payment's invoices
	svc.Post("/v1/invoices", func(c *fiber.Ctx) error { return c.SendStatus(nethttp.StatusCreated) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go svc.Listener(ln)
	t.Cleanup(func() { _ = svc.Shutdown() })

	app := proxyApp(t, Backend{Name: "payment", URL: "http://" + ln.Addr().String()}, 10*time.Second)
	body := strings.Repeat("x", 20<<20)
	for i := range 10 {
		req := httptest.NewRequest(nethttp.MethodPost, "/api/payment/v1/invoices", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, got := app.do(req)
		if resp.StatusCode != nethttp.StatusRequestEntityTooLarge || resp.Header.Get("Content-Type") != httpx.ProblemContentType {
			t.Fatalf("attempt %d: %d %s %s, want a 413 problem", i, resp.StatusCode, resp.Header.Get("Content-Type"), got)
		}
	}
}

// The proxy forwards the header parameters each service's contract names,
// the message's own headers, and nothing else; hop-by-hop headers stay on
// their connection both ways.
func TestProxyForwardsExactlyTheHeadersEachContractNames(t *testing.T) {
	for name, want := range contractHeaders {
		doc, err := openapi3.NewLoader().LoadFromFile(filepath.Join("..", "..", "..", "..", "..", "api", name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var named []string
		for _, item := range doc.Paths.Map() {
			for _, op := range item.Operations() {
				for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
					if p.Value != nil && p.Value.In == openapi3.ParameterInHeader && !slices.Contains(named, p.Value.Name) {
						named = append(named, p.Value.Name)
					}
				}
			}
		}
		slices.Sort(named)
		have := slices.Sorted(slices.Values(want))
		if !slices.Equal(named, have) {
			t.Errorf("api/%s.yaml names the headers %v; the proxy forwards %v", name, named, have)
		}
	}

	var received nethttp.Header
	svc := httptest.NewServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		received = r.Header.Clone()
		w.Header().Set("Connection", "X-Hop")
		w.Header().Set("X-Hop", "1")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("ETag", `"3"`)
		w.WriteHeader(nethttp.StatusAccepted)
	}))
	defer svc.Close()
	app := proxyApp(t, Backend{Name: "payment", URL: svc.URL}, 5*time.Second)
	req := httptest.NewRequest(nethttp.MethodPost, "/api/payment/v1/gateway/callbacks", strings.NewReader(`{}`))
	for k, v := range map[string]string{
		"Content-Type": "application/json", "X-Gateway-Signature": "sig", "X-Gateway-Timestamp": "1764300000",
		"Idempotency-Key": "k-1", "Authorization": "Bearer t", "Cookie": "gerbang_session=secret",
		"X-Custom": "no", "Te": "trailers", "Upgrade": "websocket", "Proxy-Authorization": "Basic eA==", "If-Match": `"1"`,
	} {
		req.Header.Set(k, v)
	}
	resp, _ := app.do(req)
	if resp.StatusCode != nethttp.StatusAccepted {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, h := range []string{"X-Gateway-Signature", "X-Gateway-Timestamp", "Idempotency-Key", "Authorization", "Content-Type"} {
		if received.Get(h) == "" {
			t.Errorf("%s was not forwarded to payment", h)
		}
	}
	for _, h := range []string{"Cookie", "X-Custom", "Te", "Upgrade", "Proxy-Authorization", "If-Match"} {
		if received.Get(h) != "" {
			t.Errorf("%s was forwarded to payment, whose contract does not name it", h)
		}
	}
	if resp.Header.Get("X-Hop") != "" || resp.Header.Get("Keep-Alive") != "" || resp.Header.Get("ETag") != `"3"` {
		t.Errorf("response headers %v: want ETag kept, X-Hop and Keep-Alive dropped", resp.Header)
	}
}
