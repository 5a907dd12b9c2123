package tracing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"gerbang/pkg/dbx"
	"gerbang/pkg/events"
	"gerbang/pkg/httpx"
	"gerbang/pkg/natstest"
	"gerbang/pkg/pgtest"
	"gerbang/pkg/svctest"
	"gerbang/pkg/tracing"
)

// syncBuffer is a log destination shared by goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// serve runs app on a free loopback address until the test ends.
func serve(t *testing.T, app *fiber.App) string {
	addr := svctest.FreeAddr(t)
	go app.Listen(addr)
	t.Cleanup(func() { app.Shutdown() })
	for deadline := time.Now().Add(10 * time.Second); ; {
		if resp, err := http.Get("http://" + addr + "/nothing"); err == nil {
			resp.Body.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("app on %s not listening", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOneTraceJoinsPortalRequestLicensingTransactionEventAndPaymentConsumer
// runs the platform's pieces as the services use them (httpx apps, the
// portal's traced client, a transaction that enqueues an event, the outbox
// relay to JetStream, payment's consumer) and checks that the spans
// collected by the SDK's in-memory exporter are one trace, in causal order,
// and that the consumer's log line carries its trace id.
func TestOneTraceJoinsPortalRequestLicensingTransactionEventAndPaymentConsumer(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() { otel.SetTracerProvider(prev) })
	if _, err := tracing.Setup(t.Context(), "test", func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	logs := &syncBuffer{}
	log := slog.New(tracing.LogHandler(slog.NewJSONHandler(logs, nil)))

	licensingDB, paymentDB := pgtest.New(t, nil), pgtest.New(t, nil)
	js, _ := natstest.Start(t).JetStream()
	if err := events.EnsureStream(ctx, js, "LICENSING", []string{"licensing.>"}); err != nil {
		t.Fatal(err)
	}

	// Licensing: a create that commits its state change with an event.
	licensing := httpx.New(httpx.Options{Name: "licensing", Log: log})
	licensing.Post("/v1/applications", func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		ev, err := events.New("/licensing", "licensing.fee.requested", "app-1", map[string]string{"application_id": "app-1"}, time.Now())
		if err != nil {
			return err
		}
		if err := dbx.WithTx(ctx, licensingDB.DB, func(tx *sqlx.Tx) error { return events.Enqueue(ctx, tx, ev, "app-1") }); err != nil {
			return err
		}
		return c.SendStatus(http.StatusCreated)
	})
	licensingURL := serve(t, licensing)
	relay := events.NewRelay(licensingDB.DB, js, log, events.RelayOptions{DatabaseURL: licensingDB.URL})
	go relay.Run(ctx)

	// Payment: the consumer of the fee request.
	handled := make(chan trace.SpanContext, 1)
	go events.Consume(ctx, js, paymentDB.DB, events.ConsumerConfig{Stream: "LICENSING", Durable: "payment", Log: log},
		func(ctx context.Context, tx *sqlx.Tx, ev events.Event) error {
			log.InfoContext(ctx, "invoice created for the fee", "event_id", ev.ID)
			handled <- trace.SpanContextFromContext(ctx)
			return nil
		})

	// Portal: a page whose handler calls licensing with the traced client.
	client := &http.Client{Transport: tracing.Transport(nil)}
	portal := httpx.New(httpx.Options{Name: "portal", Log: log})
	portal.Post("/apply", func(c *fiber.Ctx) error {
		req, err := http.NewRequestWithContext(c.UserContext(), http.MethodPost, licensingURL+"/v1/applications", nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return c.SendStatus(resp.StatusCode)
	})
	portalURL := serve(t, portal)

	resp, err := http.Post(portalURL+"/apply", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("portal answered %d", resp.StatusCode)
	}
	var consumed trace.SpanContext
	select {
	case consumed = <-handled:
	case <-time.After(30 * time.Second):
		t.Fatal("payment's consumer never got the event")
	}

	// The spans, by name, each with its parent. The consumer's span ends
	// only after its handler has returned, so wait until every span of the
	// chain has been exported, not merely until there are enough spans.
	chain := []struct{ name, parent string }{
		{"POST /apply", ""}, // the portal request, where the trace begins
		{"POST " + strings.TrimPrefix(licensingURL, "http://"), "POST /apply"}, // the portal's call to licensing
		{"POST /v1/applications", "POST " + strings.TrimPrefix(licensingURL, "http://")},
		{"transaction", "POST /v1/applications"},                     // licensing's transaction
		{"consume licensing.fee.requested", "POST /v1/applications"}, // payment's consumer, from the event's traceparent
	}
	spans := map[string]tracetest.SpanStub{}
	complete := func() bool {
		for _, c := range chain {
			if _, ok := spans[c.name]; !ok {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(10 * time.Second); !complete() && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, s := range exp.GetSpans() {
			spans[s.Name] = s
		}
	}
	cancel()
	root := spans["POST /apply"].SpanContext.TraceID()
	for _, c := range chain {
		s, ok := spans[c.name]
		if !ok {
			t.Fatalf("no span %q among %d spans", c.name, len(exp.GetSpans()))
		}
		if s.SpanContext.TraceID() != root {
			t.Errorf("span %q is in trace %s, want the portal request's %s", c.name, s.SpanContext.TraceID(), root)
		}
		if c.parent == "" {
			if s.Parent.IsValid() {
				t.Errorf("span %q has a parent; the portal request should begin the trace", c.name)
			}
			continue
		}
		if s.Parent.SpanID() != spans[c.parent].SpanContext.SpanID() {
			t.Errorf("span %q: parent %s, want %q (%s)", c.name, s.Parent.SpanID(), c.parent, spans[c.parent].SpanContext.SpanID())
		}
	}
	if consumed.TraceID() != root || consumed.SpanID() != spans["consume licensing.fee.requested"].SpanContext.SpanID() {
		t.Errorf("the handler ran in span %s/%s, want the consumer span of trace %s", consumed.TraceID(), consumed.SpanID(), root)
	}

	// The event carried the trace in the CloudEvents extension, and the
	// consumer's log line names the trace.
	var ev struct {
		TraceParent string `json:"traceparent"`
	}
	var payload []byte
	if err := licensingDB.GetContext(t.Context(), &payload, `SELECT payload::text::bytea FROM outbox`); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(payload, &ev); err != nil || !strings.Contains(ev.TraceParent, root.String()) {
		t.Errorf("event traceparent %q (%v), want one of trace %s", ev.TraceParent, err, root)
	}
	var logged bool
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "invoice created for the fee") {
			logged = strings.Contains(line, `"trace_id":"`+root.String()+`"`)
		}
	}
	if !logged {
		t.Errorf("the consumer's log line does not carry trace %s:\n%s", root, logs.String())
	}
}

func TestSpansAreExportedByOTLPOnlyWhenConfigured(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{}, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, true},
		{map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, true},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_TRACES_EXPORTER": "none"}, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"}, false},
	} {
		if got := tracing.Enabled(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("%v: enabled = %v, want %v", tc.env, got, tc.want)
		}
	}

	// Configured: a span reaches an OTLP/HTTP receiver.
	got := make(chan string, 4)
	receiver := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Method + " " + r.URL.Path
		w.Header().Set("Content-Type", "application/x-protobuf")
	})}
	addr := svctest.FreeAddr(t)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	go receiver.Serve(ln)
	t.Cleanup(func() { receiver.Close() })
	prev := otel.GetTracerProvider()
	t.Cleanup(func() { otel.SetTracerProvider(prev) })
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+addr)
	t.Setenv("OTEL_EXPORTER_OTLP_INSECURE", "true")
	shutdown, err := tracing.Setup(t.Context(), "test", os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	_, span := tracing.StartInternal(t.Context(), "exported")
	span.End()
	if err := shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	select {
	case req := <-got:
		if req != "POST /v1/traces" {
			t.Fatalf("the receiver got %s, want POST /v1/traces", req)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no span reached the OTLP receiver")
	}
}
