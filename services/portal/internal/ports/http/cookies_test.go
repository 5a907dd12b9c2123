package http

import (
	"strings"
	"testing"
	"time"
)

func TestSignedCookiesRefuseTamperingAndOtherPurposes(t *testing.T) {
	s := cookieSigner{secret: []byte(strings.Repeat("k", 32))}
	other := cookieSigner{secret: []byte(strings.Repeat("o", 32))}
	signed := s.sign(sessionCookie, "a.b.c")
	if v, ok := s.open(sessionCookie, signed); !ok || v != "a.b.c" {
		t.Fatalf("open(sign(x)) = %q, %v", v, ok)
	}
	cases := map[string]struct {
		signer  cookieSigner
		purpose string
		cookie  string
	}{
		"value changed":       {s, sessionCookie, strings.Replace(signed, "a.b.c", "a.b.d", 1)},
		"signature changed":   {s, sessionCookie, signed[:len(signed)-1] + "A"},
		"no signature":        {s, sessionCookie, "a.b.c"},
		"empty":               {s, sessionCookie, ""},
		"csrf as session":     {s, sessionCookie, s.sign(csrfCookie, "a.b.c")},
		"another key":         {other, sessionCookie, signed},
		"signature truncated": {s, sessionCookie, signed[:len(signed)-10]},
	}
	for name, c := range cases {
		if v, ok := c.signer.open(c.purpose, c.cookie); ok {
			t.Errorf("%s: opened as %q", name, v)
		}
	}
}

func TestExpiryReadsTheTokensExpClaim(t *testing.T) {
	// {"exp":1790000000}
	token := "eyJhbGciOiJFZERTQSJ9.eyJleHAiOjE3OTAwMDAwMDB9.c2ln"
	if got := expiry(token); !got.Equal(time.Unix(1790000000, 0)) {
		t.Errorf("expiry = %v", got)
	}
	for _, bad := range []string{"", "a.b", "a.!!!.c", "a.bm90IGpzb24.c"} {
		if got := expiry(bad); !got.IsZero() {
			t.Errorf("expiry(%q) = %v, want zero", bad, got)
		}
	}
}
