package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"gerbang/pkg/apperr"
	"gerbang/pkg/dbx"
)

// The Idempotency-Key in the caller's own transaction: one commit per
// request. A use case claims the key in the transaction of its effect and
// stores its answer there before it commits, so the key, the effect and the
// answer commit together or not at all. A retry after a crash at any point
// finds either nothing (the transaction never committed: it runs again, as
// if for the first time) or the stored answer (it committed: the retry gets
// that answer, and the effect is not repeated).
//
// Use, in a port (HTTP), on the create route after authentication:
//
//	a.Post("/v1/things", idempotency.Keyed(idempotency.Options{Required: true}))
//	...
//	thing, err := s.app.CreateThing(ctx, caller.From(ctx), idempotency.KeyFrom(ctx), input)
//
// and in the use case or adapter, inside its transaction (tx is its *sqlx.Tx):
//
//	thing, err := idempotency.Once(ctx, tx, key, func() (app.Thing, error) {
//		... the effect: insert, outbox, audit, all in tx ...
//	})
//
// or, where the effect is not one closure, Claim before it and Store after.
// The answer is the use case's result (a domain value or read model, JSON
// round-trippable: exported fields), not the HTTP response: the port maps a
// replayed answer as it maps a fresh one, so the retry reads the same.
//
// Differences from Middleware (kept for the routes not moved yet): a
// request that fails stores nothing (its transaction rolled back), so a
// retry runs it again; a duplicate arriving while the first one's
// transaction is open answers 409 at once, as before; the same key with
// another request answers 422, as before.

// Key is one caller's Idempotency-Key with the hash of the request it came
// with. The zero Key (no header sent) makes Claim, Store and Once do
// nothing but run the effect.
type Key struct {
	// Owner scopes the key: "sub:<subject>" for a signed-in caller,
	// "anonymous:<scope>" otherwise (see Keyed).
	Owner string
	// Value is the header's value.
	Value string
	// Hash identifies the request (method, path and query, body).
	Hash []byte

	replayed *atomic.Bool // set when a stored answer was found (for Keyed's header)
}

// NewKey returns the key value of owner for a request made of parts (for
// callers other than Keyed: a consumer, a test). An empty value is the zero
// Key.
func NewKey(owner, value string, parts ...[]byte) Key {
	if value == "" {
		return Key{}
	}
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
		h.Write([]byte{0})
	}
	return Key{Owner: owner, Value: value, Hash: h.Sum(nil)}
}

// IsZero reports whether no key was sent.
func (k Key) IsZero() bool { return k.Value == "" }

// answerContentType marks the rows stored by Store (an answer in JSON),
// apart from the HTTP responses stored by Middleware.
const answerContentType = "application/vnd.gerbang.answer+json"

// lockClass is the first half of the advisory lock a claim takes (the
// second is a hash of the owner and key): a duplicate that finds it taken
// answers 409 instead of waiting for the first one's transaction.
const lockClass = 0x6964656d // "idem"

// Claim takes k in tx, the transaction of the request's effect. When the
// key was used before for the same request it decodes the stored answer
// into answer and returns true: the caller does nothing more (no effect)
// and returns that answer. When the key is new it returns false and holds
// it until tx ends: the caller does its effect and calls Store before
// committing. The key used for another request is apperr.Unprocessable
// (422); a duplicate whose first request's transaction is still open is
// apperr.Conflict (409, with retry_after_seconds).
func Claim(ctx context.Context, tx sqlx.ExtContext, k Key, answer any) (found bool, err error) {
	if k.IsZero() {
		return false, nil
	}
	if _, ok := tx.(*sqlx.DB); ok {
		return false, errors.New("idempotency: claim in the transaction of the effect, not on the pool")
	}
	var locked bool
	if err := sqlx.GetContext(ctx, tx, &locked, `SELECT pg_try_advisory_xact_lock($1::int4, hashtext($2 || chr(10) || $3))`,
		lockClass, k.Owner, k.Value); err != nil {
		return false, unavailable(err)
	}
	if !locked {
		return false, inProgress(0)
	}
	var r row
	err = sqlx.GetContext(ctx, tx, &r, `
		SELECT request_hash, state, lease_token, leased_at, status_code, content_type, headers, body
		FROM idempotency_keys WHERE owner = $1 AND key = $2`, k.Owner, k.Value)
	if dbx.IsNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(err)
	}
	if !bytes.Equal(r.RequestHash, k.Hash) {
		return false, usedForAnother()
	}
	// Rows of Middleware, from before a route moved here: one in progress
	// whose lease ran out is taken over (its holder died), as Middleware
	// would; a live one is in progress; a stored HTTP response cannot be
	// replayed as an answer.
	if r.State != "done" {
		if time.Since(r.LeasedAt) < DefaultLease {
			return false, inProgress(0)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE owner = $1 AND key = $2 AND lease_token = $3`,
			k.Owner, k.Value, r.LeaseToken); err != nil {
			return false, unavailable(err)
		}
		return false, nil
	}
	if r.ContentType == nil || *r.ContentType != answerContentType {
		return false, apperr.New(apperr.Unprocessable, "This Idempotency-Key was used before the service was upgraded. Use a new key.")
	}
	if err := json.Unmarshal(r.Body, answer); err != nil {
		return false, fmt.Errorf("idempotency: stored answer of key %q: %w", k.Value, err)
	}
	if k.replayed != nil {
		k.replayed.Store(true)
	}
	return true, nil
}

// Store keeps answer as the answer to k, in tx, after the effect and before
// the commit; Claim must have returned false for k in this tx.
func Store(ctx context.Context, tx sqlx.ExtContext, k Key, answer any) error {
	if k.IsZero() {
		return nil
	}
	body, err := json.Marshal(answer)
	if err != nil {
		return fmt.Errorf("idempotency: encode the answer of key %q: %w", k.Value, err)
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO idempotency_keys (owner, key, request_hash, state, lease_token, leased_at, status_code, content_type, body, created_at, completed_at)
		VALUES ($1, $2, $3, 'done', $4, now(), 0, $5, $6, now(), now())`,
		k.Owner, k.Value, k.Hash, uuid.NewString(), answerContentType, body)
	if err != nil {
		return fmt.Errorf("idempotency: store the answer of key %q: %w", k.Value, err)
	}
	return nil
}

// Once runs effect under k in tx: the first time, it runs effect and stores
// its result; for a retry of the same request it returns the stored result
// without running effect. See Claim for the errors.
func Once[T any](ctx context.Context, tx sqlx.ExtContext, k Key, effect func() (T, error)) (T, error) {
	var out T
	found, err := Claim(ctx, tx, k, &out)
	if err != nil || found {
		return out, err
	}
	if out, err = effect(); err != nil {
		return out, err
	}
	return out, Store(ctx, tx, k, out)
}

func usedForAnother() error {
	return apperr.New(apperr.Unprocessable,
		"This Idempotency-Key was already used with a different request. Use a new key for a new request.")
}

type keyCtx struct{}

// WithKey returns a context carrying k (Keyed does it for HTTP requests).
func WithKey(ctx context.Context, k Key) context.Context {
	return context.WithValue(ctx, keyCtx{}, k)
}

// KeyFrom returns the key Keyed read from the request; the zero Key when
// the request sent none.
func KeyFrom(ctx context.Context) Key {
	k, _ := ctx.Value(keyCtx{}).(Key)
	return k
}

// Keyed reads the Idempotency-Key of the routes it guards into the
// request's context (KeyFrom), checks its form (400), and refuses a request
// without one when opts.Required (400). Place it after authentication (the
// key belongs to the caller). It sets Idempotent-Replayed: true on an
// answer a use case replayed, and Retry-After on a 409 of a duplicate.
// Only opts.Required and opts.AnonymousScope are read.
func Keyed(opts Options) fiber.Handler {
	if opts.AnonymousScope == nil {
		opts.AnonymousScope = func(c *fiber.Ctx) string { return c.IP() }
	}
	return func(c *fiber.Ctx) error {
		value, err := headerKey(c, opts.Required)
		if err != nil || value == "" {
			return next(c, err)
		}
		k := Key{Owner: owner(c, opts.AnonymousScope), Value: strings.Clone(value), Hash: requestHash(c), replayed: new(atomic.Bool)}
		c.SetUserContext(WithKey(c.UserContext(), k))
		err = c.Next()
		var ae *apperr.Error
		if errors.As(err, &ae) && ae.Code == apperr.Conflict && ae.Extra["retry_after_seconds"] != nil {
			c.Set(fiber.HeaderRetryAfter, fmt.Sprint(ae.Extra["retry_after_seconds"]))
		}
		if err == nil && k.replayed.Load() {
			c.Set(ReplayedHeader, "true")
		}
		return err
	}
}

// headerKey returns the request's Idempotency-Key ("" when it sent none
// and none is required), or the 400 of a missing or malformed one.
func headerKey(c *fiber.Ctx, required bool) (string, error) {
	value := c.Get(Header)
	if value == "" {
		if required {
			return "", apperr.InvalidFields("This request needs an Idempotency-Key header (e.g. a fresh UUID), so that a retry cannot create it twice.",
				apperr.Field(Header, "is required"))
		}
		return "", nil
	}
	return value, checkKey(value)
}

// next goes on with the request, unless err refuses it.
func next(c *fiber.Ctx, err error) error {
	if err != nil {
		return err
	}
	return c.Next()
}
