// Command outboxbench measures the event backbone end to end: writers commit
// a state change and its event at a target rate, the outbox relay publishes
// to JetStream (embedded unless -nats is given), and a durable consumer
// applies each event with its inbox row. It prints the latency from the
// writer's COMMIT to the consumer's handler (p50, p90, p99, max) and the
// throughput achieved.
//
//	go run ./events/cmd/outboxbench -rate 1000 -duration 10s
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"gerbang/pkg/dbx"
	"gerbang/pkg/events"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "outboxbench:", err)
		os.Exit(1)
	}
}

type config struct {
	dbURL      string
	natsURL    string
	rate       int
	duration   time.Duration
	writers    int
	relays     int
	lanes      int
	aggregates int
	keep       bool
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("outboxbench", flag.ContinueOnError)
	fs.StringVar(&cfg.dbURL, "db", dbx.DefaultURL(fmt.Sprintf("gerbang_outboxbench_%d", os.Getpid())), "PostgreSQL URL of a scratch database (created, and dropped afterwards unless -keep)")
	fs.StringVar(&cfg.natsURL, "nats", "", "NATS URL; empty starts an embedded JetStream server")
	fs.IntVar(&cfg.rate, "rate", 1000, "events per second to commit")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long to produce")
	fs.IntVar(&cfg.writers, "writers", 32, "concurrent writer transactions")
	fs.IntVar(&cfg.relays, "relays", 1, "relays (replicas) publishing the outbox")
	fs.IntVar(&cfg.lanes, "concurrency", 1, "the consumer's Concurrency")
	fs.IntVar(&cfg.aggregates, "aggregates", 1000, "distinct aggregates the events belong to")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the scratch database")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	natsURL := cfg.natsURL
	if natsURL == "" {
		srv, dir, err := startNATS()
		if err != nil {
			return err
		}
		defer func() {
			srv.Shutdown()
			srv.WaitForShutdown()
			os.RemoveAll(dir)
		}()
		natsURL = srv.ClientURL()
	}
	nc, err := nats.Connect(natsURL, nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("connect nats: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(10*time.Second))
	if err != nil {
		return err
	}
	streamName := fmt.Sprintf("OUTBOXBENCH_%d", os.Getpid())
	subject := strings.ToLower(streamName) + ".order.placed"
	if err := events.EnsureStream(ctx, js, streamName, []string{strings.ToLower(streamName) + ".>"}); err != nil {
		return err
	}
	defer js.DeleteStream(context.Background(), streamName)

	db, err := dbx.Open(ctx, cfg.dbURL)
	if err != nil {
		return err
	}
	defer func() {
		db.Close()
		if !cfg.keep {
			dropDatabase(cfg.dbURL)
		}
	}()
	db.SetMaxOpenConns(cfg.writers + cfg.relays + cfg.lanes + 4)
	if err := dbx.Migrate(ctx, db, nil, nil); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `
		CREATE TABLE IF NOT EXISTS bench_order (id uuid PRIMARY KEY, aggregate text NOT NULL, placed_at timestamptz NOT NULL DEFAULT now());
		CREATE TABLE IF NOT EXISTS bench_effect (event_id uuid PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
		TRUNCATE bench_order, bench_effect, outbox, inbox, dead_letter`); err != nil {
		return fmt.Errorf("create bench tables: %w", err)
	}

	txP50, err := singleTransactionP50(ctx, db)
	if err != nil {
		return err
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var relays []*events.Relay
	for range cfg.relays {
		r := events.NewRelay(db, js, log, events.RelayOptions{DatabaseURL: cfg.dbURL})
		relays = append(relays, r)
		wg.Go(func() { r.Run(runCtx) })
	}

	var commits sync.Map // event id -> *commitTimes
	lat := &latencies{}
	wg.Go(func() {
		events.Consume(runCtx, js, db, events.ConsumerConfig{Stream: streamName, Durable: "bench", Concurrency: cfg.lanes},
			func(ctx context.Context, tx *sqlx.Tx, ev events.Event) error {
				now := time.Now()
				if c, ok := commits.Load(ev.ID); ok {
					lat.add(now.Sub(c.(*commitTimes).start))
				}
				_, err := tx.ExecContext(ctx, `INSERT INTO bench_effect (event_id) VALUES ($1)`, ev.ID)
				return err
			})
	})

	loadBefore := loadAverage()
	// One pacer hands out the scheduled start times; writers take them.
	start := time.Now()
	total := int(float64(cfg.rate) * cfg.duration.Seconds())
	slots := make(chan struct{}, cfg.writers)
	var committed, failed atomic.Int64
	var writers sync.WaitGroup
	for w := range cfg.writers {
		writers.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			for range slots {
				agg := fmt.Sprintf("order-%d", rng.IntN(cfg.aggregates))
				if err := placeOrder(ctx, db, subject, agg, &commits); err != nil {
					failed.Add(1)
					log.Warn("writer", "err", err)
					continue
				}
				committed.Add(1)
			}
		})
	}
	interval := time.Second / time.Duration(cfg.rate)
	for i := range total {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		if ctx.Err() != nil {
			break
		}
		slots <- struct{}{}
	}
	close(slots)
	writers.Wait()
	produced := time.Since(start)

	deadline := time.Now().Add(60 * time.Second)
	for lat.count() < int(committed.Load()) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	consumed := time.Since(start)
	cancel()
	wg.Wait()

	var published, batches uint64
	for _, r := range relays {
		s := r.Stats()
		published += s.Published
		batches += s.Batches
	}
	p := lat.sorted()
	var took []time.Duration
	commits.Range(func(_, v any) bool {
		took = append(took, time.Duration(v.(*commitTimes).took.Load()))
		return true
	})
	slices.Sort(took)
	fmt.Fprintf(stdout, "outboxbench: target %d events/s for %s, %d writers, %d relay(s), consumer concurrency %d, %d aggregates, GOMAXPROCS %d, load before %s\n",
		cfg.rate, cfg.duration, cfg.writers, cfg.relays, cfg.lanes, cfg.aggregates, runtime.GOMAXPROCS(0), loadBefore)
	fmt.Fprintf(stdout, "baseline    one writer alone: BEGIN; INSERT; COMMIT p50 %s\n", txP50.Round(10*time.Microsecond))
	fmt.Fprintf(stdout, "committed   %d events in %s (%.0f/s), %d failed\n",
		committed.Load(), produced.Round(time.Millisecond), float64(committed.Load())/produced.Seconds(), failed.Load())
	fmt.Fprintf(stdout, "consumed    %d events, all in by %s (%.0f/s end to end)\n",
		len(p), consumed.Round(time.Millisecond), float64(len(p))/consumed.Seconds())
	if batches > 0 {
		fmt.Fprintf(stdout, "relay       %d published in %d batches (%.1f per batch)\n", published, batches, float64(published)/float64(batches))
	}
	if len(took) > 0 {
		fmt.Fprintf(stdout, "writer COMMIT itself             p50 %s  p90 %s  p99 %s\n", pct(took, 0.50), pct(took, 0.90), pct(took, 0.99))
	}
	if len(p) > 0 {
		fmt.Fprintf(stdout, "commit-to-consumer latency  p50 %s  p90 %s  p99 %s  max %s\n",
			pct(p, 0.50), pct(p, 0.90), pct(p, 0.99), p[len(p)-1].Round(10*time.Microsecond))
	}
	if len(p) < int(committed.Load()) {
		return fmt.Errorf("only %d of %d events reached the consumer", len(p), committed.Load())
	}
	return nil
}

// placeOrder is the writer's transaction: a state change and its event.
// commitTimes is when a writer sent COMMIT and when it returned.
type commitTimes struct {
	start time.Time
	took  atomic.Int64 // nanoseconds
}

func placeOrder(ctx context.Context, db *sqlx.DB, subject, agg string, commits *sync.Map) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ev, err := events.New("/outboxbench", subject, agg, map[string]string{"order": agg}, time.Now())
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO bench_order (id, aggregate) VALUES ($1, $2)`, ev.ID, agg); err != nil {
		return err
	}
	if err := events.Enqueue(ctx, tx, ev, agg); err != nil {
		return err
	}
	c := &commitTimes{start: time.Now()}
	commits.Store(ev.ID, c)
	err = tx.Commit()
	c.took.Store(int64(time.Since(c.start)))
	return err
}

type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.d)
}

func (l *latencies) sorted() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := slices.Clone(l.d)
	slices.Sort(s)
	return s
}

func pct(sorted []time.Duration, q float64) time.Duration {
	i := int(q * float64(len(sorted)-1))
	return sorted[i].Round(10 * time.Microsecond)
}

func startNATS() (*server.Server, string, error) {
	dir, err := os.MkdirTemp("", "outboxbench-nats-")
	if err != nil {
		return nil, "", err
	}
	srv, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true,
	})
	if err != nil {
		return nil, "", err
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		return nil, "", errors.New("embedded nats not ready")
	}
	return srv, dir, nil
}

func dropDatabase(dsn string) {
	u, err := url.Parse(dsn)
	if err != nil {
		return
	}
	name := strings.TrimPrefix(u.Path, "/")
	u.Path = "/postgres"
	db, err := sql.Open("postgres", u.String())
	if err != nil {
		return
	}
	defer db.Close()
	db.Exec("DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(name) + " WITH (FORCE)")
}

// loadAverage is the machine's one-minute load, for reading the figures.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// singleTransactionP50 times a lone small transaction (one insert and its
// commit), the unit the latency figures compare with.
func singleTransactionP50(ctx context.Context, db *sqlx.DB) (time.Duration, error) {
	var d []time.Duration
	for range 200 {
		t0 := time.Now()
		err := dbx.WithTx(ctx, db, func(tx *sqlx.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO bench_order (id, aggregate) VALUES (gen_random_uuid(), 'baseline')`)
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("baseline transaction: %w", err)
		}
		d = append(d, time.Since(t0))
	}
	slices.Sort(d)
	return d[len(d)/2], nil
}
