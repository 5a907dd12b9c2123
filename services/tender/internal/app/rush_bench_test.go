package app_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gerbang/pkg/events"
	"gerbang/pkg/natstest"
	"gerbang/services/tender/internal/domain"
)

// BenchmarkSubmitBidUseCase measures the bid use case without HTTP and
// without the Idempotency-Key bookkeeping (qualification, sealing, the one
// transaction), at 64 concurrent callers: the database's share of the bid
// rush. Run with -bench SubmitBidUseCase -benchtime 4000x.
func BenchmarkSubmitBidUseCase(b *testing.B) {
	f := newFixture(b)
	f.db.SetMaxOpenConns(32) // as dbx.Open configures the service's pool
	f.db.SetMaxIdleConns(32)
	// The outbox relay runs as in the service: while events flow it polls,
	// and writers skip the NOTIFY that would serialise their commits.
	ns := natstest.Start(b)
	js, nc := ns.JetStream()
	defer nc.Close()
	if err := events.EnsureStream(context.Background(), js, "TENDER", []string{"tender.>"}); err != nil {
		b.Fatal(err)
	}
	relayCtx, stopRelay := context.WithCancel(context.Background())
	relayDone := make(chan struct{})
	go func() {
		defer close(relayDone)
		_ = events.NewRelay(f.db.DB, js, slog.New(slog.DiscardHandler), events.RelayOptions{DatabaseURL: f.db.URL}).Run(relayCtx)
	}()
	defer func() { stopRelay(); <-relayDone }()
	n := b.N
	for i := range n {
		f.license(fmt.Sprintf("uc-%06d", i), "active")
	}
	tn := f.tendering(terms())
	content := domain.BidContent{Price: 850_000_000, TechnicalOffer: "120 unit laptop 16 GB RAM, garansi 3 tahun"}
	var next atomic.Int64
	lat := make([]time.Duration, n)
	var failed atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t0 := time.Now()
				if _, _, err := f.svc.SubmitBid(context.Background(), vendor(fmt.Sprintf("uc-%06d", i)), tn.ID, content, nil); err != nil {
					failed.Add(1)
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(int64(n)-failed.Load())/el.Seconds(), "bids/s")
	b.ReportMetric(float64(lat[n/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[n*99/100].Microseconds())/1000, "p99-ms")
	if failed.Load() > 0 {
		b.Fatalf("%d bids failed", failed.Load())
	}
}
