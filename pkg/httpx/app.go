// Package httpx is the HTTP platform every Gerbang service runs on: a fiber
// app with panic recovery, request ids, JSON access logs, body limits per
// route, timeouts, Prometheus metrics and one error handler that answers
// every failure as RFC 9457 problem+json.
package httpx

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/prometheus/client_golang/prometheus"

	"gerbang/pkg/apperr"
	"gerbang/pkg/caller"
	"gerbang/pkg/tracing"
)

// Options configure an app.
type Options struct {
	Name string // service name, for logs and metrics
	// DefaultBodyLimit applies to every route without a BodyLimits entry.
	DefaultBodyLimit int
	// MaxBodyLimit is the largest body any route accepts (uploads).
	MaxBodyLimit int
	// BodyLimits overrides the default per route ("METHOD /path/:param").
	BodyLimits []RouteLimit
	// RequestTimeout bounds a handler's context.
	RequestTimeout time.Duration
	ReadTimeout    time.Duration
	WriteTimeout   time.Duration
	IdleTimeout    time.Duration
	Log            *slog.Logger
	Registry       *prometheus.Registry // nil: no HTTP metrics
}

// RouteLimit is the body limit of one route.
type RouteLimit struct {
	Method  string
	Pattern string // fiber-style: /v1/applications/:id/documents, or /api/licensing/* for a subtree
	Bytes   int
}

func (o *Options) defaults() {
	if o.DefaultBodyLimit == 0 {
		o.DefaultBodyLimit = 1 << 20
	}
	for _, l := range o.BodyLimits {
		if l.Bytes > o.MaxBodyLimit {
			o.MaxBodyLimit = l.Bytes
		}
	}
	if o.MaxBodyLimit < o.DefaultBodyLimit {
		o.MaxBodyLimit = o.DefaultBodyLimit
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = 30 * time.Second
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = 30 * time.Second
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = 60 * time.Second
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = 120 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
}

// ReadLimit is the body size every service reads before it answers, whatever
// its routes accept: a body larger than a route's limit is read and refused
// with a 413 problem. Refusing it unread would close the connection under
// the sender, who (the portal's proxy above all, which forwards bodies up to
// 25 MiB) then sees a reset instead of the answer.
const ReadLimit = 32 << 20

// New returns a fiber app with the platform middleware installed, in order:
// request id, access log and metrics, panic recovery, body limit, timeout.
func New(opts Options) *fiber.App {
	opts.defaults()
	app := fiber.New(fiber.Config{
		AppName:               opts.Name,
		BodyLimit:             max(opts.MaxBodyLimit+1<<16, ReadLimit), // the per-route check answers, with a problem
		ReadTimeout:           opts.ReadTimeout,
		WriteTimeout:          opts.WriteTimeout,
		IdleTimeout:           opts.IdleTimeout,
		ErrorHandler:          ErrorHandler(opts.Log),
		DisableStartupMessage: true,
		StrictRouting:         false,
		ReadBufferSize:        16 << 10,
	})
	app.Use(requestid.New(requestid.Config{Header: fiber.HeaderXRequestID, ContextKey: requestIDKey}))
	app.Use(traceRequests)
	app.Use(accessLog(opts.Log, newHTTPMetrics(opts.Name, opts.Registry)))
	app.Use(recoverPanics(opts.Log))
	app.Use(bodyLimit(opts.DefaultBodyLimit, opts.BodyLimits))
	app.Use(timeout(opts.RequestTimeout))
	return app
}

const requestIDKey = "requestid"

// RequestID returns the request's id.
func RequestID(c *fiber.Ctx) string {
	if v, ok := c.Locals(requestIDKey).(string); ok {
		return v
	}
	return ""
}

// RequestIDFrom returns the request id carried by a context (set for every
// request's UserContext), for logs and audit records; caller.From(ctx)
// gives it with the caller.
func RequestIDFrom(ctx context.Context) string { return caller.RequestID(ctx) }

// traceRequests makes each request a server span, child of the traceparent
// it came with, carried by its UserContext (and so into its logs).
func traceRequests(c *fiber.Ctx) error {
	ctx, span := tracing.StartServer(c.UserContext(), func(k string) string { return string(c.Request().Header.Peek(k)) }, c.Method())
	c.SetUserContext(ctx)
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		status = ProblemFor(err).Status
	}
	tracing.EndServer(span, c.Method(), c.Route().Path, status)
	return err
}

func recoverPanics(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) (err error) {
		defer func() {
			if r := recover(); r != nil {
				log.ErrorContext(c.UserContext(), "panic in handler", "request_id", RequestID(c), "path", c.Path(), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return c.Next()
	}
}

func bodyLimit(def int, routes []RouteLimit) fiber.Handler {
	return func(c *fiber.Ctx) error {
		limit := def
		method, path := c.Method(), c.Path()
		for _, r := range routes {
			if r.Method == method && matchPattern(r.Pattern, path) {
				limit = r.Bytes
				break
			}
		}
		if n := len(c.Request().Body()); n > limit {
			return apperr.New(apperr.TooLarge, "The request body is %d bytes; this endpoint accepts at most %d bytes.", n, limit)
		}
		return c.Next()
	}
}

// matchPattern matches a fiber-style pattern with :params, and a final *
// standing for any rest of the path, against a path.
func matchPattern(pattern, path string) bool {
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	xs := strings.Split(strings.Trim(path, "/"), "/")
	if n := len(ps); n > 0 && ps[n-1] == "*" {
		if len(xs) < n-1 {
			return false
		}
		ps, xs = ps[:n-1], xs[:n-1]
	}
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if strings.HasPrefix(ps[i], ":") {
			continue
		}
		if ps[i] != xs[i] {
			return false
		}
	}
	return true
}

func timeout(d time.Duration) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), d)
		defer cancel()
		ctx = caller.WithRequestID(ctx, RequestID(c))
		c.SetUserContext(ctx)
		return c.Next()
	}
}

func accessLog(log *slog.Logger, m *httpMetrics) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		if err != nil {
			// Render now so that the status logged is the one answered.
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				c.Status(fiber.StatusInternalServerError)
			}
		}
		status := c.Response().StatusCode()
		took := time.Since(start)
		route := c.Route().Path
		if m != nil {
			m.observe(c.Method(), route, status, took)
		}
		if route == "/healthz" || route == "/readyz" || route == "/metrics" {
			return nil
		}
		log.InfoContext(c.UserContext(), "request",
			"request_id", RequestID(c),
			"method", c.Method(),
			"path", c.Path(),
			"route", route,
			"status", status,
			"duration_ms", float64(took.Microseconds())/1000,
			"bytes", len(c.Response().Body()),
		)
		return nil
	}
}

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(service string, reg *prometheus.Registry) *httpMetrics {
	if reg == nil {
		return nil
	}
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "HTTP requests answered, by route and status.",
			ConstLabels: prometheus.Labels{"service": service},
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds", Help: "Time to answer an HTTP request.",
			ConstLabels: prometheus.Labels{"service": service},
			Buckets:     []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func (m *httpMetrics) observe(method, route string, status int, took time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(method, route).Observe(took.Seconds())
}
