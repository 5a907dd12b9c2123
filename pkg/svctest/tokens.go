package svctest

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"encoding/json"

	"gerbang/pkg/auth"
)

// Tokens is a test token issuer with its JWKS served over HTTP, standing in
// for the portal: services started with its Env verify the tokens it mints.
type Tokens struct {
	JWKSURL string
	issuer  auth.Issuer
}

// NewTokens generates a signing key and serves its JWKS until the test ends.
func NewTokens(t testing.TB) *Tokens {
	t.Helper()
	key, err := auth.NewSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(auth.JWKS(key.Public()))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return &Tokens{
		JWKSURL: srv.URL + auth.JWKSPath,
		issuer:  auth.Issuer{Key: key, Issuer: auth.DefaultIssuer, Audience: auth.DefaultAudience},
	}
}

// Env returns the variables that point a service at this issuer.
func (k *Tokens) Env() map[string]string {
	return map[string]string{"JWKS_URL": k.JWKSURL, "JWT_ISSUER": auth.DefaultIssuer, "JWT_AUDIENCE": auth.DefaultAudience}
}

// Mint returns a bearer token for the principal, valid for an hour.
func (k *Tokens) Mint(t testing.TB, p auth.Principal) string {
	t.Helper()
	tok, err := k.issuer.Mint(p, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
