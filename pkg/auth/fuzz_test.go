package auth_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/pkg/clock"
)

// fuzzKey is fixed so that the committed corpus (testdata/fuzz) holds
// tokens this key really signed.
var fuzzKey = func() auth.SigningKey {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	pub := priv.Public().(ed25519.PublicKey)
	return auth.SigningKey{ID: auth.KeyID(pub), Private: priv}
}()

// Whatever a client sends as a bearer token, Verify answers a principal or
// an Unauthenticated refusal (401), never another error or a panic; a
// principal always has a subject.
func FuzzVerifyToken(f *testing.F) {
	now := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	good, err := auth.Issuer{Key: fuzzKey, Issuer: "http://127.0.0.1:8080", Audience: "gerbang"}.
		Mint(auth.Principal{Subject: "u-1", Roles: []string{auth.RoleBusiness}, Org: "ORG-1"}, time.Hour, now)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{good, good + "x", "", ".", "..", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "a.b.c", "Bearer " + good} {
		f.Add(seed)
	}
	v := &auth.Verifier{Keys: auth.StaticKeys{fuzzKey.Public()}, Issuer: "http://127.0.0.1:8080", Audience: "gerbang", Clock: clock.NewFake(now)}
	f.Fuzz(func(t *testing.T, token string) {
		p, err := v.Verify(context.Background(), token)
		if err != nil {
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.Unauthenticated {
				t.Fatalf("Verify(%q): %v, want an Unauthenticated refusal", token, err)
			}
			return
		}
		if p.Subject == "" {
			t.Fatalf("Verify(%q) accepted a token without a subject", token)
		}
	})
}

// A key set fetched from outside parses or is refused; the keys it yields
// are Ed25519 keys with ids.
func FuzzParseJWKS(f *testing.F) {
	set := auth.JWKS(fuzzKey.Public())
	f.Add([]byte(mustJSON(f, set)))
	f.Add([]byte(`{"keys":[]}`))
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"","kid":"k"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := auth.ParseJWKS(data)
		if err != nil {
			return
		}
		for _, k := range keys {
			if len(k.Key) != ed25519.PublicKeySize || k.ID == "" {
				t.Fatalf("ParseJWKS(%q) yielded %+v", data, k)
			}
		}
	})
}

func mustJSON(f *testing.F, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		f.Fatal(err)
	}
	return string(b)
}
