package idempotency_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/pkg/clock"
	"gerbang/pkg/httpx"
	"gerbang/pkg/idempotency"
	"gerbang/pkg/pgtest"
)

const (
	issuerURL = "https://portal.test"
	audience  = "gerbang"
)

// service is a small service with one create route guarded by the
// middleware: POST /things inserts a row and answers 201 with its id and a
// random nonce, so that a re-run handler is told apart from a replay.
type service struct {
	t      *testing.T
	db     *pgtest.DB
	url    string
	client *http.Client
	clock  *clock.Fake
	issuer auth.Issuer
	calls  atomic.Int32
	// handle overrides the handler's behaviour when set.
	handle func(c *fiber.Ctx) error
}

func newService(t *testing.T, opts idempotency.Options) *service {
	t.Helper()
	db := pgtest.New(t, nil)
	db.SetMaxOpenConns(16)
	if _, err := db.Exec(`CREATE TABLE things (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, owner text NOT NULL, name text NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	key, err := auth.NewSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	s := &service{
		t:      t,
		db:     db,
		clock:  clock.NewFake(time.Now()),
		issuer: auth.Issuer{Key: key, Issuer: issuerURL, Audience: audience},
	}
	if opts.Clock == nil {
		opts.Clock = s.clock
	}
	verifier := &auth.Verifier{Keys: auth.StaticKeys{key.Public()}, Issuer: issuerURL, Audience: audience}
	app := httpx.New(httpx.Options{Name: "test", Log: slog.New(slog.DiscardHandler)})
	app.Use(auth.Authenticate(verifier))
	app.Post("/things", idempotency.Middleware(db.DB, opts), func(c *fiber.Ctx) error {
		s.calls.Add(1)
		if s.handle != nil {
			return s.handle(c)
		}
		return s.create(c)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	transport := &http.Transport{MaxIdleConnsPerHost: 64}
	t.Cleanup(func() {
		transport.CloseIdleConnections() // so that the server has no idle connection to wait for
		app.ShutdownWithTimeout(5 * time.Second)
	})
	s.url = "http://" + ln.Addr().String()
	s.client = &http.Client{Transport: transport, Timeout: time.Minute}
	return s
}

func (s *service) create(c *fiber.Ctx) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(c.Body(), &in); err != nil || in.Name == "" {
		return apperr.InvalidFields("A thing needs a name.", apperr.Field("name", "is required"))
	}
	who := "anonymous"
	if p, ok := auth.PrincipalFrom(c); ok {
		who = p.Subject
	}
	var id int64
	if err := s.db.QueryRowContext(c.UserContext(), `INSERT INTO things (owner, name) VALUES ($1, $2) RETURNING id`, who, in.Name).Scan(&id); err != nil {
		return err
	}
	nonce := make([]byte, 8)
	rand.Read(nonce)
	c.Location("/things/" + fmtInt(id))
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": id, "name": in.Name, "nonce": hex.EncodeToString(nonce)})
}

func fmtInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func (s *service) token(sub string) string {
	s.t.Helper()
	tok, err := s.issuer.Mint(auth.Principal{Subject: sub, Roles: []string{auth.RoleBusiness}}, time.Hour, time.Now())
	if err != nil {
		s.t.Fatal(err)
	}
	return tok
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) replayed() bool { return a.header.Get(idempotency.ReplayedHeader) == "true" }

// post sends POST path with body; headers come in pairs (name, value).
func (s *service) post(path, body string, headers ...string) answer {
	req, err := http.NewRequest("POST", s.url+path, strings.NewReader(body))
	if err != nil {
		s.t.Error(err)
		return answer{}
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := s.client.Do(req)
	if err != nil {
		s.t.Error(err)
		return answer{}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

func (s *service) as(sub, key string) []string {
	return []string{"Authorization", "Bearer " + s.token(sub), idempotency.Header, key}
}

func (s *service) things() int {
	s.t.Helper()
	var n int
	if err := s.db.Get(&n, `SELECT count(*) FROM things`); err != nil {
		s.t.Fatal(err)
	}
	return n
}

func TestRetryGetsTheStoredResponseByteForByte(t *testing.T) {
	s := newService(t, idempotency.Options{})
	first := s.post("/things", `{"name":"kiosk"}`, s.as("user-1", "key-1")...)
	if first.status != 201 || first.replayed() {
		t.Fatalf("first: %d %s replayed=%v", first.status, first.body, first.replayed())
	}
	for range 2 {
		retry := s.post("/things", `{"name":"kiosk"}`, s.as("user-1", "key-1")...)
		if retry.status != 201 || !bytes.Equal(retry.body, first.body) {
			t.Fatalf("retry: %d %s, want 201 %s", retry.status, retry.body, first.body)
		}
		if !retry.replayed() {
			t.Fatal("retry lacks Idempotent-Replayed: true")
		}
		for _, h := range []string{"Content-Type", "Location"} {
			if retry.header.Get(h) != first.header.Get(h) {
				t.Fatalf("%s = %q, first answer had %q", h, retry.header.Get(h), first.header.Get(h))
			}
		}
	}
	if n := s.things(); n != 1 || s.calls.Load() != 1 {
		t.Fatalf("%d rows after %d handler runs, want 1 and 1", n, s.calls.Load())
	}
}

func TestAStoredClientErrorIsReplayedToo(t *testing.T) {
	s := newService(t, idempotency.Options{})
	first := s.post("/things", `{}`, s.as("user-1", "k")...)
	retry := s.post("/things", `{}`, s.as("user-1", "k")...)
	if first.status != 400 || retry.status != 400 || !bytes.Equal(first.body, retry.body) || !retry.replayed() {
		t.Fatalf("first %d %s, retry %d %s (replayed=%v)", first.status, first.body, retry.status, retry.body, retry.replayed())
	}
	if retry.header.Get("Content-Type") != first.header.Get("Content-Type") || s.calls.Load() != 1 {
		t.Fatalf("content type %q vs %q, %d handler runs", retry.header.Get("Content-Type"), first.header.Get("Content-Type"), s.calls.Load())
	}
}

func TestTheSameKeyWithAnotherRequestIsUnprocessable(t *testing.T) {
	s := newService(t, idempotency.Options{})
	if a := s.post("/things", `{"name":"kiosk"}`, s.as("user-1", "key-1")...); a.status != 201 {
		t.Fatalf("first: %d %s", a.status, a.body)
	}
	tests := []struct{ name, path, body string }{
		{"another body", "/things", `{"name":"warung"}`},
		{"another query", "/things?draft=true", `{"name":"kiosk"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := s.post(tt.path, tt.body, s.as("user-1", "key-1")...)
			if a.status != 422 || !strings.Contains(string(a.body), "different request") {
				t.Fatalf("got %d %s, want 422", a.status, a.body)
			}
		})
	}
	if n := s.things(); n != 1 {
		t.Fatalf("%d rows, want 1", n)
	}
}

func TestADuplicateWhileTheFirstRunsIsConflict(t *testing.T) {
	s := newService(t, idempotency.Options{})
	entered, release := make(chan struct{}), make(chan struct{})
	s.handle = func(c *fiber.Ctx) error {
		close(entered)
		<-release
		return s.create(c)
	}
	const n = 50
	answers := make(chan answer, n)
	headers := s.as("user-1", "key-1")
	for range n {
		go func() { answers <- s.post("/things", `{"name":"kiosk"}`, headers...) }()
	}
	// The first to claim the key waits in the handler; every other request
	// must be refused meanwhile, without waiting for it.
	<-entered
	for range n - 1 {
		a := <-answers
		if a.status != 409 {
			t.Fatalf("duplicate during the first: %d %s, want 409", a.status, a.body)
		}
		if a.header.Get("Retry-After") == "" {
			t.Fatal("409 without Retry-After")
		}
	}
	close(release)
	first := <-answers
	if first.status != 201 || first.replayed() {
		t.Fatalf("first: %d %s", first.status, first.body)
	}
	retry := s.post("/things", `{"name":"kiosk"}`, headers...)
	if !retry.replayed() || !bytes.Equal(retry.body, first.body) {
		t.Fatalf("retry after the first finished: %d %s", retry.status, retry.body)
	}
	if rows := s.things(); rows != 1 || s.calls.Load() != 1 {
		t.Fatalf("%d rows, %d handler runs, want 1 and 1", rows, s.calls.Load())
	}
}

func TestFiftyConcurrentRequestsWithOneKeyCreateOneRow(t *testing.T) {
	s := newService(t, idempotency.Options{})
	const n = 50
	headers := s.as("user-1", "rush")
	start := make(chan struct{})
	var wg sync.WaitGroup
	answers := make([]answer, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			answers[i] = s.post("/things", `{"name":"kiosk"}`, headers...)
		}()
	}
	close(start)
	wg.Wait()
	var created []answer
	replays, conflicts := 0, 0
	for _, a := range answers {
		switch {
		case a.status == 201 && !a.replayed():
			created = append(created, a)
		case a.status == 201:
			replays++
		case a.status == 409:
			conflicts++
		default:
			t.Fatalf("unexpected answer %d %s", a.status, a.body)
		}
	}
	if len(created) != 1 {
		t.Fatalf("%d requests ran the handler, want 1", len(created))
	}
	for _, a := range answers {
		if a.replayed() && !bytes.Equal(a.body, created[0].body) {
			t.Fatalf("a replay differs from the answer: %s vs %s", a.body, created[0].body)
		}
	}
	if rows := s.things(); rows != 1 || s.calls.Load() != 1 {
		t.Fatalf("%d rows, %d handler runs, want 1 and 1", rows, s.calls.Load())
	}
	t.Logf("1 created, %d replays, %d conflicts", replays, conflicts)
}

func TestKeysOfDifferentCallersAreIndependent(t *testing.T) {
	s := newService(t, idempotency.Options{AnonymousScope: func(c *fiber.Ctx) string { return c.Get("X-Device") }})
	tests := []struct {
		name    string
		headers []string
	}{
		{"user-1", s.as("user-1", "shared")},
		{"user-2", s.as("user-2", "shared")},
		{"anonymous device A", []string{idempotency.Header, "shared", "X-Device", "A"}},
		{"anonymous device B", []string{idempotency.Header, "shared", "X-Device", "B"}},
	}
	for _, tt := range tests {
		a := s.post("/things", `{"name":"kiosk"}`, tt.headers...)
		if a.status != 201 || a.replayed() {
			t.Fatalf("%s: %d %s replayed=%v, want a fresh 201", tt.name, a.status, a.body, a.replayed())
		}
	}
	if rows := s.things(); rows != len(tests) {
		t.Fatalf("%d rows, want %d", rows, len(tests))
	}
	// user-2 reusing the key with another body is its own business, not user-1's.
	if a := s.post("/things", `{"name":"other"}`, s.as("user-1", "shared")...); a.status != 422 {
		t.Fatalf("user-1 with another body: %d, want 422", a.status)
	}
}

func TestAServerErrorIsNotStoredSoTheRetryRunsAgain(t *testing.T) {
	s := newService(t, idempotency.Options{})
	failures := []func(c *fiber.Ctx) error{
		func(c *fiber.Ctx) error { return errors.New("database fell over") },                       // 500
		func(c *fiber.Ctx) error { return apperr.New(apperr.Unavailable, "NATS is down") },         // 503
		func(c *fiber.Ctx) error { return apperr.New(apperr.TooManyRequests, "slow down please") }, // 429
		func(c *fiber.Ctx) error { panic("handler bug") },                                          // 500 via recovery
	}
	for _, fail := range failures {
		s.handle = fail
		if a := s.post("/things", `{"name":"kiosk"}`, s.as("user-1", "key-1")...); a.status < 429 {
			t.Fatalf("failing handler answered %d %s", a.status, a.body)
		}
	}
	s.handle = nil
	a := s.post("/things", `{"name":"kiosk"}`, s.as("user-1", "key-1")...)
	if a.status != 201 || a.replayed() {
		t.Fatalf("retry after failures: %d %s replayed=%v, want a fresh 201", a.status, a.body, a.replayed())
	}
	if calls := s.calls.Load(); calls != int32(len(failures))+1 {
		t.Fatalf("%d handler runs, want %d", calls, len(failures)+1)
	}
}

func TestAStaleInProgressKeyIsTakenOver(t *testing.T) {
	s := newService(t, idempotency.Options{Lease: time.Minute})
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s.handle = func(c *fiber.Ctx) error {
		stuck := false
		once.Do(func() { stuck = true })
		if stuck { // the first run hangs, as if its process froze
			close(entered)
			<-release
		}
		return s.create(c)
	}
	headers := s.as("user-1", "key-1")
	firstDone := make(chan answer, 1)
	go func() { firstDone <- s.post("/things", `{"name":"kiosk"}`, headers...) }()
	<-entered

	if a := s.post("/things", `{"name":"kiosk"}`, headers...); a.status != 409 {
		t.Fatalf("within the lease: %d, want 409", a.status)
	}
	s.clock.Advance(time.Minute + time.Second)
	second := s.post("/things", `{"name":"kiosk"}`, headers...)
	if second.status != 201 || second.replayed() {
		t.Fatalf("after the lease: %d %s, want the handler to run", second.status, second.body)
	}
	close(release)
	if first := <-firstDone; first.status != 201 {
		t.Fatalf("the overrun first request: %d %s", first.status, first.body)
	}
	third := s.post("/things", `{"name":"kiosk"}`, headers...)
	if !third.replayed() || !bytes.Equal(third.body, second.body) {
		t.Fatalf("later retry: %s, want the stored answer of the request that took over: %s", third.body, second.body)
	}
}

func TestKeyFormatIsChecked(t *testing.T) {
	s := newService(t, idempotency.Options{Required: true})
	token := "Bearer " + s.token("user-1")
	tests := []struct {
		name       string
		key        string
		wantStatus int
	}{
		{"missing while required", "", 400},
		{"256 characters", strings.Repeat("k", 256), 400},
		{"not ASCII", "kunci-é", 400},
		{"255 characters", strings.Repeat("k", 255), 201},
		{"a UUID", "0198e3c2-7b5e-7d2a-9c1e-3f6a2b1c4d5e", 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			headers := []string{"Authorization", token}
			if tt.key != "" {
				headers = append(headers, idempotency.Header, tt.key)
			}
			a := s.post("/things", `{"name":"kiosk"}`, headers...)
			if a.status != tt.wantStatus {
				t.Fatalf("got %d %s, want %d", a.status, a.body, tt.wantStatus)
			}
			if tt.wantStatus == 400 && !strings.Contains(string(a.body), idempotency.Header) {
				t.Fatalf("400 does not name the header: %s", a.body)
			}
		})
	}
}

func TestWithoutAKeyEveryRequestRuns(t *testing.T) {
	s := newService(t, idempotency.Options{})
	for range 2 {
		if a := s.post("/things", `{"name":"kiosk"}`, "Authorization", "Bearer "+s.token("user-1")); a.status != 201 || a.replayed() {
			t.Fatalf("%d replayed=%v", a.status, a.replayed())
		}
	}
	if rows := s.things(); rows != 2 {
		t.Fatalf("%d rows, want 2", rows)
	}
}

func TestPurgeForgetsOldKeysOnly(t *testing.T) {
	s := newService(t, idempotency.Options{})
	s.clock.Set(time.Now().Add(-25 * time.Hour))
	if a := s.post("/things", `{"name":"old"}`, s.as("user-1", "old")...); a.status != 201 {
		t.Fatal(a.status)
	}
	s.clock.Set(time.Now())
	if a := s.post("/things", `{"name":"new"}`, s.as("user-1", "new")...); a.status != 201 {
		t.Fatal(a.status)
	}
	n, err := idempotency.Purge(context.Background(), s.db.DB, idempotency.DefaultRetention)
	if err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1 removed", n, err)
	}
	if a := s.post("/things", `{"name":"new"}`, s.as("user-1", "new")...); !a.replayed() {
		t.Fatal("a key younger than the retention was forgotten")
	}
	if a := s.post("/things", `{"name":"old"}`, s.as("user-1", "old")...); a.status != 201 || a.replayed() {
		t.Fatalf("purged key: %d replayed=%v, want the handler to run", a.status, a.replayed())
	}
}

func TestRunPurgerPurgesUntilStopped(t *testing.T) {
	s := newService(t, idempotency.Options{})
	s.clock.Set(time.Now().Add(-2 * time.Hour))
	s.post("/things", `{"name":"old"}`, s.as("user-1", "old")...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- idempotency.RunPurger(ctx, s.db.DB, 10*time.Millisecond, time.Hour, slog.New(slog.DiscardHandler))
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := s.db.Get(&n, `SELECT count(*) FROM idempotency_keys`); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the purger did not remove the old key")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("RunPurger returned %v after cancel", err)
	}
}
