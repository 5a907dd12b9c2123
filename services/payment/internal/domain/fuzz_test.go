package domain

import (
	"crypto/hmac"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"gerbang/pkg/apperr"
	"gerbang/pkg/plaintext"
)

func fieldsSpeakOfRules(t *testing.T, err error) {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		t.Fatalf("%v is not an apperr", err)
	}
	for _, f := range ae.Fields {
		if strings.Contains(f.Message, "Go ") || strings.Contains(f.Message, "json:") {
			t.Fatalf("field %s: %q speaks of Go", f.Field, f.Message)
		}
	}
}

// A bank statement is imported whole or refused whole with a 4xx naming the
// lines; every line imported holds a valid billing code, an amount within
// bounds and a bank reference of one line of text.
func FuzzParseStatement(f *testing.F) {
	header := strings.Join(StatementHeader, ",") + "\n"
	f.Add([]byte(header + "2026-11-25,700000000000017,1500000,BANK-REF-1\n"))
	f.Add([]byte("\ufeff" + header + "2026-11-25, 700000000000017 , 1500000 ,\"REF, quoted\"\n"))
	f.Add([]byte(header + "2026-13-01,123,-5,\n"))
	f.Add([]byte(header + "2026-11-25,700000000000017,9223372036854775808,R\x00\n"))
	f.Add([]byte(header + "\"unterminated\n"))
	f.Add([]byte("not,a,header\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, err := ParseStatement(data)
		if err != nil {
			if c := apperr.CodeOf(err); c != apperr.Invalid && c != apperr.TooLarge {
				t.Fatalf("ParseStatement: %v, want an invalid or too large refusal", err)
			}
			fieldsSpeakOfRules(t, err)
			return
		}
		for _, l := range lines {
			if _, err := ParseBillingCode(l.BillingCode, "b"); err != nil {
				t.Fatalf("line %d: billing code %q accepted: %v", l.LineNo, l.BillingCode, err)
			}
			if l.Amount <= 0 || l.Amount > MaxInvoiceAmount || plaintext.Problem(l.BankReference, false) != "" || l.ValueDate.IsZero() {
				t.Fatalf("line %+v accepted", l)
			}
		}
	})
}

// A gateway callback is accepted only with the signature of its own
// timestamp and body; every refusal is Unauthenticated. Its body then
// parses to a payment within bounds, or is refused naming fields.
func FuzzGatewayCallback(f *testing.F) {
	secret := []byte("fuzz-gateway-secret")
	now := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	body := []byte(`{"gateway_reference":"GW-1","billing_code":"700000000000017","amount":{"amount":1500000,"currency":"IDR"},"paid_at":"2026-11-25T02:59:00Z","proof":"NTPN-1"}`)
	ts, sig := SignCallback(secret, now, body)
	f.Add(ts, sig, body)
	f.Add(ts, sig, append(body, ' '))
	f.Add("", "", []byte("{}"))
	f.Add("1764039600", "v1=zz", []byte(`{"amount":{"amount":9223372036854775808}}`))
	f.Add(ts, "v2="+sig[3:], body)
	f.Add(ts, sig, []byte(`{"gateway_reference":"GW\u0000","billing_code":"700000000000017","amount":{"amount":1,"currency":"IDR"},"paid_at":"2026-11-25T02:59:00Z","proof":"\u001b[31m"}`))
	f.Fuzz(func(t *testing.T, timestamp, signature string, body []byte) {
		err := VerifyCallback(secret, timestamp, signature, body, now)
		if err != nil && apperr.CodeOf(err) != apperr.Unauthenticated {
			t.Fatalf("VerifyCallback: %v, want Unauthenticated", err)
		}
		if err == nil {
			got, decodeErr := hex.DecodeString(strings.TrimPrefix(signature, signatureScheme))
			if decodeErr != nil || !hmac.Equal(got, callbackMAC(secret, timestamp, body)) {
				t.Fatalf("VerifyCallback accepted %q for timestamp %q", signature, timestamp)
			}
		}
		p, err := ParseCallbackPayload(body)
		if err != nil {
			if apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("ParseCallbackPayload: %v, want Invalid", err)
			}
			fieldsSpeakOfRules(t, err)
			return
		}
		if p.Amount.Amount <= 0 || plaintext.Problem(p.GatewayReference, false) != "" || plaintext.Problem(p.Proof, false) != "" {
			t.Fatalf("payload %+v accepted", p)
		}
	})
}
