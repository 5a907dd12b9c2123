package auth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/pkg/clock"
)

// jwksServer serves a key set that the test can change, as a portal rotating
// its keys would.
type jwksServer struct {
	mu     sync.Mutex
	keys   []auth.PublicKey
	status int
	*httptest.Server
}

func newJWKSServer(t *testing.T, keys ...auth.PublicKey) *jwksServer {
	s := &jwksServer{keys: keys, status: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.status != http.StatusOK {
			w.WriteHeader(s.status)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		json.NewEncoder(w).Encode(auth.JWKS(s.keys...))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(status int, keys ...auth.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.keys = status, keys
}

func mintAt(t *testing.T, k auth.SigningKey, now time.Time) string {
	t.Helper()
	tok, err := auth.Issuer{Key: k, Issuer: testIssuer, Audience: testAudience}.Mint(auth.Principal{Subject: "u"}, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestRemoteJWKSFetchesAgainOnceForARotatedKey(t *testing.T) {
	f := newFixture(t)
	srv := newJWKSServer(t, f.key.Public())
	clk := clock.NewFake(base)
	src := auth.NewRemoteJWKS(srv.URL, auth.RemoteJWKSOptions{Client: srv.Client(), Clock: clk, MinRefreshInterval: time.Minute})
	v := &auth.Verifier{Keys: src, Issuer: testIssuer, Audience: testAudience, Clock: clk}
	ctx := context.Background()
	mintWith := func(k auth.SigningKey) string { return mintAt(t, k, clk.Now()) }

	for range 3 {
		if _, err := v.Verify(ctx, mintWith(f.key)); err != nil {
			t.Fatal(err)
		}
	}
	if n := src.Fetches(); n != 1 {
		t.Fatalf("%d fetches for three tokens of one key, want 1 (cached)", n)
	}

	// Later the portal rotates to a new key; a token signed with it comes at once.
	clk.Advance(5 * time.Minute)
	rotated, err := auth.NewSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	srv.set(http.StatusOK, rotated.Public(), f.key.Public())
	if _, err := v.Verify(ctx, mintWith(rotated)); err != nil {
		t.Fatalf("token of the rotated key: %v", err)
	}
	if n := src.Fetches(); n != 2 {
		t.Fatalf("%d fetches after the rotation, want exactly 2", n)
	}

	// Tokens naming keys nobody published do not hammer the issuer.
	stranger, err := auth.NewSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := v.Verify(ctx, mintWith(stranger)); !apperr.Is(err, apperr.Unauthenticated) {
			t.Fatalf("unknown kid: %v, want unauthenticated", err)
		}
	}
	if n := src.Fetches(); n != 2 {
		t.Fatalf("%d fetches after unknown kids within the refresh interval, want still 2", n)
	}
	clk.Advance(time.Minute)
	if _, err := v.Verify(ctx, mintWith(stranger)); !apperr.Is(err, apperr.Unauthenticated) {
		t.Fatalf("unknown kid: %v, want unauthenticated", err)
	}
	if n := src.Fetches(); n != 3 {
		t.Fatalf("%d fetches once the interval passed, want 3", n)
	}
}

func TestRemoteJWKSDropsARemovedKeyAfterMaxAge(t *testing.T) {
	f := newFixture(t)
	srv := newJWKSServer(t, f.key.Public())
	clk := clock.NewFake(base)
	src := auth.NewRemoteJWKS(srv.URL, auth.RemoteJWKSOptions{Client: srv.Client(), Clock: clk, MinRefreshInterval: time.Minute, MaxAge: 10 * time.Minute})
	v := &auth.Verifier{Keys: src, Issuer: testIssuer, Audience: testAudience, Clock: clk}
	ctx := context.Background()
	replacement, err := auth.NewSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, mintAt(t, f.key, clk.Now())); err != nil {
		t.Fatal(err)
	}
	srv.set(http.StatusOK, replacement.Public())
	clk.Advance(11 * time.Minute)
	_, err = v.Verify(ctx, mintAt(t, f.key, clk.Now()))
	if !apperr.Is(err, apperr.Unauthenticated) {
		t.Fatalf("token of a withdrawn key after MaxAge: %v, want unauthenticated", err)
	}
}

func TestRemoteJWKSUnreachableIsUnavailableButKnownKeysKeepWorking(t *testing.T) {
	f := newFixture(t)
	srv := newJWKSServer(t)
	srv.set(http.StatusInternalServerError)
	clk := clock.NewFake(base)
	src := auth.NewRemoteJWKS(srv.URL, auth.RemoteJWKSOptions{Client: srv.Client(), Clock: clk, MinRefreshInterval: time.Minute, MaxAge: 10 * time.Minute})
	v := &auth.Verifier{Keys: src, Issuer: testIssuer, Audience: testAudience, Clock: clk}
	ctx := context.Background()

	for range 2 { // the second within the interval: no fetch, same answer
		if _, err := v.Verify(ctx, mintAt(t, f.key, clk.Now())); !apperr.Is(err, apperr.Unavailable) {
			t.Fatalf("issuer down before any fetch: %v, want unavailable", err)
		}
	}
	if n := src.Fetches(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}

	srv.set(http.StatusOK, f.key.Public())
	clk.Advance(time.Minute)
	if _, err := v.Verify(ctx, mintAt(t, f.key, clk.Now())); err != nil {
		t.Fatalf("issuer back: %v", err)
	}
	srv.set(http.StatusBadGateway)
	clk.Advance(time.Hour) // keys stale, issuer down: keep using what we have
	if _, err := v.Verify(ctx, mintAt(t, f.key, clk.Now())); err != nil {
		t.Fatalf("stale keys while the issuer is down: %v", err)
	}
}
