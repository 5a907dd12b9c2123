package main

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkSubmitApplicationsOverHTTP measures what a business sees: POST
// /v1/applications/{id}/submit through the real service (token check,
// contract validation, one transaction, the relay and the audit sealer
// running), from 32 concurrent clients. It reports submissions per second
// and the latency percentiles.
func BenchmarkSubmitApplicationsOverHTTP(b *testing.B) {
	e := start(b)
	bus := e.registerBusiness("owner", "medium", "55110")
	ids := make([]string, b.N)
	for i := range ids {
		r := e.do("POST", "/v1/applications", "owner", map[string]any{"business_id": bus["id"], "kbli": "55110", "size": 150},
			"Idempotency-Key", fmt.Sprintf("bench-%d", i))
		if r.status != 201 {
			b.Fatalf("create: %d %s", r.status, r.raw)
		}
		ids[i] = r.body["id"].(string)
	}
	var next atomic.Int64
	var mu sync.Mutex
	took := make([]time.Duration, 0, b.N)
	b.SetParallelism(16) // 32 clients on 2 cores
	b.ResetTimer()
	t0 := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := ids[next.Add(1)-1]
			s := time.Now()
			r := e.do("POST", "/v1/applications/"+id+"/submit", "owner", nil)
			d := time.Since(s)
			if r.status != 200 {
				b.Errorf("submit: %d %s", r.status, r.raw)
				return
			}
			mu.Lock()
			took = append(took, d)
			mu.Unlock()
		}
	})
	elapsed := time.Since(t0)
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "submissions/s")
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
}
