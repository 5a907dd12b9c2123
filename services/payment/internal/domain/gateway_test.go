package domain

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"gerbang/pkg/apperr"
)

func TestCallbackVerification(t *testing.T) {
	secret := []byte("s3cret")
	body := []byte(`{"gateway_reference":"GW-1","billing_code":"712345678901234","amount":100}`)
	ts, sig := SignCallback(secret, t0, body)
	cases := []struct {
		name    string
		secret  []byte
		ts, sig string
		body    []byte
		now     time.Time
		ok      bool
	}{
		{"signed and fresh", secret, ts, sig, body, t0, true},
		{"at the edge of the tolerance", secret, ts, sig, body, t0.Add(CallbackTolerance), true},
		{"tampered body", secret, ts, sig, []byte(strings.Replace(string(body), "100", "900", 1)), t0, false},
		{"wrong secret", []byte("other"), ts, sig, body, t0, false},
		{"stale timestamp", secret, ts, sig, body, t0.Add(CallbackTolerance + time.Second), false},
		{"timestamp from the future", secret, ts, sig, body, t0.Add(-CallbackTolerance - time.Second), false},
		{"timestamp changed", secret, strconv.FormatInt(t0.Unix()+1, 10), sig, body, t0, false},
		{"missing signature", secret, ts, "", body, t0, false},
		{"no scheme", secret, ts, strings.TrimPrefix(sig, "v1="), body, t0, false},
		{"not hex", secret, ts, "v1=zz", body, t0, false},
		{"truncated", secret, ts, sig[:20], body, t0, false},
		{"timestamp not a number", secret, "yesterday", sig, body, t0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyCallback(tc.secret, tc.ts, tc.sig, tc.body, tc.now)
			if tc.ok != (err == nil) {
				t.Fatalf("got %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !apperr.Is(err, apperr.Unauthenticated) {
				t.Fatalf("refusal %v is not unauthenticated", err)
			}
		})
	}
}
