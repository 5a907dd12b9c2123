package events

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"gerbang/pkg/dbx"
)

func TestRelayPublishesACommittedEventOnce(t *testing.T) {
	cases := []struct {
		name string
		opts func(h *harness) RelayOptions
	}{
		{"woken by the commit's notification", func(h *harness) RelayOptions {
			o := h.fastRelay()
			o.PollInterval = time.Hour // only NOTIFY can wake it in time
			return o
		}},
		{"found by the poll without a listener", func(h *harness) RelayOptions {
			o := h.fastRelay()
			o.DatabaseURL = ""
			o.PollInterval = 50 * time.Millisecond
			return o
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.startConsumer(ConsumerConfig{Durable: "c"}, recordEffect("c"))
			r := NewRelay(h.db.DB, h.js, nil, c.opts(h))
			h.startRelay(r)
			if r.opts.DatabaseURL != "" {
				h.waitFor("the relay to LISTEN", func() bool {
					return h.count(`SELECT count(*) FROM pg_stat_activity
						WHERE datname = current_database() AND query LIKE 'LISTEN %'`) == 1
				})
			}

			ev := h.enqueue("test.thing.happened", payload{Aggregate: "a", N: 1})
			h.waitFor("the effect", func() bool {
				return h.count(`SELECT count(*) FROM effect WHERE event_id = $1`, ev.ID) == 1
			})
			h.waitConsumerIdle("c")
			if n := h.count(`SELECT count(*) FROM outbox WHERE id = $1 AND sent_at IS NOT NULL`, ev.ID); n != 1 {
				t.Errorf("outbox row not marked sent")
			}
			if got := r.Stats().Published; got != 1 {
				t.Errorf("Stats().Published = %d, want 1", got)
			}
		})
	}
}

// (a) NATS down for longer than the stream's duplicate window loses nothing
// and applies nothing twice.
func TestEventCommittedWhileNATSIsDownIsDeliveredWhenItReturns(t *testing.T) {
	t.Parallel()
	const window = time.Second
	h := newHarness(t, WithDuplicateWindow(window))
	h.startConsumer(ConsumerConfig{Durable: "c", DoubleAck: true}, recordEffect("c"))
	h.startRelay(NewRelay(h.db.DB, h.js, nil, h.fastRelay()))

	h.nats.Shutdown()
	down := time.Now()
	ev := h.enqueue("test.thing.happened", payload{Aggregate: "a", N: 1})
	h.waitFor("NATS to have been away for twice the duplicate window", func() bool {
		return time.Since(down) > 2*window
	})
	if n := h.count(`SELECT count(*) FROM outbox WHERE id = $1 AND sent_at IS NULL`, ev.ID); n != 1 {
		t.Fatal("the event is not pending while NATS is down")
	}
	h.nats.Restart()

	h.waitFor("the effect", func() bool {
		return h.count(`SELECT count(*) FROM effect WHERE event_id = $1`, ev.ID) >= 1
	})
	h.waitFor("the outbox row to be marked sent", func() bool {
		return h.count(`SELECT count(*) FROM outbox WHERE id = $1 AND sent_at IS NOT NULL`, ev.ID) == 1
	})
	h.waitConsumerIdle("c")
	if n := h.count(`SELECT count(*) FROM effect WHERE event_id = $1`, ev.ID); n != 1 {
		t.Errorf("event applied %d times, want once", n)
	}
	t.Logf("copies of the event in the stream: %d", h.streamCopies(ev.ID))
}

// (b) A relay that dies after publishing and before marking the rows sent
// makes the next relay publish them again; the consumer applies them once,
// whether JetStream drops the copy (inside the duplicate window) or the
// inbox does (past it).
func TestRelayKilledBetweenPublishAndMarkSentCausesNoDuplicateEffect(t *testing.T) {
	const window = time.Second
	cases := []struct {
		name           string
		waitPastWindow bool
		wantCopies     int
	}{
		{"restarted inside the duplicate window", false, 1},
		{"restarted past the duplicate window", true, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, WithDuplicateWindow(window))
			h.startConsumer(ConsumerConfig{Durable: "c"}, recordEffect("c"))

			first := NewRelay(h.db.DB, h.js, nil, h.fastRelay())
			var publishedAt time.Time
			ctx, kill := context.WithCancel(context.Background())
			first.afterPublish = func(context.Context, []string) error {
				publishedAt = time.Now()
				kill() // the process dies: its transaction is rolled back
				return errors.New("killed")
			}
			done := make(chan struct{})
			go func() { defer close(done); first.Run(ctx) }()
			t.Cleanup(func() { kill(); <-done })

			ev := h.enqueue("test.thing.happened", payload{Aggregate: "a", N: 1})
			<-done
			h.waitFor("the first copy to be applied", func() bool {
				return h.count(`SELECT count(*) FROM effect WHERE event_id = $1`, ev.ID) == 1
			})
			if n := h.count(`SELECT count(*) FROM outbox WHERE id = $1 AND sent_at IS NULL`, ev.ID); n != 1 {
				t.Fatalf("the dead relay's row is not pending")
			}
			if c.waitPastWindow {
				h.waitFor("the duplicate window to pass", func() bool {
					return time.Since(publishedAt) > window+200*time.Millisecond
				})
			}

			h.startRelay(NewRelay(h.db.DB, h.js, nil, h.fastRelay()))
			h.waitFor("the row to be marked sent", func() bool {
				return h.count(`SELECT count(*) FROM outbox WHERE id = $1 AND sent_at IS NOT NULL`, ev.ID) == 1
			})
			h.waitConsumerIdle("c")
			if got := h.streamCopies(ev.ID); got != c.wantCopies {
				t.Errorf("copies in the stream = %d, want %d", got, c.wantCopies)
			}
			if n := h.count(`SELECT count(*) FROM effect WHERE event_id = $1`, ev.ID); n != 1 {
				t.Errorf("event applied %d times, want once", n)
			}
		})
	}
}

// (c)
func TestRolledBackTransactionPublishesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startConsumer(ConsumerConfig{Durable: "c"}, recordEffect("c"))
	h.startRelay(NewRelay(h.db.DB, h.js, nil, h.fastRelay()))

	rolledBack := h.event("test.thing.happened", payload{Aggregate: "a", N: 1})
	err := dbx.WithTx(h.ctx(), h.db.DB, func(tx *sqlx.Tx) error {
		if err := Enqueue(h.ctx(), tx, rolledBack, "a"); err != nil {
			return err
		}
		return errors.New("the state change failed")
	})
	if err == nil {
		t.Fatal("transaction committed")
	}
	marker := h.enqueue("test.thing.happened", payload{Aggregate: "a", N: 2})
	h.waitFor("the committed event", func() bool {
		return h.count(`SELECT count(*) FROM effect WHERE event_id = $1`, marker.ID) == 1
	})
	h.waitConsumerIdle("c")
	if n := h.count(`SELECT count(*) FROM effect`); n != 1 {
		t.Errorf("%d effects, want only the committed event's", n)
	}
	if n := h.count(`SELECT count(*) FROM outbox WHERE id = $1`, rolledBack.ID); n != 0 {
		t.Errorf("rolled-back event is in the outbox")
	}
	if got := h.streamCopies(rolledBack.ID); got != 0 {
		t.Errorf("rolled-back event reached the stream %d times", got)
	}
}

// (d) Concurrent writers on several aggregates, two relays (one of which
// crashes now and then before marking), one consumer applying in stream
// order or in lanes: each aggregate's events are applied in the order their
// transactions committed.
func TestEventsOfOneAggregateArriveInCommitOrder(t *testing.T) {
	for _, concurrency := range []int{1, 4} {
		t.Run(fmt.Sprintf("consumer concurrency %d", concurrency), func(t *testing.T) {
			t.Parallel()
			eventsArriveInCommitOrder(t, concurrency)
		})
	}
}

func eventsArriveInCommitOrder(t *testing.T, concurrency int) {
	const (
		aggregates = 6
		writers    = 8
		perWriter  = 40
		total      = writers * perWriter
	)
	h := newHarness(t)
	h.exec(`CREATE TABLE counter (aggregate text PRIMARY KEY, n integer NOT NULL)`)
	for a := range aggregates {
		h.exec(`INSERT INTO counter VALUES ($1, 0)`, fmt.Sprintf("agg-%d", a))
	}
	h.startConsumer(ConsumerConfig{Durable: "c", Concurrency: concurrency}, recordEffect("c"))

	opts := h.fastRelay()
	opts.BatchSize = 16
	crashy := NewRelay(h.db.DB, h.js, nil, opts)
	var batches atomic.Int64
	crashy.afterPublish = func(context.Context, []string) error {
		if batches.Add(1)%4 == 0 {
			return errors.New("crashed before marking")
		}
		return nil
	}
	relaysStarted := make(chan struct{})
	var wg sync.WaitGroup
	var written atomic.Int64
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range perWriter {
				if written.Add(1) == total/2 {
					// Half of the events wait in the outbox, so the relays
					// start by competing for a backlog.
					close(relaysStarted)
				}
				agg := fmt.Sprintf("agg-%d", rng.IntN(aggregates))
				err := dbx.WithTx(h.ctx(), h.db.DB, func(tx *sqlx.Tx) error {
					// The state change locks the aggregate, which fixes the
					// commit order of its events.
					var n int
					if err := tx.GetContext(h.ctx(), &n,
						`UPDATE counter SET n = n + 1 WHERE aggregate = $1 RETURNING n`, agg); err != nil {
						return err
					}
					ev, err := New(testSource, "test.counter.incremented", agg, payload{Aggregate: agg, N: n}, time.Now())
					if err != nil {
						return err
					}
					return Enqueue(h.ctx(), tx, ev, agg)
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	select {
	case <-relaysStarted:
	case <-time.After(30 * time.Second):
		t.Fatal("the writers did not get half way")
	}
	h.startRelay(crashy)
	h.startRelay(NewRelay(h.db.DB, h.js, nil, opts))
	wg.Wait()

	h.waitFor("every event to be applied", func() bool {
		return h.count(`SELECT count(*) FROM effect`) == total
	})
	var applied []struct {
		Aggregate string `db:"aggregate"`
		N         int    `db:"n"`
	}
	if err := h.db.SelectContext(h.ctx(), &applied, `SELECT aggregate, n FROM effect ORDER BY pos`); err != nil {
		t.Fatal(err)
	}
	last := map[string]int{}
	for _, e := range applied {
		if e.N != last[e.Aggregate]+1 {
			t.Fatalf("%s: event %d applied after event %d", e.Aggregate, e.N, last[e.Aggregate])
		}
		last[e.Aggregate] = e.N
	}
	// A batch the crashy relay published but did not mark is applied
	// already; its rows are marked once a relay publishes them again (the
	// stream drops the duplicates): wait for that, bounded by waitFor.
	h.waitFor("every row to be marked sent", func() bool {
		return h.count(`SELECT count(*) FROM outbox WHERE sent_at IS NULL`) == 0
	})
	t.Logf("crashy relay: %d batches, of which %d crashed", batches.Load(), batches.Load()/4)
}

func TestRelayPrunesSentRowsPastTheRetention(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	old := h.enqueue("test.thing.happened", payload{Aggregate: "a", N: 1})
	recent := h.enqueue("test.thing.happened", payload{Aggregate: "a", N: 2})
	pending := h.enqueue("test.thing.happened", payload{Aggregate: "b", N: 1})
	h.exec(`UPDATE outbox SET sent_at = now() - interval '2 hours' WHERE id = $1`, old.ID)
	h.exec(`UPDATE outbox SET sent_at = now() - interval '10 minutes' WHERE id = $1`, recent.ID)

	r := NewRelay(h.db.DB, h.js, nil, RelayOptions{Retention: time.Hour})
	if err := r.prune(h.ctx()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ev   Event
		want int
	}{{old, 0}, {recent, 1}, {pending, 1}} {
		if got := h.count(`SELECT count(*) FROM outbox WHERE id = $1`, c.ev.ID); got != c.want {
			t.Errorf("row n=%s: %d rows, want %d", c.ev.Data, got, c.want)
		}
	}
}

// A row JetStream refuses (here: no stream takes its subject) holds back
// the rows of its own aggregate behind it, and nothing else; once it goes
// through, the aggregate's rows follow in order.
func TestFailingEventHoldsBackOnlyItsOwnAggregate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// The consumer starts before its stream exists, and waits for it.
	h.startConsumer(ConsumerConfig{Durable: "c", Stream: "ALL"}, recordEffect("c"))
	if err := h.js.DeleteStream(h.ctx(), testStream); err != nil {
		t.Fatal(err)
	}
	if err := EnsureStream(h.ctx(), h.js, "ALL", []string{"test.>"}); err != nil {
		t.Fatal(err)
	}
	h.startRelay(NewRelay(h.db.DB, h.js, nil, h.fastRelay()))

	stuck := h.enqueue("late.thing.happened", payload{Aggregate: "a", N: 1})
	behind := h.enqueue("test.thing.happened", payload{Aggregate: "a", N: 2})
	other := h.enqueue("test.thing.happened", payload{Aggregate: "b", N: 1})

	h.waitFor("the other aggregate's event", func() bool {
		return h.count(`SELECT count(*) FROM effect WHERE event_id = $1`, other.ID) == 1
	})
	h.waitFor("the stuck row to be retried", func() bool {
		return h.count(`SELECT count(*) FROM outbox WHERE id = $1 AND attempts >= 2 AND last_error <> ''`, stuck.ID) == 1
	})
	if n := h.count(`SELECT count(*) FROM outbox WHERE id = $1 AND sent_at IS NULL AND attempts = 0`, behind.ID); n != 1 {
		t.Fatalf("the row behind the stuck one was attempted")
	}
	later := h.enqueue("test.thing.happened", payload{Aggregate: "c", N: 1})
	h.waitFor("an event of another aggregate committed later", func() bool {
		return h.count(`SELECT count(*) FROM effect WHERE event_id = $1`, later.ID) == 1
	})

	// The operator adds the missing subject; the aggregate resumes in order.
	if err := EnsureStream(h.ctx(), h.js, "ALL", []string{"test.>", "late.>"}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the aggregate to resume", func() bool {
		return h.count(`SELECT count(*) FROM effect WHERE aggregate = 'a'`) == 2
	})
	var order []int
	if err := h.db.SelectContext(h.ctx(), &order, `SELECT n FROM effect WHERE aggregate = 'a' ORDER BY pos`); err != nil {
		t.Fatal(err)
	}
	if order[0] != 1 || order[1] != 2 {
		t.Errorf("aggregate a applied in order %v, want [1 2]", order)
	}
}

// Enqueue wakes sleeping relays with a NOTIFY at commit, but not while a
// relay is warm (has sent a row lately): notifying transactions commit one
// at a time in PostgreSQL.
func TestEnqueueNotifiesOnlyWhileNoRelayIsWarm(t *testing.T) {
	h := newHarness(t)
	l := pq.NewListener(h.db.URL, 10*time.Millisecond, time.Second, nil)
	t.Cleanup(func() { l.Close() })
	if err := l.Listen(NotifyChannel); err != nil {
		t.Fatal(err)
	}
	next := func() *pq.Notification {
		t.Helper()
		select {
		case n := <-l.Notify:
			return n
		case <-time.After(10 * time.Second):
			t.Fatal("no notification")
			return nil
		}
	}
	cases := []struct {
		name       string
		lastSent   string // SQL for the sent_at of an earlier row; "" for none
		wantNotify bool
	}{
		{"nothing ever sent", "", true},
		{"last row sent a second ago", "clock_timestamp() - interval '1 second'", true},
		{"a row sent just now", "clock_timestamp()", false},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.exec(`DELETE FROM outbox`)
			if c.lastSent != "" {
				earlier := h.enqueue("test.thing.happened", payload{Aggregate: "x", N: i})
				next() // its own, or the sentinel below would be read too early
				h.exec(`UPDATE outbox SET sent_at = `+c.lastSent+` WHERE id = $1`, earlier.ID)
			}
			h.enqueue("test.thing.happened", payload{Aggregate: "a", N: i})
			// Notifications arrive in commit order: the sentinel, sent after
			// the commit, comes first if the commit notified nothing.
			h.exec(`SELECT pg_notify($1, 'sentinel')`, NotifyChannel)
			first := next()
			if got := first.Extra != "sentinel"; got != c.wantNotify {
				t.Errorf("notified = %v, want %v", got, c.wantNotify)
			}
			if c.wantNotify {
				if n := next(); n.Extra != "sentinel" {
					t.Errorf("more than one notification: %q", n.Extra)
				}
			}
		})
	}
}
