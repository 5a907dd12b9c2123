package auth

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"gerbang/pkg/apperr"
	"gerbang/pkg/clock"
)

// KeySource finds the public key that a token's kid names.
type KeySource interface {
	// Key returns the key with id kid: an apperr Unauthenticated when no such
	// key is known, an apperr Unavailable when the keys cannot be had.
	Key(ctx context.Context, kid string) (ed25519.PublicKey, error)
}

// StaticKeys is a fixed set of keys (tests, or a service handed its issuer's
// keys directly).
type StaticKeys []PublicKey

// Key returns the key with id kid.
func (s StaticKeys) Key(_ context.Context, kid string) (ed25519.PublicKey, error) {
	for _, k := range s {
		if k.ID == kid {
			return k.Key, nil
		}
	}
	return nil, unknownKey(kid)
}

func unknownKey(kid string) error {
	return apperr.New(apperr.Unauthenticated, "the token is signed with a key (kid %q) this service does not know; sign in again", kid)
}

// Verifier checks access tokens and returns their principal. Issuer and
// Audience must be set: a token must name both.
type Verifier struct {
	Keys     KeySource
	Issuer   string
	Audience string
	Clock    clock.Clock   // nil: the system clock
	Leeway   time.Duration // tolerated clock skew for exp and nbf
}

// Verify checks the token's signature (EdDSA only, with the key its kid
// names), issuer, audience and validity period (exp is required), and returns
// its principal. Every refusal is an apperr Unauthenticated saying why.
func (v *Verifier) Verify(ctx context.Context, token string) (Principal, error) {
	if v.Keys == nil || v.Issuer == "" || v.Audience == "" {
		return Principal{}, errors.New("verify token: verifier needs Keys, Issuer and Audience")
	}
	now := time.Now
	if v.Clock != nil {
		now = v.Clock.Now
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(v.Issuer),
		jwt.WithAudience(v.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(v.Leeway),
		jwt.WithTimeFunc(now),
	)
	var claims Claims
	_, err := parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		if _, ok := t.Method.(*jwt.SigningMethodEd25519); !ok {
			return nil, fmt.Errorf("signing method %s is not EdDSA", t.Method.Alg())
		}
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, apperr.New(apperr.Unauthenticated, "the token names no signing key (kid header)")
		}
		return v.Keys.Key(ctx, kid)
	})
	if err != nil {
		return Principal{}, refusal(err)
	}
	if claims.Subject == "" {
		return Principal{}, apperr.New(apperr.Unauthenticated, "the token names no subject (sub)")
	}
	return Principal{Subject: claims.Subject, Roles: claims.Roles, Org: claims.Org}, nil
}

// refusal turns a jwt parse error into an apperr with a message a person (or
// a client developer) can act on.
func refusal(err error) error {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return ae // the key source's own verdict (unknown kid, keys unavailable)
	}
	msg := "the token is invalid"
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		msg = "the token is malformed: expected a JWT (header.payload.signature)"
	case errors.Is(err, jwt.ErrTokenUnverifiable), errors.Is(err, jwt.ErrTokenSignatureInvalid):
		msg = "the token's signature is invalid or not EdDSA"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		msg = "the token lacks a required claim (exp)"
	case errors.Is(err, jwt.ErrTokenExpired):
		msg = "the token has expired; sign in again"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		msg = "the token is not valid yet"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		msg = "the token was issued by an issuer this service does not trust"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		msg = "the token is not meant for this service (aud)"
	case errors.Is(err, jwt.ErrTokenInvalidClaims):
		msg = "the token's claims are invalid"
	}
	return &apperr.Error{Code: apperr.Unauthenticated, Message: msg, Err: err}
}

// RemoteJWKSOptions tune a RemoteJWKS; zero values take the defaults.
type RemoteJWKSOptions struct {
	Client *http.Client // default: a client with a 10 s timeout
	Clock  clock.Clock  // default: the system clock
	// MinRefreshInterval is the least time between two fetches: a token with
	// an unknown kid fetches the set again at most this often (default 30 s).
	MinRefreshInterval time.Duration
	// MaxAge is how long fetched keys are used before the set is fetched
	// again on use (default 1 h), so removed keys stop being accepted.
	MaxAge time.Duration
}

// RemoteJWKS is a KeySource reading a JWK Set from a URL (the portal's
// JWKSPath, or an OIDC provider's jwks_uri). Keys are cached; a kid not in
// the cache (a rotated key) fetches the set again, at most once per
// MinRefreshInterval. It is safe for concurrent use.
type RemoteJWKS struct {
	url  string
	opts RemoteJWKSOptions

	fetchMu sync.Mutex // one fetch at a time

	mu        sync.Mutex
	keys      map[string]ed25519.PublicKey
	fetchedAt time.Time // last successful fetch
	triedAt   time.Time // last attempt
	lastErr   error
	fetches   int
}

// NewRemoteJWKS returns a source reading the JWK Set at url. Nothing is
// fetched until a key is asked for (or Refresh is called).
func NewRemoteJWKS(url string, opts RemoteJWKSOptions) *RemoteJWKS {
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.MinRefreshInterval <= 0 {
		opts.MinRefreshInterval = 30 * time.Second
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = time.Hour
	}
	return &RemoteJWKS{url: url, opts: opts}
}

// Key returns the key with id kid, fetching the set when kid is unknown (and
// the last fetch is older than MinRefreshInterval) or the cache is stale.
func (r *RemoteJWKS) Key(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	if key, ok, fresh := r.cached(kid); ok && fresh {
		return key, nil
	}
	r.fetchMu.Lock()
	defer r.fetchMu.Unlock()
	key, ok, fresh := r.cached(kid) // another caller may have fetched meanwhile
	if ok && fresh {
		return key, nil
	}
	now := r.opts.Clock.Now()
	r.mu.Lock()
	limited := !r.triedAt.IsZero() && now.Sub(r.triedAt) < r.opts.MinRefreshInterval
	haveKeys, lastErr := len(r.keys) > 0, r.lastErr
	r.mu.Unlock()
	if limited {
		switch {
		case ok:
			return key, nil // stale, but the set cannot be fetched again yet
		case !haveKeys && lastErr != nil:
			return nil, keysUnavailable(lastErr)
		}
		return nil, unknownKey(kid)
	}
	if err := r.fetch(ctx, now); err != nil {
		if ok {
			return key, nil // keep verifying with the keys we had
		}
		return nil, keysUnavailable(err)
	}
	if key, ok, _ := r.cached(kid); ok {
		return key, nil
	}
	return nil, unknownKey(kid)
}

// Refresh fetches the key set now, whatever the rate limit (e.g. at start,
// to fail early when the issuer cannot be reached).
func (r *RemoteJWKS) Refresh(ctx context.Context) error {
	r.fetchMu.Lock()
	defer r.fetchMu.Unlock()
	return r.fetch(ctx, r.opts.Clock.Now())
}

// Fetches returns how many times the set was requested from the URL.
func (r *RemoteJWKS) Fetches() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fetches
}

func (r *RemoteJWKS) cached(kid string) (key ed25519.PublicKey, ok, fresh bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	key, ok = r.keys[kid]
	return key, ok, r.opts.Clock.Now().Sub(r.fetchedAt) < r.opts.MaxAge
}

// fetch must be called holding fetchMu.
func (r *RemoteJWKS) fetch(ctx context.Context, now time.Time) error {
	r.mu.Lock()
	r.triedAt = now
	r.fetches++
	r.mu.Unlock()
	keys, err := r.get(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.lastErr = err
		return err
	}
	r.keys = make(map[string]ed25519.PublicKey, len(keys))
	for _, k := range keys {
		r.keys[k.ID] = k.Key
	}
	r.fetchedAt, r.lastErr = now, nil
	return nil
}

func (r *RemoteJWKS) get(ctx context.Context) ([]PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS %s: %w", r.url, err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := r.opts.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch JWKS %s: status %s", r.url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS %s: %w", r.url, err)
	}
	keys, err := ParseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS %s: %w", r.url, err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("fetch JWKS %s: the set holds no Ed25519 signing key", r.url)
	}
	return keys, nil
}

func keysUnavailable(err error) error {
	return &apperr.Error{Code: apperr.Unavailable, Message: "the keys to verify the token cannot be fetched from the issuer; try again shortly", Err: err}
}
