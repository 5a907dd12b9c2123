package main

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"
)

// BenchmarkAccountAnswersTakeAlike measures, at the production bcrypt cost,
// how long each answer takes that must not tell whether an email has an
// account: a sign-up with a new email and with one that has an account, a
// reset asked for an email with and without one. It prints the medians; a
// benchmark, not a test: nothing here fails on a time. ACCOUNT_ANSWER_FLOOR=1ms
// shows the times without the floor.
//
//	go test -run '^$' -bench AccountAnswersTakeAlike -benchtime 20x ./cmd/portal
func BenchmarkAccountAnswersTakeAlike(b *testing.B) {
	svc, _ := startPortalWithMail(b, map[string]string{
		"PASSWORD_HASH_COST":   "10",                              // bcrypt.DefaultCost, what production hashes at
		"ACCOUNT_ANSWER_FLOOR": os.Getenv("ACCOUNT_ANSWER_FLOOR"), // the default unless set
		"SIGNUP_LIMIT_PER_IP":  "100000", "SIGNUP_LIMIT_PER_EMAIL": "100000",
		"RESET_LIMIT_PER_IP": "100000", "RESET_LIMIT_PER_EMAIL": "100000",
	})
	p := newPerson(b, svc.URL)
	p.open("/signup")
	var newSignUp, takenSignUp, knownReset, unknownReset []time.Duration
	timed := func(into *[]time.Duration, path string, fields map[string]string) {
		start := time.Now()
		a := p.submit(path, fields)
		*into = append(*into, time.Since(start))
		if a.status != http.StatusSeeOther {
			b.Fatalf("%s: %d %s", path, a.status, a.body)
		}
	}
	b.ResetTimer()
	for i := range b.N {
		timed(&newSignUp, "/signup", signUpForm(fmt.Sprintf("baru%d@contoh.co.id", i), firstPassword))
		timed(&takenSignUp, "/signup", signUpForm("usaha@demo.gerbang.id", firstPassword))
		timed(&knownReset, "/password/forgot", map[string]string{"email": "pokja@demo.gerbang.id"})
		timed(&unknownReset, "/password/forgot", map[string]string{"email": fmt.Sprintf("tidak.ada%d@contoh.co.id", i)})
	}
	b.StopTimer()
	median := func(ds []time.Duration) float64 {
		s := slices.Clone(ds)
		slices.Sort(s)
		return float64(s[len(s)/2].Microseconds()) / 1000
	}
	b.ReportMetric(median(newSignUp), "ms-signup-new")
	b.ReportMetric(median(takenSignUp), "ms-signup-taken")
	b.ReportMetric(median(knownReset), "ms-reset-known")
	b.ReportMetric(median(unknownReset), "ms-reset-unknown")
	b.ReportMetric(0, "ns/op")
}
