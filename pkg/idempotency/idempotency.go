// Package idempotency makes create requests safe to retry. A client sends an
// Idempotency-Key header; the first response to (caller, key) is stored with
// a hash of the request, and a retry gets that same response, byte for byte,
// instead of creating a second record. The same key with another request is
// refused (422); a duplicate arriving while the first still runs is refused
// (409) without waiting on a lock.
//
// New routes use Keyed with Claim, Store or Once (tx.go): the key and the
// answer are kept in the use case's own transaction, one commit per
// request. Middleware, which keeps them in transactions of its own, stays
// for the routes not moved yet.
package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/pkg/clock"
	"gerbang/pkg/dbx"
)

const (
	// Header is the request header carrying the key.
	Header = "Idempotency-Key"
	// ReplayedHeader is set to "true" on a response replayed from storage.
	ReplayedHeader = "Idempotent-Replayed"
	// DefaultLease is how long a request holds its key before a retry may
	// take it over (the holder presumably died).
	DefaultLease = time.Minute
	// DefaultRetention is how long stored responses are kept at least.
	DefaultRetention = 24 * time.Hour
	// MaxKeyLength is the longest key accepted.
	MaxKeyLength = 255
)

// Options tune the middleware; zero values take the defaults.
type Options struct {
	// Required refuses requests without the header (400).
	Required bool
	// Lease is how long an in-progress request holds its key (default
	// DefaultLease). Set it above the route's request timeout.
	Lease time.Duration
	// AnonymousScope tells anonymous callers apart, who would otherwise
	// share keys (default: the client IP).
	AnonymousScope func(c *fiber.Ctx) string
	Clock          clock.Clock  // default: the system clock
	Log            *slog.Logger // default: slog.Default()
}

// Middleware applies the Idempotency-Key rules in transactions of its own
// (three commits per request: claim, effect, answer), and stores the HTTP
// response. New code uses Keyed with Claim/Store/Once instead, which keep
// the key and the answer in the effect's own transaction (see tx.go);
// Middleware stays until the routes still on it move.
//
// It applies the Idempotency-Key rules to the routes it guards.
// Place it after authentication and role checks (the key belongs to the
// caller), on create routes. When the handler returns an error, the middleware
// renders it with the app's error handler so that the answer can be stored,
// and returns nil.
//
// Responses that invite a retry are not stored: 5xx, 408, 429 and 401. The
// key is released and the retry runs the handler again.
func Middleware(db *sqlx.DB, opts Options) fiber.Handler {
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	if opts.AnonymousScope == nil {
		opts.AnonymousScope = func(c *fiber.Ctx) string { return c.IP() }
	}
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	s := store{db: db, opts: opts}
	return func(c *fiber.Ctx) error {
		key, err := headerKey(c, opts.Required)
		if err != nil || key == "" {
			return next(c, err)
		}
		k := slot{owner: owner(c, opts.AnonymousScope), key: strings.Clone(key)}
		lease, replay, err := s.claim(c.UserContext(), k, requestHash(c))
		if err != nil {
			var ae *apperr.Error
			if errors.As(err, &ae) && ae.Code == apperr.Conflict {
				c.Set(fiber.HeaderRetryAfter, fmt.Sprint(ae.Extra["retry_after_seconds"]))
			}
			return err
		}
		if replay != nil {
			return replay.writeTo(c)
		}
		return s.run(c, k, lease)
	}
}

func checkKey(key string) error {
	ok := len(key) <= MaxKeyLength
	for i := 0; ok && i < len(key); i++ {
		ok = key[i] >= 0x20 && key[i] <= 0x7e
	}
	if ok {
		return nil
	}
	return apperr.InvalidFields("The Idempotency-Key header must be 1 to 255 printable ASCII characters, e.g. a UUID.",
		apperr.Field(Header, "must be 1 to %d printable ASCII characters", MaxKeyLength))
}

func owner(c *fiber.Ctx, scope func(*fiber.Ctx) string) string {
	if p, ok := auth.PrincipalFrom(c); ok {
		return "sub:" + p.Subject
	}
	return "anonymous:" + strings.Clone(scope(c))
}

// requestHash identifies a request: its method, path with query, and body.
func requestHash(c *fiber.Ctx) []byte {
	h := sha256.New()
	h.Write([]byte(c.Method()))
	h.Write([]byte{0})
	h.Write([]byte(c.OriginalURL()))
	h.Write([]byte{0})
	h.Write(c.Body())
	return h.Sum(nil)
}

// slot is one caller's key.
type slot struct{ owner, key string }

type store struct {
	db   *sqlx.DB
	opts Options
}

// response is a stored answer.
type response struct {
	Status      int
	ContentType string
	Headers     map[string]string
	Body        []byte
}

func (r *response) writeTo(c *fiber.Ctx) error {
	c.Status(r.Status)
	if r.ContentType != "" {
		c.Response().Header.SetContentType(r.ContentType)
	} else {
		c.Response().Header.SetNoDefaultContentType(true)
	}
	for name, v := range r.Headers {
		c.Set(name, v)
	}
	c.Set(ReplayedHeader, "true")
	c.Response().SetBodyRaw(r.Body)
	return nil
}

type row struct {
	RequestHash []byte    `db:"request_hash"`
	State       string    `db:"state"`
	LeaseToken  string    `db:"lease_token"`
	LeasedAt    time.Time `db:"leased_at"`
	StatusCode  *int      `db:"status_code"`
	ContentType *string   `db:"content_type"`
	Headers     []byte    `db:"headers"`
	Body        []byte    `db:"body"`
}

// claim takes the key for this request (returning its lease token) or
// answers from storage: a stored response to replay, or an apperr.
func (s store) claim(ctx context.Context, k slot, hash []byte) (lease string, replay *response, err error) {
	// Each pass either decides or saw the row change under it (removed after
	// a 5xx, or taken over): a few passes settle any race.
	for range 4 {
		now := s.opts.Clock.Now()
		lease = uuid.NewString()
		res, err := s.db.ExecContext(ctx, `
			INSERT INTO idempotency_keys (owner, key, request_hash, lease_token, leased_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $5)
			ON CONFLICT (owner, key) DO NOTHING`,
			k.owner, k.key, hash, lease, now)
		if err != nil {
			return "", nil, unavailable(err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return lease, nil, nil
		}

		var r row
		err = s.db.GetContext(ctx, &r, `
			SELECT request_hash, state, lease_token, leased_at, status_code, content_type, headers, body
			FROM idempotency_keys WHERE owner = $1 AND key = $2`, k.owner, k.key)
		if dbx.IsNoRows(err) {
			continue
		}
		if err != nil {
			return "", nil, unavailable(err)
		}
		if !bytes.Equal(r.RequestHash, hash) {
			return "", nil, usedForAnother()
		}
		if r.State == "done" {
			resp, err := r.response()
			return "", resp, err
		}
		if left := r.LeasedAt.Add(s.opts.Lease).Sub(now); left > 0 {
			return "", nil, inProgress(left)
		}
		// The holder overran its lease (it presumably died): take the key over.
		res, err = s.db.ExecContext(ctx, `
			UPDATE idempotency_keys SET lease_token = $3, leased_at = $4
			WHERE owner = $1 AND key = $2 AND state = 'in_progress' AND lease_token = $5`,
			k.owner, k.key, lease, now, r.LeaseToken)
		if err != nil {
			return "", nil, unavailable(err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return lease, nil, nil
		}
	}
	return "", nil, inProgress(time.Second)
}

func (r row) response() (*response, error) {
	resp := &response{Body: r.Body}
	if r.StatusCode != nil {
		resp.Status = *r.StatusCode
	}
	if r.ContentType != nil {
		resp.ContentType = *r.ContentType
	}
	if len(r.Headers) > 0 {
		if err := json.Unmarshal(r.Headers, &resp.Headers); err != nil {
			return nil, fmt.Errorf("stored headers of an idempotent response: %w", err)
		}
	}
	return resp, nil
}

// run runs the handler holding the key, then stores its answer or, for an
// answer that invites a retry, releases the key.
func (s store) run(c *fiber.Ctx, k slot, lease string) error {
	settled := false
	defer func() {
		if !settled { // the handler panicked: let the retry run it again
			s.release(c, k, lease)
		}
	}()
	if err := c.Next(); err != nil {
		if herr := c.App().ErrorHandler(c, err); herr != nil {
			c.Status(fiber.StatusInternalServerError)
		}
	}
	settled = true
	status := c.Response().StatusCode()
	if retryable(status) {
		s.release(c, k, lease)
		return nil
	}
	headers := map[string]string{}
	// Kept and replayed besides the content type and body.
	for _, name := range []string{fiber.HeaderLocation, fiber.HeaderETag, fiber.HeaderContentLocation} {
		if v := c.Response().Header.Peek(name); len(v) > 0 {
			headers[name] = string(v)
		}
	}
	hdr, err := json.Marshal(headers)
	if err != nil {
		return fmt.Errorf("store idempotent response: %w", err)
	}
	ctx, cancel := bookkeeping(c)
	defer cancel()
	res, err := s.db.ExecContext(ctx, `
		UPDATE idempotency_keys
		SET state = 'done', status_code = $4, content_type = $5, headers = $6, body = $7, completed_at = $8
		WHERE owner = $1 AND key = $2 AND lease_token = $3`,
		k.owner, k.key, lease, status, string(c.Response().Header.ContentType()), string(hdr),
		bytes.Clone(c.Response().Body()), s.opts.Clock.Now())
	if err != nil {
		// The effect is done and the client gets its answer; a retry after
		// the lease would run the handler again, so say so loudly.
		s.opts.Log.ErrorContext(ctx, "idempotency: storing the response failed", "owner", k.owner, "key", k.key, "status", status, "error", err)
		return nil
	}
	if n, _ := res.RowsAffected(); n == 0 {
		s.opts.Log.WarnContext(ctx, "idempotency: request outran its lease; a retry took the key over", "owner", k.owner, "key", k.key, "lease", s.opts.Lease)
	}
	return nil
}

func (s store) release(c *fiber.Ctx, k slot, lease string) {
	ctx, cancel := bookkeeping(c)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE owner = $1 AND key = $2 AND lease_token = $3 AND state = 'in_progress'`,
		k.owner, k.key, lease)
	if err != nil {
		s.opts.Log.ErrorContext(ctx, "idempotency: releasing the key failed; retries wait for the lease", "owner", k.owner, "key", k.key, "error", err)
	}
}

// bookkeeping gives the writes after the handler a context of their own: the
// request's may have timed out, and the outcome must still be recorded.
func bookkeeping(c *fiber.Ctx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(c.UserContext()), 10*time.Second)
}

// retryable reports whether an answer invites the client to try again, so
// that it must not be replayed.
func retryable(status int) bool {
	return status >= 500 || status == fiber.StatusRequestTimeout || status == fiber.StatusTooManyRequests || status == fiber.StatusUnauthorized
}

func inProgress(left time.Duration) error {
	secs := int(math.Ceil(left.Seconds()))
	return apperr.New(apperr.Conflict, "A request with this Idempotency-Key is still in progress. Retry in a moment to get its result.").
		With("retry_after_seconds", max(secs, 1))
}

func unavailable(err error) error {
	return &apperr.Error{Code: apperr.Unavailable, Message: "The request could not be checked for duplicates just now; retry it with the same Idempotency-Key.", Err: fmt.Errorf("idempotency store: %w", err)}
}

// Purge removes stored responses older than olderThan (at least
// DefaultRetention in production), in batches, and returns how many it
// removed. Rows still in progress within their lease are kept.
func Purge(ctx context.Context, db *sqlx.DB, olderThan time.Duration) (int64, error) {
	cutoff := time.Now().Add(-olderThan)
	var total int64
	for {
		res, err := db.ExecContext(ctx, `
			DELETE FROM idempotency_keys WHERE ctid IN (
				SELECT ctid FROM idempotency_keys
				WHERE created_at < $1 AND (state = 'done' OR leased_at < $1)
				LIMIT 5000)`, cutoff)
		if err != nil {
			return total, fmt.Errorf("purge idempotency keys: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < 5000 {
			return total, nil
		}
	}
}

// RunPurger purges keys older than retention every interval until ctx ends.
func RunPurger(ctx context.Context, db *sqlx.DB, every, retention time.Duration, log *slog.Logger) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := Purge(ctx, db, retention); err != nil && !errors.Is(err, context.Canceled) {
			log.ErrorContext(ctx, "idempotency: purge failed", "error", err)
		} else if n > 0 {
			log.InfoContext(ctx, "idempotency: purged stored responses", "count", n, "older_than", retention.String())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
