package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/auth"
	"gerbang/pkg/natstest"
	"gerbang/pkg/pgtest"
	"gerbang/pkg/svctest"
	"gerbang/services/payment/internal/adapters/postgres"
	"gerbang/services/payment/internal/app"
	"gerbang/services/payment/internal/domain"
	"gerbang/services/payment/migrations"
)

// Load figures, printed, never asserted:
//
//	cd services/payment && go test -run '^$' -bench . -benchtime 4000x ./cmd/payment/
//
// Each benchmark drives the real service over HTTP with 32 concurrent
// clients and reports requests per second and the p50 and p99 latencies.

const benchClients = 32

func startForBench(b *testing.B) (*svctest.Service, *pgtest.DB, *svctest.Tokens) {
	ns := natstest.Start(b)
	db := pgtest.New(b, migrations.FS)
	tokens := svctest.NewTokens(b)
	env := tokens.Env()
	env["DATABASE_URL"], env["NATS_URL"], env["GATEWAY_SECRET"] = db.URL, ns.URL, testSecret
	env["LOG_LEVEL"] = "error"
	env["CREATIONS_PER_MINUTE"] = "1000000"
	return svctest.Start(b, run, env), db, tokens
}

// measure runs n requests from benchClients goroutines and reports figures.
func measure(b *testing.B, n int, do func(i int) (int, error), want int) {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failures atomic.Int64
	b.ResetTimer()
	start := time.Now()
	for range benchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				status, err := do(i)
				lat[i] = time.Since(t0)
				if err != nil || status != want {
					failures.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	b.StopTimer()
	if f := failures.Load(); f > 0 {
		b.Fatalf("%d of %d requests failed", f, n)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(n)/took.Seconds(), "req/s")
	b.ReportMetric(float64(lat[n/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[n*99/100].Microseconds())/1000, "p99_ms")
}

var benchHTTP = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients}}

func post(url string, headers map[string]string, body []byte) (int, error) {
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := benchHTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var sink bytes.Buffer
	_, _ = sink.ReadFrom(resp.Body)
	return resp.StatusCode, nil
}

func BenchmarkInvoiceCreation(b *testing.B) {
	svc, _, tokens := startForBench(b)
	token := "Bearer " + tokens.Mint(b, auth.Principal{Subject: "fin-bench", Roles: []string{auth.RoleFinance}})
	run := uuid.NewString()[:8]
	measure(b, b.N, func(i int) (int, error) {
		body, _ := json.Marshal(newInvoiceBody(fmt.Sprintf("BENCH-%s-%d", run, i), "ORG-BENCH", 150000))
		return post(svc.URL+"/v1/invoices", map[string]string{"Authorization": token, "Idempotency-Key": uuid.NewString()}, body)
	}, 201)
}

func BenchmarkGatewayCallbacks(b *testing.B) {
	svc, db, _ := startForBench(b)
	// The invoices to pay, made beforehand through the use case.
	store := postgres.New(db.DB)
	s := app.New(app.Config{Store: store, GatewaySecret: []byte(testSecret)})
	codes := make([]string, b.N)
	for i := range b.N {
		inv, _, err := s.CreateInvoice(context.Background(), app.CreateInvoice{Purpose: domain.PurposeLicenseFee,
			Reference: fmt.Sprintf("CB-%d", i), Payer: "ORG-BENCH", Amount: domain.IDR(150000)})
		if err != nil {
			b.Fatal(err)
		}
		codes[i] = string(inv.BillingCode())
	}
	measure(b, b.N, func(i int) (int, error) {
		body := []byte(`{"gateway_reference":"BENCH-` + codes[i] + `","billing_code":"` + codes[i] +
			`","amount":{"amount":150000,"currency":"IDR"},"paid_at":"` + time.Now().UTC().Format(time.RFC3339) + `","proof":"NTPN"}`)
		return post(svc.URL+"/v1/gateway/callbacks", signed(testSecret, time.Now(), body), body)
	}, 200)
}
