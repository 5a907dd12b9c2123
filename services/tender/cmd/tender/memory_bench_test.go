package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/auth"
	"gerbang/pkg/dbx"
	"gerbang/pkg/natstest"
	"gerbang/pkg/pgtest"
	"gerbang/pkg/svctest"
	"gerbang/services/tender/internal/adapters/postgres"
	"gerbang/services/tender/internal/domain"
)

// BenchmarkServiceMemoryUnderBidRush builds the tender binary, runs it as
// its own process (its own pool, relay, scheduler and audit sealer) and
// sends it a bid rush of 4000 bids from 256 clients back to back; it
// reports the process's peak resident memory (VmHWM of /proc/<pid>/status)
// and fails unless every bid was accepted and stored.
//
//	go test -run '^$' -bench ServiceMemory -benchtime 1x ./cmd/tender/
func BenchmarkServiceMemoryUnderBidRush(b *testing.B) {
	const bids, clients = 4000, 256
	dir := b.TempDir()
	bin := filepath.Join(dir, "tender")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	ns := natstest.Start(b)
	tokens := svctest.NewTokens(b)
	env := tokens.Env()
	env["DATABASE_URL"] = pgtest.EmptyURL(b)
	env["NATS_URL"] = ns.URL
	env["HTTP_ADDR"] = svctest.FreeAddr(b)
	env["DATA_DIR"] = filepath.Join(dir, "data")
	env["TENDER_SCHEDULER_INTERVAL"] = "100ms"
	cmd := exec.Command(bin)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() })
	url := "http://" + env["HTTP_ADDR"]
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(url + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Since(start) > time.Minute {
			b.Fatalf("the service did not become ready:\n%s", logs.String())
		}
	}

	officer := tokens.Mint(b, auth.Principal{Subject: "pokja-1", Roles: []string{auth.RoleProcurementOfficer}})
	now := time.Now().UTC()
	created := call(b, "POST", url+"/v1/tenders", officer, map[string]any{
		"buyer_agency": "Dinas Pendidikan", "title": "Pengadaan laptop sekolah", "category": "goods",
		"hps": map[string]any{"amount": 1_000_000_000, "currency": "IDR"}, "kbli": "46512", "procurement_method": "tender",
		"evaluation":       map[string]any{"method": "lowest_price"},
		"bid_period_start": now.Add(2 * time.Second).Format(time.RFC3339), "bid_deadline": now.Add(240 * time.Hour).Format(time.RFC3339),
	}, 201)
	id := created["id"].(string)
	call(b, "POST", url+"/v1/tenders/"+id+"/publish", officer, nil, 200)

	db, err := sqlx.Open("postgres", env["DATABASE_URL"])
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	vendors, toks := make([]string, bids), make([]string, bids)
	err = dbx.WithTx(context.Background(), db, func(tx *sqlx.Tx) error {
		for i := range bids {
			vendors[i] = fmt.Sprintf("mem-%06d", i)
			if err := postgres.InTx(tx).ApplyLicense(context.Background(), domain.VendorLicense{LicenseID: "lic-" + vendors[i],
				BusinessID: vendors[i], KBLI: "46512", Status: domain.LicenseActive, EventTime: now}, "seed"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for i := range bids {
		toks[i] = tokens.Mint(b, auth.Principal{Subject: "user-" + vendors[i], Roles: []string{auth.RoleBusiness}, Org: vendors[i]})
	}
	for start := time.Now(); call(b, "GET", url+"/v1/public/tenders/"+id, "", nil, 200)["state"] != "tendering"; time.Sleep(100 * time.Millisecond) {
		if time.Since(start) > 30*time.Second {
			b.Fatal("the tender did not open for bids")
		}
	}
	before := peakRSS(b, cmd.Process.Pid)

	body := []byte(`{"price":{"amount":850000000,"currency":"IDR"},"technical_offer":"120 unit laptop 16 GB RAM, garansi 3 tahun",` +
		`"documents":[{"name":"teknis.txt","content":"ZG9rdW1lbg=="}]}`)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}, Timeout: time.Minute}
	var next, accepted atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= bids {
					return
				}
				req, _ := http.NewRequest("POST", url+"/v1/tenders/"+id+"/bids", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+toks[i])
				req.Header.Set("Idempotency-Key", fmt.Sprintf("mem-%d", i))
				res, err := client.Do(req)
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode == 201 {
					accepted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	peak := peakRSS(b, cmd.Process.Pid)
	var stored int
	if err := db.Get(&stored, `SELECT count(*) FROM bid WHERE tender_id = $1`, id); err != nil {
		b.Fatal(err)
	}
	if accepted.Load() != bids || stored != bids {
		b.Fatalf("accepted %d, stored %d of %d bids", accepted.Load(), stored, bids)
	}
	b.Logf("service process: VmHWM %.1f MiB before the rush, %.1f MiB after %d bids from %d clients (%.0f bids/s)",
		mib(before), mib(peak), bids, clients, float64(bids)/elapsed.Seconds())
	b.ReportMetric(mib(peak), "VmHWM-MiB")
	b.ReportMetric(float64(bids)/elapsed.Seconds(), "bids/s")
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

func peakRSS(b *testing.B, pid int) int64 {
	n, err := svctest.PeakRSS(pid)
	if err != nil {
		b.Fatal(err)
	}
	return n
}
