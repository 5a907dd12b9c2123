package app_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/events"
	"gerbang/pkg/idempotency"
	"gerbang/pkg/keyset"
	"gerbang/pkg/natstest"
	"gerbang/services/licensing/internal/adapters/postgres"
	"gerbang/services/licensing/internal/app"
	"gerbang/services/licensing/internal/domain"
)

// BenchmarkSubmitApplication measures submissions (each one transaction:
// lock, rules, state, outbox event, audit record) from 32 goroutines, with
// the outbox relay publishing to an embedded JetStream meanwhile (as in
// the service, whose running relay spares writers the NOTIFY), and reports
// submissions per second.
func BenchmarkSubmitApplication(b *testing.B) {
	h := newHarness(b)
	ns := natstest.Start(b)
	js, nc := ns.JetStream()
	defer nc.Close()
	if err := events.EnsureStream(h.ctx, js, "LICENSING", []string{"licensing.>"}); err != nil {
		b.Fatal(err)
	}
	relayCtx, stopRelay := context.WithCancel(h.ctx)
	relayDone := make(chan struct{})
	go func() {
		defer close(relayDone)
		_ = events.NewRelay(h.db.DB, js, nil, events.RelayOptions{DatabaseURL: h.db.URL}).Run(relayCtx)
	}()
	defer func() { stopRelay(); <-relayDone }()
	// BENCH_DSN_PARAMS adds connection parameters to compare drivers'
	// settings, e.g. binary_parameters=yes (lib/pq then sends a query and
	// its arguments in one round trip instead of two).
	if extra := os.Getenv("BENCH_DSN_PARAMS"); extra != "" {
		sep := "?"
		if strings.Contains(h.db.URL, "?") {
			sep = "&"
		}
		db, err := sqlx.Open("postgres", h.db.URL+sep+extra)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		h.store = postgres.New(db)
		h.svc = app.New(h.store, h.clock, nil, app.Options{})
	}
	bus, err := h.svc.RegisterBusiness(h.ctx, owner, idempotency.Key{}, businessInput("55110"))
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, b.N)
	for i := range ids {
		a, err := h.svc.CreateApplication(h.ctx, owner, idempotency.Key{}, bus.ID, "55110", 150, "")
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = a.ID
	}
	var next atomic.Int64
	b.SetParallelism(16) // 32 goroutines on 2 cores
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := ids[next.Add(1)-1]
			if _, err := h.svc.Submit(h.ctx, owner, id, 0); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "submissions/s")
}

// BenchmarkReviewQueueWith100kApplications seeds 100,000 applications
// (half of them in the queue) and measures the first page and pages deep
// in the queue (each with the counts of the whole queue), reporting p50
// and p99 latencies.
func BenchmarkReviewQueueWith100kApplications(b *testing.B) {
	h := seedQueueBench(b)
	// Cursors deep in the queue, taken by walking it with big pages.
	cursors := []string{""}
	for c := ""; len(cursors) < 40; {
		_, next, err := h.store.ReviewQueue(h.ctx, domain.QueueSelection{States: domain.ReviewQueueStates()}, keyset.Page{Limit: 100, Cursor: c})
		if err != nil || next == "" {
			break
		}
		for range 10 { // skip ahead
			_, n2, err := h.store.ReviewQueue(h.ctx, domain.QueueSelection{States: domain.ReviewQueueStates()}, keyset.Page{Limit: 100, Cursor: next})
			if err != nil || n2 == "" {
				break
			}
			next = n2
		}
		cursors = append(cursors, next)
		c = next
	}
	var mu sync.Mutex
	var took []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		page, err := h.svc.ReviewQueue(h.ctx, officer, domain.QueueFilter{}, keyset.Page{Limit: 50, Cursor: cursors[i%len(cursors)]})
		d := time.Since(t0)
		if err != nil || len(page.Items) == 0 {
			b.Fatalf("queue page: %d items, %v", len(page.Items), err)
		}
		mu.Lock()
		took = append(took, d)
		mu.Unlock()
	}
	reportPercentiles(b, took)
}

// seedQueueBench seeds 100,000 applications, half of them in the review
// queue (a sixth waiting for a revision), over five KBLIs, due from 17
// hours before the harness's now to 67 hours after.
func seedQueueBench(b *testing.B) *harness {
	h := newHarness(b)
	bus, err := h.svc.RegisterBusiness(h.ctx, owner, idempotency.Key{}, businessInput("55110"))
	if err != nil {
		b.Fatal(err)
	}
	_, err = h.db.ExecContext(h.ctx, `
		INSERT INTO application (id, business_id, owner_subject, kbli, scale, size, state, sla_days, sla_due_at, created_at, updated_at)
		SELECT gen_random_uuid(), $1, $2, (ARRAY['55110','49431','41011','85111','62010'])[1 + i % 5], 'medium', 150,
		       (ARRAY['submitted','in_review','revision_requested','issued','issued','rejected'])[1 + i % 6],
		       15,
		       CASE WHEN i % 6 IN (0, 1) THEN $3::timestamptz + ((i % 5000) - 1000) * interval '1 minute' END,
		       $3, $3
		FROM generate_series(1, 100000) AS i`, bus.ID, owner.Subject, h.clock.Now())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := h.db.ExecContext(h.ctx, `ANALYZE application`); err != nil {
		b.Fatal(err)
	}
	return h
}

func reportPercentiles(b *testing.B, took []time.Duration) {
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkFilteredReviewQueueWith100kApplications measures the first page
// of 50 of the queue under each filter over the same 100,000 applications,
// with the counts of the whole queue, reporting p50 and p99 latencies.
func BenchmarkFilteredReviewQueueWith100kApplications(b *testing.B) {
	h := seedQueueBench(b)
	for name, f := range map[string]domain.QueueFilter{
		"kbli":               {KBLI: "41011"},
		"revision_requested": {State: domain.StateRevisionRequested},
		"in_review+kbli":     {State: domain.StateInReview, KBLI: "85111"},
		"due_within_days=1":  {DueWithinDays: 1},
		"overdue":            {Overdue: true},
		"kbli+due_within=60": {KBLI: "62010", DueWithinDays: 60},
	} {
		b.Run(name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := h.svc.ReviewQueue(h.ctx, officer, f, keyset.Page{Limit: 50}); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(t0))
			}
			reportPercentiles(b, took)
		})
	}
}
