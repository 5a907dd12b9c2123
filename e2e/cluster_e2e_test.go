package e2e

import (
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"gerbang/pkg/pgtest"
)

// The cluster test of issue 13: three nats-server processes clustered on
// loopback ports (streams and consumers at three replicas) and two
// replicas of every service against the same databases. Under steady
// traffic (applications created and submitted, fees paid through the
// gateway sandbox) one NATS node is killed with SIGKILL and started again,
// then one replica of licensing, payment and tender in turn. Afterwards
// every acknowledged write is there, each event was applied once (one
// invoice per fee, one payment per invoice, one license per application,
// the ledger taking each fee once) and the audit chains verify. It prints
// the figures: requests per second held during each fault, the longest
// stall of writes, how late the events of payments were.
func TestClusterSurvivesANodeAndAReplicaOfEachServiceKilled(t *testing.T) {
	cluster := startNATSCluster(t, 3)
	p := startPlatformWith(t, platformOptions{
		databaseURL: func(string) string { return pgtest.EmptyURL(t) },
		natsURL:     cluster.URL(),
		replicas:    map[string]int{"licensing": 2, "tender": 2, "payment": 2, "portal": 2},
		extra:       map[string]string{"NATS_REPLICAS": "3"},
	})
	officer := p.login("petugas.izin@demo.gerbang.id")
	finance := p.login("keuangan@demo.gerbang.id")
	ts := registerTenants(t, p)
	fees := feeCases(t, p, ts, officer, "cluster", 10)

	began := time.Now()
	cr := startCreators(p, ts, 3, "cluster")
	// The payer pays a fee every 1.5 s across the faults; a watcher per
	// payment measures how long licensing takes to issue the license (the
	// payment.invoice.paid event consumed).
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		lateness []time.Duration
		payErrs  []string
	)
	wg.Go(func() {
		for _, f := range fees {
			time.Sleep(1500 * time.Millisecond)
			var code int
			var body []byte
			for start := time.Now(); time.Since(start) < retryFor; time.Sleep(50 * time.Millisecond) {
				code, body = p.do("POST", "payment", "/v1/sandbox/pay", f.tn.token, map[string]any{"billing_code": f.billingCode})
				if !isTransient(code) {
					break
				}
			}
			if code != http.StatusOK {
				mu.Lock()
				payErrs = append(payErrs, fmt.Sprintf("pay %s: %d %s", f.billingCode, code, body))
				mu.Unlock()
				continue
			}
			paidAt := time.Now()
			wg.Go(func() {
				for time.Since(paidAt) < retryFor {
					if code, body := p.get("licensing", "/v1/applications/"+f.app, f.tn.token); code == http.StatusOK && decode(t, body)["state"] == "issued" {
						mu.Lock()
						lateness = append(lateness, time.Since(paidAt))
						mu.Unlock()
						return
					}
					time.Sleep(25 * time.Millisecond)
				}
			})
		}
	})

	type phase struct {
		name       string
		from, to   time.Time
		acks       int
		firstAfter time.Duration // from the kill to the next acknowledged write
	}
	var phases []*phase
	hold := func(name string, kill, restart func()) {
		p.eventually("traffic flows before "+name, func() bool { n := cr.acked.Load(); time.Sleep(300 * time.Millisecond); return cr.acked.Load() > n })
		ph := &phase{name: name, from: time.Now()}
		kill()
		time.Sleep(4 * time.Second)
		restart()
		ph.to = time.Now()
		phases = append(phases, ph)
	}
	hold("NATS node n1 killed", func() { cluster.kill(cluster.nodes[0]) }, func() { cluster.start(cluster.nodes[0]) })
	for _, s := range []string{"licensing", "payment", "tender"} {
		hold(s+"-1 killed", func() { p.kill(s + "-1") }, func() { p.start(s + "-1") })
	}
	p.eventually("traffic flows after the faults", func() bool { n := cr.acked.Load(); time.Sleep(300 * time.Millisecond); return cr.acked.Load() > n })
	wg.Wait()
	ops := cr.stop()
	ended := time.Now()
	for _, e := range payErrs {
		t.Error(e)
	}

	// Figures.
	acks := cr.acks()
	longest, longestAt := time.Duration(0), time.Time{}
	for i := 1; i < len(acks); i++ {
		if gap := acks[i].Sub(acks[i-1]); gap > longest {
			longest, longestAt = gap, acks[i-1]
		}
	}
	for _, ph := range phases {
		ph.firstAfter = -1
		for _, a := range acks {
			if a.After(ph.from) && a.Before(ph.to) {
				ph.acks++
			}
			if a.After(ph.from) && ph.firstAfter < 0 {
				ph.firstAfter = a.Sub(ph.from)
			}
		}
		t.Logf("%-22s %5.1f creations/s held over %v; first acknowledged write %v after the kill",
			ph.name, float64(ph.acks)/ph.to.Sub(ph.from).Seconds(), ph.to.Sub(ph.from).Round(time.Millisecond), ph.firstAfter.Round(time.Millisecond))
	}
	t.Logf("whole run: %d creations acknowledged in %v (%.1f/s); longest stall between two acknowledged writes %v (at +%v)",
		len(acks), ended.Sub(began).Round(time.Millisecond), float64(len(acks))/ended.Sub(began).Seconds(), longest.Round(time.Millisecond), longestAt.Sub(began).Round(time.Millisecond))
	sort.Slice(lateness, func(i, j int) bool { return lateness[i] < lateness[j] })
	if len(lateness) > 0 {
		late := 0
		for _, l := range lateness {
			if l > time.Second {
				late++
			}
		}
		t.Logf("payment to issued license (payment.invoice.paid consumed): %d events, median %v, slowest %v, %d later than 1 s",
			len(lateness), lateness[len(lateness)/2].Round(time.Millisecond), lateness[len(lateness)-1].Round(time.Millisecond), late)
	}

	// Nothing lost, nothing doubled.
	want := settleAndCheckApplications(t, p, ts, ops)
	checkPaidOnceAndLicensedOnce(t, p, fees, finance)
	checkOneLicenseEach(t, p, ts, want, fees)
	kept := 0
	for _, m := range want {
		kept += len(m)
	}
	t.Logf("lost 0, doubled 0: %d applications each with one license, %d fees each paid once and invoiced once", kept, len(fees))
	auditor := p.login("auditor@demo.gerbang.id")
	for _, s := range []string{"licensing", "payment", "tender"} {
		p.eventually(s+"'s audit chain verifies after the faults", func() bool {
			code, body := p.get(s, "/v1/audit/verify", auditor)
			return code == http.StatusOK && decode(t, body)["ok"] == true
		})
	}
}
