// Package tracing joins the work one request causes across the services in
// one OpenTelemetry trace: W3C trace context (traceparent, tracestate) on
// every HTTP request between them and in every CloudEvent (the CloudEvents
// distributed-tracing extension), spans for requests served and sent,
// database transactions and events consumed, and the trace id on every log
// line written with a request's or an event's context.
//
// Spans are exported by OTLP over HTTP when the standard OTEL_* variables
// ask for it (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
// or OTEL_TRACES_EXPORTER=otlp), and by nothing otherwise: off by default.
// The trace context is propagated either way, so a trace begun upstream is
// not cut here. OpenTelemetry keeps its provider and propagator as process
// globals; Setup sets them once per process, and tests that collect spans
// set their own provider first.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Name is the instrumentation scope of Gerbang's spans.
const Name = "gerbang"

func tracer() trace.Tracer { return otel.Tracer(Name) }

// Enabled reports whether the OTEL_* variables ask for spans to be exported.
func Enabled(getenv func(string) string) bool {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))) {
	case "none":
		return false
	case "otlp":
		return true
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Setup installs the W3C propagator and, when Enabled, a tracer provider
// exporting by OTLP/HTTP (configured by the standard OTEL_* variables, read
// by the exporter itself) for service. The returned function flushes and
// stops the exporter.
func Setup(ctx context.Context, service string, getenv func(string) string) (shutdown func(context.Context) error, err error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	if !Enabled(getenv) {
		return func(context.Context) error { return nil }, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("otlp trace exporter: %w", err)
	}
	name := getenv("OTEL_SERVICE_NAME")
	if name == "" {
		name = "gerbang-" + service
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attribute.String("service.name", name)))
	if err != nil {
		return nil, fmt.Errorf("trace resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	return tp.Shutdown, nil
}

// Headers is a propagation carrier over any header set: Get and Set of the
// request type at hand (net/http, fasthttp).
type Headers struct {
	GetFn func(string) string
	SetFn func(string, string)
}

func (h Headers) Get(k string) string {
	if h.GetFn == nil {
		return ""
	}
	return h.GetFn(k)
}

func (h Headers) Set(k, v string) {
	if h.SetFn != nil {
		h.SetFn(k, v)
	}
}

func (h Headers) Keys() []string { return nil }

// Extract returns ctx with the remote span context read from carrier.
func Extract(ctx context.Context, carrier propagation.TextMapCarrier) context.Context {
	return otel.GetTextMapPropagator().Extract(ctx, carrier)
}

// Inject writes ctx's span context (traceparent, tracestate) with set.
func Inject(ctx context.Context, set func(key, value string)) {
	otel.GetTextMapPropagator().Inject(ctx, Headers{SetFn: set})
}

// StartServer starts the span of a request served, child of the trace
// context the request carried.
func StartServer(ctx context.Context, get func(string) string, method string) (context.Context, trace.Span) {
	ctx = Extract(ctx, Headers{GetFn: get})
	return tracer().Start(ctx, method, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", method)))
}

// EndServer names the span after the route served and ends it.
func EndServer(span trace.Span, method, route string, status int) {
	span.SetName(method + " " + route)
	span.SetAttributes(attribute.String("http.route", route), attribute.Int("http.response.status_code", status))
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	span.End()
}

// StartClient starts the span of a request sent to service; inject its
// context into the request with Inject.
func StartClient(ctx context.Context, name string) (context.Context, trace.Span) {
	return tracer().Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient))
}

// Transport wraps base (http.DefaultTransport when nil) so that every
// request it sends is a client span whose traceparent it carries.
func Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return transport{base: base}
}

type transport struct{ base http.RoundTripper }

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, span := StartClient(req.Context(), req.Method+" "+req.URL.Host)
	defer span.End()
	req = req.Clone(ctx)
	Inject(ctx, req.Header.Set)
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "no answer")
		return nil, err
	}
	span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
	if resp.StatusCode >= 500 {
		span.SetStatus(codes.Error, http.StatusText(resp.StatusCode))
	}
	return resp, nil
}

// StartConsumer starts the span of an event handled, child of the trace
// context the event carried (traceparent and tracestate, empty when none).
func StartConsumer(ctx context.Context, traceparent, tracestate, eventType, consumer string) (context.Context, trace.Span) {
	ctx = Extract(ctx, propagation.MapCarrier{"traceparent": traceparent, "tracestate": tracestate})
	return tracer().Start(ctx, "consume "+eventType, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("messaging.system", "nats"), attribute.String("messaging.consumer.group.name", consumer)))
}

// StartInternal starts a span of work inside the process (a transaction).
func StartInternal(ctx context.Context, name string) (context.Context, trace.Span) {
	return tracer().Start(ctx, name)
}

// End ends span, marking it failed when err is not nil.
func End(span trace.Span, err error) {
	if err != nil && !errors.Is(err, context.Canceled) {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// LogHandler adds trace_id and span_id to every record logged with a
// context that carries a span.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ slog.Handler }

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.Handler.Handle(ctx, r)
}

func (h logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(attrs)}
}

func (h logHandler) WithGroup(name string) slog.Handler { return logHandler{h.Handler.WithGroup(name)} }
