package auth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/pkg/clock"
)

const (
	testIssuer   = "https://portal.test"
	testAudience = "gerbang"
)

var base = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type fixture struct {
	key      auth.SigningKey
	other    auth.SigningKey
	issuer   auth.Issuer
	verifier *auth.Verifier
	clock    *clock.Fake
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	key, err := auth.NewSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	other, err := auth.NewSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(base)
	return fixture{
		key:    key,
		other:  other,
		issuer: auth.Issuer{Key: key, Issuer: testIssuer, Audience: testAudience},
		verifier: &auth.Verifier{
			Keys: auth.StaticKeys{key.Public()}, Issuer: testIssuer, Audience: testAudience, Clock: clk,
		},
		clock: clk,
	}
}

func (f fixture) mint(t *testing.T, p auth.Principal) string {
	t.Helper()
	tok, err := f.issuer.Mint(p, time.Hour, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// sign signs arbitrary claims with any method and key, naming kid.
func sign(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss": testIssuer, "aud": testAudience, "sub": "user-1",
		"iat": base.Unix(), "exp": base.Add(time.Hour).Unix(), "roles": []string{auth.RoleBusiness},
	}
}

func TestValidTokenGivesItsPrincipal(t *testing.T) {
	f := newFixture(t)
	tok := f.mint(t, auth.Principal{Subject: "user-1", Roles: []string{auth.RoleBusiness}, Org: "org-9"})
	f.clock.Advance(59 * time.Minute)
	p, err := f.verifier.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "user-1" || p.Org != "org-9" || !p.HasRole(auth.RoleBusiness) || p.HasRole(auth.RoleAdmin) {
		t.Fatalf("principal = %+v", p)
	}
}

func TestRefusedTokens(t *testing.T) {
	f := newFixture(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	without := func(name string) jwt.MapClaims {
		c := validClaims()
		delete(c, name)
		return c
	}
	with := func(name string, v any) jwt.MapClaims {
		c := validClaims()
		c[name] = v
		return c
	}
	p := auth.Principal{Subject: "user-1", Roles: []string{auth.RoleBusiness}}
	mintAt := func(now time.Time) string {
		tok, err := f.issuer.Mint(p, time.Hour, now)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	mintAs := func(i auth.Issuer) string {
		tok, err := i.Mint(p, time.Hour, base)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	tests := []struct {
		name    string
		token   string
		wantMsg string
	}{
		{"expired", mintAt(base.Add(-2 * time.Hour)), "expired"},
		{"not yet valid", mintAt(base.Add(time.Hour)), "not valid yet"},
		{"forged signature (another key under our kid)", mintAs(auth.Issuer{
			Key: auth.SigningKey{ID: f.key.ID, Private: f.other.Private}, Issuer: testIssuer, Audience: testAudience,
		}), "signature"},
		{"wrong audience", mintAs(auth.Issuer{Key: f.key, Issuer: testIssuer, Audience: "other-system"}), "not meant for this service"},
		{"wrong issuer", mintAs(auth.Issuer{Key: f.key, Issuer: "https://evil.test", Audience: testAudience}), "issuer"},
		{"missing exp", sign(t, jwt.SigningMethodEdDSA, f.key.Private, f.key.ID, without("exp")), "exp"},
		{"missing sub", sign(t, jwt.SigningMethodEdDSA, f.key.Private, f.key.ID, without("sub")), "subject"},
		{"missing kid", sign(t, jwt.SigningMethodEdDSA, f.key.Private, "", validClaims()), "kid"},
		{"issued in the future", sign(t, jwt.SigningMethodEdDSA, f.key.Private, f.key.ID, with("iat", base.Add(time.Hour).Unix())), "not valid yet"},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, f.key.ID, validClaims()), "signature"},
		{"HS256 keyed with the public key bytes", sign(t, jwt.SigningMethodHS256, []byte(f.key.Public().Key), f.key.ID, validClaims()), "signature"},
		{"RS256", sign(t, jwt.SigningMethodRS256, rsaKey, f.key.ID, validClaims()), "signature"},
		{"unknown kid", mintAs(auth.Issuer{Key: f.other, Issuer: testIssuer, Audience: testAudience}), "does not know"},
		{"malformed", "not.a.jwt", "malformed"},
		{"empty", "", "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.verifier.Verify(context.Background(), tt.token)
			if !apperr.Is(err, apperr.Unauthenticated) {
				t.Fatalf("Verify error = %v, want unauthenticated", err)
			}
			if msg := err.(*apperr.Error).Message; !strings.Contains(msg, tt.wantMsg) {
				t.Fatalf("message %q does not mention %q", msg, tt.wantMsg)
			}
		})
	}
}

func TestVerifierWithoutIssuerOrAudienceRefusesToWork(t *testing.T) {
	f := newFixture(t)
	tok := f.mint(t, auth.Principal{Subject: "user-1"})
	for _, v := range []*auth.Verifier{
		{Keys: auth.StaticKeys{f.key.Public()}, Audience: testAudience, Clock: f.clock},
		{Keys: auth.StaticKeys{f.key.Public()}, Issuer: testIssuer, Clock: f.clock},
	} {
		if _, err := v.Verify(context.Background(), tok); err == nil {
			t.Fatalf("a verifier missing issuer or audience accepted a token: %+v", v)
		}
	}
}

func TestLeewayToleratesClockSkew(t *testing.T) {
	f := newFixture(t)
	tok := f.mint(t, auth.Principal{Subject: "user-1"})
	f.clock.Advance(time.Hour + 20*time.Second)
	if _, err := f.verifier.Verify(context.Background(), tok); !apperr.Is(err, apperr.Unauthenticated) {
		t.Fatalf("without leeway: %v, want refused", err)
	}
	f.verifier.Leeway = 30 * time.Second
	if _, err := f.verifier.Verify(context.Background(), tok); err != nil {
		t.Fatalf("with 30 s leeway: %v", err)
	}
}
