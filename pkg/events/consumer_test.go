package events

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"gerbang/pkg/apperr"
)

// poisonOr fails on events whose payload is poison (as the poison says) and
// records the others.
func poisonOr(consumer string, poison *failingHandler) Handler {
	record := recordEffect(consumer)
	return func(ctx context.Context, tx *sqlx.Tx, ev Event) error {
		var p payload
		if err := Decode(ev, &p); err != nil {
			return err
		}
		if p.Poison != "" {
			return poison.handle(ctx, tx, ev)
		}
		return record(ctx, tx, ev)
	}
}

func TestPoisonMessageEndsInTheDeadLetters(t *testing.T) {
	const maxDeliver = 3
	cases := []struct {
		name           string
		err            func() error
		wantDeliveries int
		wantError      string
	}{
		{"failing every time: after MaxDeliver", func() error { return errors.New("ledger says no") }, maxDeliver, "ledger says no"},
		{"permanent error: at once", func() error { return Permanent(errors.New("unknown KBLI")) }, 1, "unknown KBLI"},
		{"panicking handler: after MaxDeliver", func() error { panic("nil map") }, maxDeliver, "handler panicked: nil map"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			poison := &failingHandler{err: c.err}
			h.startConsumer(ConsumerConfig{
				Durable:    "c",
				MaxDeliver: maxDeliver,
				Backoff:    []time.Duration{10 * time.Millisecond, 20 * time.Millisecond},
			}, poisonOr("c", poison))
			h.startRelay(NewRelay(h.db.DB, h.js, nil, h.fastRelay()))

			bad := h.enqueue("test.thing.happened", payload{Aggregate: "a", N: 1, Poison: "yes"})
			good := h.enqueue("test.thing.happened", payload{Aggregate: "b", N: 1})

			h.waitFor("the dead letter", func() bool {
				return h.count(`SELECT count(*) FROM dead_letter`) == 1
			})
			h.waitConsumerIdle("c")
			if got := poison.Calls(); got != c.wantDeliveries {
				t.Errorf("handler ran %d times on the poison, want %d", got, c.wantDeliveries)
			}
			if n := h.count(`SELECT count(*) FROM effect WHERE event_id = $1`, good.ID); n != 1 {
				t.Errorf("the poison held up the next event")
			}
			dls, err := DeadLetters(h.ctx(), h.db, "c")
			if err != nil {
				t.Fatal(err)
			}
			if len(dls) != 1 {
				t.Fatalf("DeadLetters = %d rows, want 1", len(dls))
			}
			dl := dls[0]
			if dl.EventID != bad.ID || dl.Consumer != "c" || dl.Stream != testStream ||
				dl.Subject != "test.thing.happened" || dl.Deliveries != c.wantDeliveries ||
				!strings.Contains(dl.Error, c.wantError) || dl.ReplayedAt != nil {
				t.Errorf("dead letter %+v", dl)
			}
			if ev, err := Parse(dl.Payload); err != nil || ev.ID != bad.ID {
				t.Errorf("stored payload does not hold the event: %v", err)
			}
			if n := h.count(`SELECT count(*) FROM inbox WHERE event_id = $1`, bad.ID); n != 0 {
				t.Errorf("a failed event is in the inbox")
			}
		})
	}
}

func TestDeadLetterCanBeReplayedOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	poison := &failingHandler{err: func() error { return Permanent(errors.New("not yet")) }}
	h.startConsumer(ConsumerConfig{Durable: "c"}, poisonOr("c", poison))
	h.startRelay(NewRelay(h.db.DB, h.js, nil, h.fastRelay()))

	bad := h.enqueue("test.thing.happened", payload{Aggregate: "a", N: 7, Poison: "yes"})
	h.waitFor("the dead letter", func() bool { return h.count(`SELECT count(*) FROM dead_letter`) == 1 })
	dls, err := DeadLetters(h.ctx(), h.db, "")
	if err != nil || len(dls) != 1 {
		t.Fatalf("DeadLetters = %v, %v", dls, err)
	}
	id := dls[0].ID

	// A handler that still fails leaves the dead letter as it was.
	err = ReplayDeadLetter(h.ctx(), h.db.DB, id, func(context.Context, *sqlx.Tx, Event) error {
		return errors.New("still broken")
	})
	if err == nil || !strings.Contains(err.Error(), "still broken") {
		t.Fatalf("replay with a failing handler = %v", err)
	}
	// The fixed handler applies it, once.
	fixed := recordEffect("c")
	if err := ReplayDeadLetter(h.ctx(), h.db.DB, id, fixed); err != nil {
		t.Fatal(err)
	}
	if n := h.count(`SELECT count(*) FROM effect WHERE event_id = $1 AND n = 7`, bad.ID); n != 1 {
		t.Errorf("replay applied the event %d times, want once", n)
	}
	if n := h.count(`SELECT count(*) FROM inbox WHERE consumer = 'c' AND event_id = $1`, bad.ID); n != 1 {
		t.Errorf("replay did not record the event in the inbox")
	}
	dls, _ = DeadLetters(h.ctx(), h.db, "c")
	if len(dls) != 1 || dls[0].ReplayedAt == nil {
		t.Errorf("dead letter not marked replayed: %+v", dls)
	}

	cases := []struct {
		name string
		id   int64
		want apperr.Code
	}{
		{"replayed again", id, apperr.Conflict},
		{"unknown id", id + 1000, apperr.NotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := ReplayDeadLetter(h.ctx(), h.db.DB, c.id, fixed); !apperr.Is(err, c.want) {
				t.Errorf("ReplayDeadLetter = %v, want %s", err, c.want)
			}
		})
	}
	if n := h.count(`SELECT count(*) FROM effect`); n != 1 {
		t.Errorf("%d effects after the refused replays, want 1", n)
	}
}

func TestReplayOfAnEventAlreadyAppliedDoesNotApplyItAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ev := h.event("test.thing.happened", payload{Aggregate: "a", N: 1})
	raw, _ := json.Marshal(ev)
	h.exec(`INSERT INTO inbox (consumer, event_id) VALUES ('c', $1)`, ev.ID)
	h.exec(`INSERT INTO dead_letter (consumer, stream, stream_seq, subject, event_id, payload, error, deliveries)
		VALUES ('c', 'TEST', 1, 'test.thing.happened', $1, $2, 'ack lost after apply', 5)`, ev.ID, raw)
	dls, _ := DeadLetters(h.ctx(), h.db, "c")

	ran := false
	err := ReplayDeadLetter(h.ctx(), h.db.DB, dls[0].ID, func(context.Context, *sqlx.Tx, Event) error {
		ran = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ran {
		t.Error("handler ran for an event the inbox already holds")
	}
	dls, _ = DeadLetters(h.ctx(), h.db, "c")
	if dls[0].ReplayedAt == nil {
		t.Error("dead letter not marked replayed")
	}
}

func TestUndecodableMessageIsDeadLetteredAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var calls atomic.Int32
	h.startConsumer(ConsumerConfig{Durable: "c"}, func(context.Context, *sqlx.Tx, Event) error {
		calls.Add(1)
		return nil
	})
	if _, err := h.js.Publish(h.ctx(), "test.garbage", []byte("{not an event")); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the dead letter", func() bool { return h.count(`SELECT count(*) FROM dead_letter`) == 1 })
	h.waitConsumerIdle("c")
	dls, err := DeadLetters(h.ctx(), h.db, "c")
	if err != nil {
		t.Fatal(err)
	}
	dl := dls[0]
	if dl.EventID != "" || dl.Deliveries != 1 || string(dl.Payload) != "{not an event" || !strings.Contains(dl.Error, "undecodable") {
		t.Errorf("dead letter %+v", dl)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("handler ran %d times on garbage", n)
	}
	if err := ReplayDeadLetter(h.ctx(), h.db.DB, dl.ID, recordEffect("c")); !apperr.Is(err, apperr.Unprocessable) {
		t.Errorf("replay of garbage = %v, want unprocessable", err)
	}
}

// A copy that escapes JetStream's duplicate detection (another Nats-Msg-Id,
// or past the window) is acked and skipped by the inbox.
func TestDuplicateDeliveryIsSkippedByTheInbox(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ev := h.event("test.thing.happened", payload{Aggregate: "a", N: 1})
	raw, _ := json.Marshal(ev)
	for _, msgID := range []string{"first", "second", "third"} {
		m := &nats.Msg{Subject: ev.Type, Data: raw}
		if _, err := h.js.PublishMsg(h.ctx(), m, jetstream.WithMsgID(msgID)); err != nil {
			t.Fatal(err)
		}
	}
	var calls atomic.Int32
	record := recordEffect("c")
	h.startConsumer(ConsumerConfig{Durable: "c", DoubleAck: true}, func(ctx context.Context, tx *sqlx.Tx, ev Event) error {
		calls.Add(1)
		return record(ctx, tx, ev)
	})
	h.waitConsumerIdle("c")
	if n := h.count(`SELECT count(*) FROM effect WHERE event_id = $1`, ev.ID); n != 1 {
		t.Errorf("event applied %d times, want once", n)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("handler ran %d times, want once", n)
	}
	if n := h.count(`SELECT count(*) FROM dead_letter`); n != 0 {
		t.Errorf("duplicates were dead-lettered")
	}
}

func TestEachConsumerAppliesAnEventOnItsOwn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startConsumer(ConsumerConfig{Durable: "licensing"}, recordEffect("licensing"))
	h.startConsumer(ConsumerConfig{Durable: "tender", FilterSubjects: []string{"test.invoice.>"}}, recordEffect("tender"))
	h.startRelay(NewRelay(h.db.DB, h.js, nil, h.fastRelay()))

	paid := h.enqueue("test.invoice.paid", payload{Aggregate: "inv", N: 1})
	other := h.enqueue("test.license.issued", payload{Aggregate: "lic", N: 1})
	h.waitConsumerIdle("licensing")
	h.waitConsumerIdle("tender")
	cases := []struct {
		consumer string
		ev       Event
		want     int
	}{
		{"licensing", paid, 1},
		{"licensing", other, 1},
		{"tender", paid, 1},
		{"tender", other, 0},
	}
	for _, c := range cases {
		if got := h.count(`SELECT count(*) FROM effect WHERE consumer = $1 AND event_id = $2`, c.consumer, c.ev.ID); got != c.want {
			t.Errorf("%s applied %s %d times, want %d", c.consumer, c.ev.Type, got, c.want)
		}
	}
}

func TestConsumeRefusesAnIncompleteConfig(t *testing.T) {
	ok := func(context.Context, *sqlx.Tx, Event) error { return nil }
	cases := []struct {
		name    string
		cfg     ConsumerConfig
		handler Handler
	}{
		{"no stream", ConsumerConfig{Durable: "c"}, ok},
		{"no durable name", ConsumerConfig{Stream: "S"}, ok},
		{"no handler", ConsumerConfig{Stream: "S", Durable: "c"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := Consume(context.Background(), nil, nil, c.cfg, c.handler); err == nil {
				t.Error("Consume accepted it")
			}
		})
	}
}

func TestConsumerOfSeveralSubjectsFiltersItselfOnOlderServers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.startConsumer(ConsumerConfig{
		Durable:        "tender",
		FilterSubjects: []string{"test.invoice.paid", "test.license.*"},
		filterOnClient: true,
	}, recordEffect("tender"))
	h.startRelay(NewRelay(h.db.DB, h.js, nil, h.fastRelay()))

	paid := h.enqueue("test.invoice.paid", payload{Aggregate: "inv", N: 1})
	expired := h.enqueue("test.invoice.expired", payload{Aggregate: "inv", N: 2})
	issued := h.enqueue("test.license.issued", payload{Aggregate: "lic", N: 1})
	h.waitConsumerIdle("tender")
	for _, c := range []struct {
		ev   Event
		want int
	}{{paid, 1}, {expired, 0}, {issued, 1}} {
		if got := h.count(`SELECT count(*) FROM effect WHERE consumer = 'tender' AND event_id = $1`, c.ev.ID); got != c.want {
			t.Errorf("%s applied %d times, want %d", c.ev.Type, got, c.want)
		}
	}
	if got := h.count(`SELECT count(*) FROM inbox WHERE consumer = 'tender'`); got != 2 {
		t.Errorf("inbox holds %d events, want the 2 handled", got)
	}
}
