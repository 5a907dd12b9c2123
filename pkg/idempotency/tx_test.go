package idempotency_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"gerbang/pkg/apperr"
	"gerbang/pkg/dbx"
	"gerbang/pkg/httpx"
	"gerbang/pkg/idempotency"
	"gerbang/pkg/pgtest"
)

// thing is a use case's answer: what a create returns.
type thing struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Nonce string `json:"nonce"`
}

func newThings(t *testing.T) *pgtest.DB {
	t.Helper()
	db := pgtest.New(t, nil)
	db.SetMaxOpenConns(64)
	if _, err := db.Exec(`CREATE TABLE things (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return db
}

// createThing is a use case: one transaction that claims the key, inserts
// a thing and stores the answer. effects counts the inserts it ran.
func createThing(ctx context.Context, db *sqlx.DB, k idempotency.Key, name string, effects *int) (thing, error) {
	var out thing
	err := dbx.WithTx(ctx, db, func(tx *sqlx.Tx) error {
		var err error
		out, err = idempotency.Once(ctx, tx, k, func() (thing, error) {
			*effects++
			th := thing{Name: name, Nonce: randomHex()}
			return th, tx.GetContext(ctx, &th.ID, `INSERT INTO things (name) VALUES ($1) RETURNING id`, name)
		})
		return err
	})
	return out, err
}

func randomHex() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func countThings(t *testing.T, db *sqlx.DB) int {
	t.Helper()
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM things`); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestARetryGetsTheFirstAnswerAndTheEffectRunsOnce(t *testing.T) {
	db := newThings(t)
	ctx := context.Background()
	k := idempotency.NewKey("sub:u1", "key-1", []byte("POST /things"), []byte(`{"name":"a"}`))
	var effects int
	first, err := createThing(ctx, db.DB, k, "a", &effects)
	if err != nil {
		t.Fatal(err)
	}
	again, err := createThing(ctx, db.DB, k, "a", &effects)
	if err != nil {
		t.Fatal(err)
	}
	if again != first || effects != 1 || countThings(t, db.DB) != 1 {
		t.Fatalf("retry answered %+v (first %+v) after %d effects, %d rows", again, first, effects, countThings(t, db.DB))
	}
}

func TestACrashBeforeTheCommitLeavesNothingAndTheRetryRunsAsTheFirst(t *testing.T) {
	db := newThings(t)
	ctx := context.Background()
	k := idempotency.NewKey("sub:u1", "key-1", []byte("req"))
	// The process dies after the effect and the stored answer, before the
	// commit: PostgreSQL rolls the transaction back.
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var lost thing
	if found, err := idempotency.Claim(ctx, tx, k, &lost); err != nil || found {
		t.Fatalf("claim: %v, %v", found, err)
	}
	if _, err := tx.Exec(`INSERT INTO things (name) VALUES ('lost')`); err != nil {
		t.Fatal(err)
	}
	if err := idempotency.Store(ctx, tx, k, thing{Name: "lost"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	var effects int
	got, err := createThing(ctx, db.DB, k, "kept", &effects)
	if err != nil || got.Name != "kept" || effects != 1 || countThings(t, db.DB) != 1 {
		t.Fatalf("retry after the crash: %+v, %v, %d effects, %d rows", got, err, effects, countThings(t, db.DB))
	}
}

func TestADuplicateWhileTheFirstTransactionIsOpenIsConflictThenTheAnswer(t *testing.T) {
	db := newThings(t)
	ctx := context.Background()
	k := idempotency.NewKey("sub:u1", "key-1", []byte("req"))
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	first, err := idempotency.Once(ctx, tx, k, func() (thing, error) { return thing{ID: 7, Name: "first"}, nil })
	if err != nil {
		t.Fatal(err)
	}
	var effects int
	_, err = createThing(ctx, db.DB, k, "first", &effects)
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.Conflict || ae.Extra["retry_after_seconds"] != 1 || effects != 0 {
		t.Fatalf("duplicate during the first: %v (%d effects), want Conflict with retry_after_seconds", err, effects)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err := createThing(ctx, db.DB, k, "first", &effects)
	if err != nil || got != first || effects != 0 {
		t.Fatalf("after the commit: %+v, %v, %d effects; want %+v", got, err, effects, first)
	}
}

func TestTheSameKeyForAnotherRequestIsUnprocessable(t *testing.T) {
	db := newThings(t)
	ctx := context.Background()
	var effects int
	if _, err := createThing(ctx, db.DB, idempotency.NewKey("sub:u1", "key-1", []byte("a")), "a", &effects); err != nil {
		t.Fatal(err)
	}
	_, err := createThing(ctx, db.DB, idempotency.NewKey("sub:u1", "key-1", []byte("b")), "b", &effects)
	if !apperr.Is(err, apperr.Unprocessable) || effects != 1 {
		t.Fatalf("another request under the key: %v, %d effects", err, effects)
	}
	// Another caller's key of the same value is its own.
	if _, err := createThing(ctx, db.DB, idempotency.NewKey("sub:u2", "key-1", []byte("b")), "b", &effects); err != nil || effects != 2 {
		t.Fatalf("another caller: %v, %d effects", err, effects)
	}
}

func TestAFailedRequestStoresNothingSoTheRetryRunsAgain(t *testing.T) {
	db := newThings(t)
	ctx := context.Background()
	k := idempotency.NewKey("sub:u1", "key-1", []byte("req"))
	refused := apperr.New(apperr.Invalid, "not yet")
	err := dbx.WithTx(ctx, db.DB, func(tx *sqlx.Tx) error {
		_, err := idempotency.Once(ctx, tx, k, func() (thing, error) { return thing{}, refused })
		return err
	})
	if !errors.Is(err, refused) {
		t.Fatalf("first: %v", err)
	}
	var effects int
	if _, err := createThing(ctx, db.DB, k, "a", &effects); err != nil || effects != 1 {
		t.Fatalf("retry: %v, %d effects", err, effects)
	}
}

func TestWithoutAKeyTheEffectRunsEveryTime(t *testing.T) {
	db := newThings(t)
	var effects int
	for range 2 {
		if _, err := createThing(context.Background(), db.DB, idempotency.Key{}, "a", &effects); err != nil {
			t.Fatal(err)
		}
	}
	if effects != 2 || countThings(t, db.DB) != 2 {
		t.Fatalf("%d effects, %d rows", effects, countThings(t, db.DB))
	}
}

func TestClaimRefusesThePool(t *testing.T) {
	db := newThings(t)
	var th thing
	if _, err := idempotency.Claim(context.Background(), db.DB, idempotency.NewKey("o", "k"), &th); err == nil {
		t.Fatal("a claim outside a transaction was taken")
	}
}

func TestManyConcurrentRetriesMakeOneEffectAndEachGetsTheAnswerOrConflict(t *testing.T) {
	db := newThings(t)
	ctx := context.Background()
	k := idempotency.NewKey("sub:u1", "key-1", []byte("req"))
	var (
		mu      sync.Mutex
		effects int
		answers []thing
		wg      sync.WaitGroup
	)
	for range 40 {
		wg.Go(func() {
			var mine int
			got, err := createThing(ctx, db.DB, k, "a", &mine)
			mu.Lock()
			defer mu.Unlock()
			effects += mine
			switch {
			case err == nil:
				answers = append(answers, got)
			case !apperr.Is(err, apperr.Conflict):
				t.Errorf("unexpected error: %v", err)
			}
		})
	}
	wg.Wait()
	if effects != 1 || countThings(t, db.DB) != 1 || len(answers) == 0 {
		t.Fatalf("%d effects, %d rows, %d answers", effects, countThings(t, db.DB), len(answers))
	}
	for _, a := range answers {
		if a != answers[0] {
			t.Fatalf("answers differ: %+v and %+v", a, answers[0])
		}
	}
}

// TestKeyedPutsTheKeyInTheContextAndMarksReplays drives Keyed through fiber:
// the key reaches the handler, a replay is marked, a bad or missing key is
// 400, and a duplicate in progress gets Retry-After.
func TestKeyedPutsTheKeyInTheContextAndMarksReplays(t *testing.T) {
	db := newThings(t)
	app := httpx.New(httpx.Options{Name: "test", Log: slog.New(slog.DiscardHandler)})
	var effects int
	var mu sync.Mutex
	app.Post("/things", idempotency.Keyed(idempotency.Options{Required: true}), func(c *fiber.Ctx) error {
		mu.Lock()
		defer mu.Unlock()
		th, err := createThing(c.UserContext(), db.DB, idempotency.KeyFrom(c.UserContext()), string(c.Body()), &effects)
		if err != nil {
			return err
		}
		return c.Status(201).JSON(th)
	})
	post := func(key, body string) (*httptest.ResponseRecorder, string) {
		req := httptest.NewRequest("POST", "/things", strings.NewReader(body))
		if key != "" {
			req.Header.Set(idempotency.Header, key)
		}
		resp, err := app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		rec := httptest.NewRecorder()
		rec.Code = resp.StatusCode
		for k, v := range resp.Header {
			rec.Header()[k] = v
		}
		return rec, string(b)
	}
	first, firstBody := post("k-1", "a")
	again, againBody := post("k-1", "a")
	if first.Code != 201 || again.Code != 201 || againBody != firstBody || effects != 1 {
		t.Fatalf("first %d %s, again %d %s, %d effects", first.Code, firstBody, again.Code, againBody, effects)
	}
	if first.Header().Get(idempotency.ReplayedHeader) != "" || again.Header().Get(idempotency.ReplayedHeader) != "true" {
		t.Fatalf("replayed headers: first %q, again %q", first.Header().Get(idempotency.ReplayedHeader), again.Header().Get(idempotency.ReplayedHeader))
	}
	if r, _ := post("", "a"); r.Code != 400 {
		t.Fatalf("no key: %d", r.Code)
	}
	if r, _ := post(strings.Repeat("x", idempotency.MaxKeyLength+1), "a"); r.Code != 400 {
		t.Fatalf("long key: %d", r.Code)
	}
	if r, _ := post("k-1", "b"); r.Code != 422 {
		t.Fatalf("another body: %d", r.Code)
	}
	// A duplicate while the first's transaction is open.
	tx, err := db.BeginTxx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`SELECT pg_advisory_xact_lock($1::int4, hashtext($2 || chr(10) || $3))`, 0x6964656d, "anonymous:0.0.0.0", "k-2"); err != nil {
		t.Fatal(err)
	}
	if r, body := post("k-2", "c"); r.Code != 409 || r.Header().Get(fiber.HeaderRetryAfter) != "1" {
		t.Fatalf("duplicate in progress: %d %s, Retry-After %q", r.Code, body, r.Header().Get(fiber.HeaderRetryAfter))
	}
}

func TestAKeyLeftInProgressByTheMiddlewareIsTakenOverAfterItsLease(t *testing.T) {
	db := newThings(t)
	ctx := context.Background()
	k := idempotency.NewKey("sub:u1", "key-1", []byte("req"))
	if _, err := db.Exec(`INSERT INTO idempotency_keys (owner, key, request_hash, lease_token, leased_at, created_at)
		VALUES ($1, $2, $3, gen_random_uuid(), now() - interval '1 hour', now())`, k.Owner, k.Value, k.Hash); err != nil {
		t.Fatal(err)
	}
	var effects int
	if _, err := createThing(ctx, db.DB, k, "a", &effects); err != nil || effects != 1 {
		t.Fatalf("take over: %v, %d effects", err, effects)
	}
	if _, err := db.Exec(`UPDATE idempotency_keys SET state = 'in_progress', leased_at = now() WHERE key = $1`, k.Value); err != nil {
		t.Fatal(err)
	}
	if _, err := createThing(ctx, db.DB, k, "a", &effects); !apperr.Is(err, apperr.Conflict) || effects != 1 {
		t.Fatalf("live lease: %v, %d effects", err, effects)
	}
}
