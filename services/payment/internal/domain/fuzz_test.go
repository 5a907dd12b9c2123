package domain

import (
	"testing"
	"time"

	"gerbang/pkg/apperr"
	"gerbang/pkg/checkdigit"
)

// Parsers of outside input never panic and either accept well-formed input
// or refuse it with an apperr a person can act on.

func FuzzParseStatement(f *testing.F) {
	f.Add([]byte("value_date,billing_code,amount,bank_reference\n2026-11-25,712345678901238,100,REF\n"))
	f.Add([]byte("value_date,billing_code,amount,bank_reference\n\"2026-11-25\",7,\"1\n"))
	f.Add([]byte("\ufeffVALUE_DATE,billing_code,amount,bank_reference\r\n2026-01-01,712345678901238,1,x\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, err := ParseStatement(data)
		if err != nil {
			if apperr.CodeOf(err) == "" {
				t.Fatalf("refusal is not an apperr: %v", err)
			}
			return
		}
		for _, l := range lines {
			if _, err := ParseBillingCode(l.BillingCode, "x"); err != nil || l.Amount <= 0 || l.BankReference == "" || l.LineNo < 2 {
				t.Fatalf("accepted a bad line %+v", l)
			}
		}
	})
}

func FuzzCallbackVerificationAndPayload(f *testing.F) {
	secret := []byte("s")
	body := []byte(`{"gateway_reference":"G","billing_code":"712345678901238","amount":{"amount":1,"currency":"IDR"},"paid_at":"2026-11-25T03:00:00Z","proof":"N"}`)
	ts, sig := SignCallback(secret, t0, body)
	f.Add(ts, sig, body)
	f.Add("0", "v1=00", []byte("{}"))
	f.Fuzz(func(t *testing.T, ts, sig string, body []byte) {
		err := VerifyCallback(secret, ts, sig, body, t0)
		if err == nil {
			// Only what was signed with the secret verifies.
			if _, want := SignCallback(secret, mustUnix(t, ts), body); want != sig {
				t.Fatalf("verified a signature that is not the HMAC: %q", sig)
			}
		} else if !apperr.Is(err, apperr.Unauthenticated) {
			t.Fatalf("refusal %v is not unauthenticated", err)
		}
		if _, err := ParseCallbackPayload(body); err != nil && !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("payload refusal %v is not invalid", err)
		}
	})
}

func mustUnix(t *testing.T, ts string) time.Time {
	var secs int64
	for _, c := range ts {
		secs = secs*10 + int64(c-'0')
	}
	return time.Unix(secs, 0)
}

func FuzzParseBillingCode(f *testing.F) {
	f.Add("712345678901238")
	f.Add("000000000000000")
	f.Fuzz(func(t *testing.T, s string) {
		code, err := ParseBillingCode(s, "x")
		if err != nil {
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatal(err)
			}
			return
		}
		if len(code) != 15 || code[0] < '7' || int(code[14]-'0') != checkdigit.Luhn(string(code[:14])) {
			t.Fatalf("accepted %q", s)
		}
	})
}
