package events

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go/jetstream"

	"gerbang/pkg/dbx"
	"gerbang/pkg/natstest"
	"gerbang/pkg/pgtest"
)

const (
	testStream = "TEST"
	testSource = "/test"
)

// harness is one test's PostgreSQL database, embedded NATS with a stream
// TEST on test.>, and an effect table that handlers write to.
type harness struct {
	t    *testing.T
	c    context.Context
	db   *pgtest.DB
	nats *natstest.Server
	js   jetstream.JetStream
}

func newHarness(t *testing.T, opts ...StreamOption) *harness {
	t.Helper()
	db := pgtest.New(t, nil)
	srv := natstest.Start(t)
	js, _ := srv.JetStream()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	h := &harness{t: t, c: ctx, db: db, nats: srv, js: js}
	h.exec(`CREATE TABLE effect (
		pos       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		consumer  text   NOT NULL,
		event_id  uuid   NOT NULL,
		aggregate text   NOT NULL,
		n         integer NOT NULL
	)`)
	if err := EnsureStream(h.ctx(), js, testStream, []string{"test.>"}, opts...); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) ctx() context.Context { return h.c }

func (h *harness) exec(query string, args ...any) {
	h.t.Helper()
	if _, err := h.db.ExecContext(h.ctx(), query, args...); err != nil {
		h.t.Fatalf("%s: %v", query, err)
	}
}

func (h *harness) count(query string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.db.GetContext(h.ctx(), &n, query, args...); err != nil {
		h.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// payload is the data of the test events.
type payload struct {
	Aggregate string `json:"aggregate"`
	N         int    `json:"n"`
	Poison    string `json:"poison,omitempty"`
}

func (h *harness) event(typ string, p payload) Event {
	h.t.Helper()
	ev, err := New(testSource, typ, p.Aggregate, p, time.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	return ev
}

// enqueue commits one event in a transaction of its own.
func (h *harness) enqueue(typ string, p payload) Event {
	h.t.Helper()
	ev := h.event(typ, p)
	err := dbx.WithTx(h.ctx(), h.db.DB, func(tx *sqlx.Tx) error {
		return Enqueue(h.ctx(), tx, ev, p.Aggregate)
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return ev
}

// fastRelay are relay options for tests: short waits everywhere.
func (h *harness) fastRelay() RelayOptions {
	return RelayOptions{
		DatabaseURL:  h.db.URL,
		PollInterval: 100 * time.Millisecond,
		AckTimeout:   300 * time.Millisecond,
		MinBackoff:   20 * time.Millisecond,
		MaxBackoff:   200 * time.Millisecond,
	}
}

// startRelay runs a relay until the test ends; the returned channel closes
// when Run has returned.
func (h *harness) startRelay(r *Relay) (stop func(), stopped <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := r.Run(ctx); err != nil {
			h.t.Errorf("relay: %v", err)
		}
	}()
	stop = func() { cancel(); <-done }
	h.t.Cleanup(stop)
	return stop, done
}

// recordEffect is the handler of most tests: it writes the event's payload
// to the effect table.
func recordEffect(consumer string) Handler {
	return func(ctx context.Context, tx *sqlx.Tx, ev Event) error {
		var p payload
		if err := Decode(ev, &p); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx,
			`INSERT INTO effect (consumer, event_id, aggregate, n) VALUES ($1, $2, $3, $4)`,
			consumer, ev.ID, p.Aggregate, p.N)
		return err
	}
}

// startConsumer runs Consume until the test ends.
func (h *harness) startConsumer(cfg ConsumerConfig, handler Handler) {
	if cfg.Stream == "" {
		cfg.Stream = testStream
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := Consume(ctx, h.js, h.db.DB, cfg, handler); err != nil {
			h.t.Errorf("consume: %v", err)
		}
	}()
	h.t.Cleanup(func() { cancel(); <-done })
}

// waitFor polls cond until it holds, failing the test after a bounded wait.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitConsumerIdle waits until the outbox is empty and the consumer has
// been delivered all it will get and holds no unacknowledged message.
func (h *harness) waitConsumerIdle(durable string) {
	h.t.Helper()
	h.waitFor("consumer "+durable+" to be idle", func() bool {
		// The outbox first: once every row is sent, every event is in the
		// stream before its state is read below. Read after, a row the relay
		// sent meanwhile would count as consumed while still on its way.
		if h.count(`SELECT count(*) FROM outbox WHERE sent_at IS NULL`) != 0 {
			return false
		}
		ctx := h.ctx()
		s, err := h.js.Stream(ctx, testStream)
		if err != nil {
			return false
		}
		c, err := s.Consumer(ctx, durable)
		if err != nil {
			return false
		}
		si, err1 := s.Info(ctx)
		ci, err2 := c.Info(ctx)
		if err := errors.Join(err1, err2); err != nil {
			return false
		}
		filtered := len(ci.Config.FilterSubjects) > 0 || ci.Config.FilterSubject != ""
		return ci.NumPending == 0 && ci.NumAckPending == 0 &&
			(filtered || ci.Delivered.Stream >= si.State.LastSeq)
	})
}

// streamCopies counts the messages in the stream carrying event id.
func (h *harness) streamCopies(id string) int {
	h.t.Helper()
	ctx := h.ctx()
	s, err := h.js.Stream(ctx, testStream)
	if err != nil {
		h.t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	n := 0
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			continue
		}
		var ev Event
		if json.Unmarshal(m.Data, &ev) == nil && ev.ID == id {
			n++
		}
	}
	return n
}

// failingHandler counts its calls and fails every one of them with err.
type failingHandler struct {
	mu    sync.Mutex
	calls int
	err   func() error
}

func (f *failingHandler) handle(ctx context.Context, tx *sqlx.Tx, ev Event) error {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	return f.err()
}

func (f *failingHandler) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}
