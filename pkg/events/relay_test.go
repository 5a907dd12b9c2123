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
	ev := h.enqueue("test.thing.happened", payload{Aggregate: "a", N: 1})
	// The relay keeps trying (its first attempt may sit in the client's
	// reconnect buffer and reach the stream when NATS is back); NATS stays
	// away until the duplicate window has long passed.
	h.waitFor("failed attempts past twice the duplicate window", func() bool {
		return h.count(`SELECT count(*) FROM outbox
			WHERE id = $1 AND sent_at IS NULL AND attempts >= 2
			  AND now() - created_at > make_interval(secs => $2)`, ev.ID, 2*window.Seconds()) == 1
	})
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
// crashes now and then before marking), one consumer: each aggregate's
// events are applied in the order their transactions committed.
func TestEventsOfOneAggregateArriveInCommitOrder(t *testing.T) {
	t.Parallel()
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
	h.startConsumer(ConsumerConfig{Durable: "c"}, recordEffect("c"))

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
	h.startRelay(crashy)
	h.startRelay(NewRelay(h.db.DB, h.js, nil, opts))

	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range perWriter {
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
	if n := h.count(`SELECT count(*) FROM outbox WHERE sent_at IS NULL`); n != 0 {
		t.Errorf("%d rows left unsent", n)
	}
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
