// Package service starts a Gerbang service the same way for all four: its
// configuration, database (created and migrated), NATS connection and
// stream, HTTP app with /healthz, /readyz and /metrics, background workers,
// and a clean shutdown that drains in-flight requests.
package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"gerbang/pkg/auth"
	"gerbang/pkg/clock"
	"gerbang/pkg/dbx"
	"gerbang/pkg/events"
	"gerbang/pkg/httpx"
	"gerbang/pkg/tracing"
)

// Spec is what a service tells the platform about itself.
type Spec struct {
	Migrations fs.FS // the service's goose SQL files; nil when it has none
	// Stream is the JetStream stream the service produces to, if any.
	Stream *Stream
	// Consumes are other services' streams this one reads, ensured with the
	// same configuration as its own so that its consumers can start before
	// their producer does.
	Consumes []Stream
	// Provision creates further JetStream resources (idempotent).
	Provision  func(ctx context.Context, js jetstream.JetStream) error
	BodyLimits []httpx.RouteLimit
	// OpenAPI returns the service's contract as JSON, served at /openapi.json
	// (the generated GetSpecJSON).
	OpenAPI func() ([]byte, error)
	// NoDatabase is set by a service that keeps no state in PostgreSQL.
	NoDatabase bool
}

// Stream names a service's own stream and its subjects.
type Stream struct {
	Name     string
	Subjects []string
}

// Runtime is a started service: its dependencies, ready for routes and
// workers to be added before Serve.
type Runtime struct {
	Config   Config
	Log      *slog.Logger
	DB       *sqlx.DB
	NC       *nats.Conn
	JS       jetstream.JetStream
	App      *fiber.App
	Registry *prometheus.Registry
	Clock    clock.Clock
	// Auth verifies the bearer tokens of requests against the JWKS at
	// Config.JWKSURL (the portal's, by default).
	Auth *auth.Verifier

	draining    atomic.Bool
	workers     []worker
	stopTracing func(context.Context) error
}

type worker struct {
	name string
	run  func(ctx context.Context) error
}

// Start connects to PostgreSQL and NATS (waiting for them up to
// StartupTimeout), creates and migrates the database, provisions streams and
// builds the HTTP app with the platform routes.
func Start(ctx context.Context, cfg Config, spec Spec, stdout io.Writer) (*Runtime, error) {
	log := slog.New(tracing.LogHandler(slog.NewJSONHandler(stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))).With("service", cfg.Name)
	rt := &Runtime{Config: cfg, Log: log, Registry: prometheus.NewRegistry(), Clock: clock.System{}}
	stopTracing, err := tracing.Setup(ctx, cfg.Name, cfg.Getenv)
	if err != nil {
		return nil, err
	}
	rt.stopTracing = stopTracing
	rt.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	startCtx, cancel := context.WithTimeout(ctx, cfg.StartupTimeout)
	defer cancel()

	if !spec.NoDatabase {
		db, err := retry(startCtx, log, "PostgreSQL", func() (*sqlx.DB, error) { return dbx.OpenPool(startCtx, cfg.DatabaseURL, cfg.DatabaseConns) })
		if err != nil {
			return nil, fmt.Errorf("database: %w", err)
		}
		rt.DB = db
		if err := dbx.Migrate(startCtx, db, spec.Migrations, log); err != nil {
			db.Close()
			return nil, fmt.Errorf("migrate: %w", err)
		}
		rt.Registry.MustRegister(collectors.NewDBStatsCollector(db.DB, cfg.Name))
	}

	nc, err := retry(startCtx, log, "NATS", func() (*nats.Conn, error) {
		return nats.Connect(cfg.NATSURL,
			nats.Name("gerbang-"+cfg.Name),
			nats.MaxReconnects(-1),
			nats.ReconnectWait(500*time.Millisecond),
			nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Warn("NATS disconnected", "error", err) }),
			nats.ReconnectHandler(func(c *nats.Conn) { log.Info("NATS reconnected", "url", c.ConnectedUrlRedacted()) }),
		)
	})
	if err != nil {
		rt.closeDB()
		return nil, fmt.Errorf("nats: %w", err)
	}
	rt.NC = nc
	js, err := jetstream.New(nc)
	if err != nil {
		rt.close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	rt.JS = js
	provision := func(ctx context.Context) error {
		streams := spec.Consumes
		if spec.Stream != nil {
			streams = append([]Stream{*spec.Stream}, streams...)
		}
		for _, s := range streams {
			if err := events.EnsureStream(ctx, js, s.Name, s.Subjects,
				events.WithReplicas(cfg.NATSReplicas), events.WithLimits(cfg.StreamMaxAge, cfg.StreamMaxBytes)); err != nil {
				return err
			}
		}
		if spec.Provision != nil {
			return spec.Provision(ctx, js)
		}
		return nil
	}
	{
		if _, err := retry(startCtx, log, "JetStream streams", func() (struct{}, error) { return struct{}{}, provision(startCtx) }); err != nil {
			rt.close()
			return nil, fmt.Errorf("provision streams: %w", err)
		}
	}

	rt.Auth = &auth.Verifier{
		Keys:     auth.NewRemoteJWKS(cfg.JWKSURL, auth.RemoteJWKSOptions{MinRefreshInterval: cfg.JWKSRefresh}),
		Issuer:   cfg.Issuer,
		Audience: cfg.Audience,
		Clock:    rt.Clock,
		Leeway:   30 * time.Second,
	}

	rt.App = httpx.New(httpx.Options{Name: cfg.Name, Log: log, Registry: rt.Registry, BodyLimits: spec.BodyLimits})
	rt.App.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	rt.App.Get("/readyz", rt.readyz)
	rt.App.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(rt.Registry, promhttp.HandlerOpts{})))
	if spec.OpenAPI != nil {
		doc, err := spec.OpenAPI()
		if err != nil {
			rt.close()
			return nil, fmt.Errorf("openapi document: %w", err)
		}
		rt.App.Get("/openapi.json", func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
			return c.Send(doc)
		})
	}
	if rt.DB != nil {
		if err := rt.startAudit(cfg.AuditKeyFile); err != nil {
			rt.close()
			return nil, err
		}
		rt.startRelay()
		rt.startPruner()
		rt.serveDeadLetters()
	}
	return rt, nil
}

// Go adds a background worker, started by Serve and stopped after the HTTP
// server has drained. A worker returns when its context is done.
func (rt *Runtime) Go(name string, run func(ctx context.Context) error) {
	rt.workers = append(rt.workers, worker{name: name, run: run})
}

// Serve listens on the configured address until ctx is done, then stops
// taking requests, drains those in flight, stops the workers and closes the
// connections. It returns nil on a clean shutdown.
func (rt *Runtime) Serve(ctx context.Context) error {
	defer rt.close()
	ln, err := net.Listen("tcp", rt.Config.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", rt.Config.HTTPAddr, err)
	}
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	for _, w := range rt.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.run(workCtx); err != nil && !errors.Is(err, context.Canceled) {
				rt.Log.Error("worker stopped", "worker", w.name, "error", err)
			}
		}()
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- rt.App.Listener(ln) }()
	rt.Log.Info("listening", "addr", ln.Addr().String(), "url", "http://"+ln.Addr().String())

	var result error
	select {
	case err := <-serveErr:
		result = fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		rt.Log.Info("shutting down: draining in-flight requests", "timeout", rt.Config.ShutdownTimeout.String())
		rt.draining.Store(true)
		if err := rt.App.ShutdownWithTimeout(rt.Config.ShutdownTimeout); err != nil {
			// A connection still busy after the drain (a client that sent
			// half a request, say) is closed with the process: the
			// shutdown itself went as configured.
			rt.Log.Warn("drain timed out: closing the connections still open", "timeout", rt.Config.ShutdownTimeout.String(), "error", err.Error())
		}
	}
	stopWork()
	wg.Wait()
	rt.Log.Info("stopped")
	return result
}

func (rt *Runtime) readyz(c *fiber.Ctx) error {
	checks := fiber.Map{}
	ready := !rt.draining.Load()
	if rt.DB != nil {
		ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
		defer cancel()
		if err := rt.DB.PingContext(ctx); err != nil {
			checks["database"] = "unreachable"
			ready = false
		} else {
			checks["database"] = "ok"
		}
	}
	if rt.NC.Status() == nats.CONNECTED {
		checks["nats"] = "ok"
	} else {
		checks["nats"] = "unreachable"
		ready = false
	}
	status, word := fiber.StatusOK, "ok"
	if !ready {
		status, word = fiber.StatusServiceUnavailable, "unavailable"
		if rt.draining.Load() {
			word = "draining"
		}
	}
	return c.Status(status).JSON(fiber.Map{"status": word, "checks": checks})
}

func (rt *Runtime) close() {
	if rt.stopTracing != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := rt.stopTracing(ctx); err != nil {
			rt.Log.Warn("flushing traces", "error", err.Error())
		}
		cancel()
	}
	if rt.NC != nil {
		rt.NC.Close()
	}
	rt.closeDB()
}

func (rt *Runtime) closeDB() {
	if rt.DB != nil {
		rt.DB.Close()
	}
}

// retry calls fn until it succeeds or ctx ends, logging while it waits.
func retry[T any](ctx context.Context, log *slog.Logger, what string, fn func() (T, error)) (T, error) {
	wait := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		v, err := fn()
		if err == nil {
			return v, nil
		}
		if attempt == 1 || attempt%10 == 0 {
			log.Warn("waiting for "+what, "error", err.Error())
		}
		select {
		case <-ctx.Done():
			var zero T
			return zero, fmt.Errorf("%s not reachable: %w", what, err)
		case <-time.After(wait):
		}
		wait = min(wait*2, 2*time.Second)
	}
}
