package http

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/auth"
	"gerbang/pkg/dbx"
	"gerbang/pkg/events"
	"gerbang/pkg/natstest"
	"gerbang/services/tender/internal/adapters/postgres"
)

// BenchmarkBidRush measures the bid rush: many vendors submitting sealed
// bids to one tender over real HTTP (Authorization, validation,
// Idempotency-Key, qualification, sealing, one transaction), at 64 and 256
// concurrent clients, each bid from its own vendor. It reports bids/s and
// p50/p99 latency, then opens the bids and fails unless every accepted bid
// is present and decrypts. Run with
//
//	go test -run '^$' -bench BidRush -benchtime 4000x ./internal/ports/http/
func BenchmarkBidRush(b *testing.B) {
	for _, clients := range []int{64, 256} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { bidRush(b, clients) })
	}
}

func bidRush(b *testing.B, clients int) {
	h := newHarness(b)
	h.db.SetMaxOpenConns(32) // as dbx.Open configures the service's pool
	h.db.SetMaxIdleConns(32)
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
		_ = events.NewRelay(h.db.DB, js, slog.New(slog.DiscardHandler), events.RelayOptions{DatabaseURL: h.db.URL}).Run(relayCtx)
	}()
	defer func() { stopRelay(); <-relayDone }()
	id, deadline := h.tenderingTender()
	n := b.N
	vendors := make([]string, n)
	tokens := make([]string, n)
	err := dbx.WithTx(context.Background(), h.db.DB, func(tx *sqlx.Tx) error {
		for i := range n {
			vendors[i] = fmt.Sprintf("rush-%06d", i)
			if err := postgres.ApplyLicense(context.Background(), tx, postgres.LicenseFact{LicenseID: "lic-" + vendors[i],
				BusinessID: vendors[i], KBLI: "46512", Status: "active", EventTime: t0}, "seed"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		tokens[i] = h.token("user-"+vendors[i], auth.RoleBusiness, vendors[i])
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = h.app.Listener(ln) }()
	defer h.app.Shutdown()
	url := "http://" + ln.Addr().String() + "/v1/tenders/" + id + "/bids"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}, Timeout: time.Minute}
	body, _ := json.Marshal(bidBody(850_000_000, "120 unit laptop 16 GB RAM, garansi 3 tahun"))

	var statusMu sync.Mutex
	statuses := map[int]int{}
	var next atomic.Int64
	latencies := make([]time.Duration, n)
	accepted := make([]bool, n)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tokens[i])
				req.Header.Set("Idempotency-Key", fmt.Sprintf("rush-%d", i))
				t0 := time.Now()
				res, err := client.Do(req)
				latencies[i] = time.Since(t0)
				if err != nil {
					continue
				}
				accepted[i] = res.StatusCode == 201
				if !accepted[i] {
					statusMu.Lock()
					statuses[res.StatusCode]++
					statusMu.Unlock()
				}
				res.Body.Close()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()

	ok := 0
	for _, a := range accepted {
		if a {
			ok++
		}
	}
	if len(statuses) > 0 {
		b.Logf("refused: %v", statuses)
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(ok)/elapsed.Seconds(), "bids/s")
	b.ReportMetric(float64(latencies[n/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(latencies[n*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(ok), "accepted")

	// Every accepted bid is present at the opening and decrypts.
	h.clock.Set(deadline.Add(time.Second))
	if _, err := h.svc.AdvanceDueTenders(context.Background()); err != nil {
		b.Fatal(err)
	}
	_, op, err := h.svc.OpenBids(context.Background(), h.officer(), id)
	if err != nil {
		b.Fatal(err)
	}
	opened := map[string]bool{}
	for _, o := range op.Bids {
		if o.Price == nil || *o.Price != 850_000_000 {
			b.Fatalf("bid of %s did not decrypt: %v", o.Vendor, o.DecryptError)
		}
		opened[o.Vendor] = true
	}
	for i, a := range accepted {
		if a && !opened[vendors[i]] {
			b.Fatalf("accepted bid of %s missing at the opening", vendors[i])
		}
	}
	if len(opened) != ok {
		b.Fatalf("opened %d, accepted %d", len(opened), ok)
	}
}
