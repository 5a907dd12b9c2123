package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/nats-io/nats.go/jetstream"

	"gerbang/pkg/tracing"
)

// Handler applies one event. Its writes go through tx, the transaction that
// also records the event in the inbox, so an event is applied at most once
// per consumer. It must have no effect outside tx: it may run more than once
// for one event (a shared transaction that another event failed is rolled
// back and run again). Returning an error rolls the effect back; the
// message is redelivered after a backoff, or dead-lettered at once if the
// error is Permanent, or after MaxDeliver deliveries.
type Handler func(ctx context.Context, tx *sqlx.Tx, ev Event) error

// Defaults of ConsumerConfig.
const (
	DefaultMaxDeliver = 5
	DefaultAckWait    = 30 * time.Second
)

// defaultBackoff is the wait before each redelivery after a handler error;
// the last entry repeats.
func defaultBackoff() []time.Duration {
	return []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute}
}

// ConsumerConfig describes a durable pull consumer.
type ConsumerConfig struct {
	Stream         string   // e.g. "PAYMENT"
	Durable        string   // the consumer's name, also its name in the inbox and the dead letters
	FilterSubjects []string // e.g. "payment.invoice.paid"; none: the whole stream
	// MaxDeliver is how many deliveries a failing message gets before it is
	// dead-lettered. Counted here rather than by the server, which would
	// drop the message silently.
	MaxDeliver int
	Backoff    []time.Duration // wait before redelivery after the n-th failure, last repeating; default 1s, 5s, 30s, 2m
	DoubleAck  bool            // wait for the server to confirm each ack (for money)
	AckWait    time.Duration   // how long a handler may run before the server redelivers
	// Concurrency is how many transactions apply events at once. With 1
	// (the default) events are applied in stream order; with more, events
	// with the same CloudEvents subject (the aggregate they are about)
	// still are, and events about different things may overtake each other.
	Concurrency int
	// Replicas is how many NATS servers hold the consumer's state; zero
	// takes the stream's own count (1 on a single server, 3 in a cluster,
	// from the configuration the stream was ensured with), so a consumer
	// survives the loss of a node exactly when its stream does.
	Replicas int
	Log      *slog.Logger
	// filterOnClient makes the consumer filter as it must on a server older
	// than 2.10 (for tests, which run a newer one).
	filterOnClient bool
}

func (c ConsumerConfig) withDefaults() ConsumerConfig {
	if c.MaxDeliver <= 0 {
		c.MaxDeliver = DefaultMaxDeliver
	}
	if len(c.Backoff) == 0 {
		c.Backoff = defaultBackoff()
	}
	if c.AckWait <= 0 {
		c.AckWait = DefaultAckWait
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}

// Consume runs a durable pull consumer with explicit acks until ctx is done,
// then returns nil. For each message it runs handler and records the event
// in the inbox in one transaction; an event already in the inbox is acked
// and skipped. NATS or PostgreSQL being away is logged and waited out (the
// consumer is created again if it disappears); only a bad configuration is
// returned as an error.
func Consume(ctx context.Context, js jetstream.JetStream, db *sqlx.DB, cfg ConsumerConfig, handler Handler) error {
	if cfg.Stream == "" || cfg.Durable == "" || handler == nil {
		return errors.New("consume: stream, durable name and handler are required")
	}
	c := &consumer{js: js, db: db, cfg: cfg.withDefaults(), handler: handler}
	retry := 100 * time.Millisecond
	for {
		progressed, err := c.run(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if progressed {
			retry = 100 * time.Millisecond
		}
		c.cfg.Log.Warn("consumer stopped, restarting", "consumer", cfg.Durable, "err", err, "retry_in", retry)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(retry):
		}
		retry = min(2*retry, 30*time.Second)
	}
}

type consumer struct {
	js      jetstream.JetStream
	db      *sqlx.DB
	cfg     ConsumerConfig
	handler Handler
	// clientFilters, when set, are the subjects this consumer handles of a
	// stream it reads whole (see consumerFilters).
	clientFilters []string
}

// maxBatch bounds how many messages one transaction applies.
const maxBatch = 64

// run creates (or updates) the consumer and handles its messages in stream
// order until ctx is done or the subscription fails. Messages that arrive
// while a transaction runs are applied together in the next one, so a
// consumer under load pays one commit for many events.
func (c *consumer) run(ctx context.Context) (progressed bool, err error) {
	serverFilters, clientFilters := consumerFilters(c.js, c.cfg.FilterSubjects)
	if c.cfg.filterOnClient {
		serverFilters, clientFilters = nil, c.cfg.FilterSubjects
	}
	c.clientFilters = clientFilters
	cfg := jetstream.ConsumerConfig{
		Durable:        c.cfg.Durable,
		FilterSubjects: serverFilters,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        c.cfg.AckWait,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		MaxDeliver:     -1, // bounded by settle, which dead-letters instead of dropping
		Replicas:       c.cfg.Replicas,
	}
	if cfg.Replicas <= 0 {
		// Set explicitly rather than left to the server, so that a consumer
		// made before its stream was scaled up is scaled with it.
		stream, err := c.js.Stream(ctx, c.cfg.Stream)
		if err != nil {
			return false, fmt.Errorf("stream %s of consumer %s: %w", c.cfg.Stream, c.cfg.Durable, err)
		}
		cfg.Replicas = stream.CachedInfo().Config.Replicas
	}
	if len(serverFilters) == 1 {
		// Servers before 2.10 know only the single filter field.
		cfg.FilterSubject, cfg.FilterSubjects = serverFilters[0], nil
	}
	cons, err := c.js.CreateOrUpdateConsumer(ctx, c.cfg.Stream, cfg)
	if err != nil {
		return false, fmt.Errorf("create consumer %s on %s: %w", c.cfg.Durable, c.cfg.Stream, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(2 * maxBatch))
	if err != nil {
		return false, fmt.Errorf("subscribe consumer %s: %w", c.cfg.Durable, err)
	}

	// The feeder moves fetched messages into a channel, so that a batch can
	// take what is there without waiting.
	feedCtx, stopFeed := context.WithCancel(ctx)
	feed := make(chan jetstream.Msg, maxBatch)
	fed := make(chan error, 1)
	go func() {
		defer close(feed)
		for {
			msg, err := it.Next(jetstream.NextContext(feedCtx))
			if err != nil {
				fed <- err
				return
			}
			select {
			case feed <- msg:
			case <-feedCtx.Done():
				_ = msg.Nak()
				fed <- feedCtx.Err()
				return
			}
		}
	}()
	defer func() {
		stopFeed()
		it.Stop()
		for msg := range feed {
			_ = msg.Nak() // fetched, not handled: another replica may take it now
		}
	}()

	if c.cfg.Concurrency <= 1 {
		progressed = c.work(ctx, feed)
	} else {
		progressed = c.workInLanes(ctx, feed)
	}
	return progressed, fmt.Errorf("next message of %s: %w", c.cfg.Durable, <-fed)
}

// work applies the messages of in, in order, taking as one batch whatever
// has arrived while the previous batch ran. It reports whether it handled
// any.
func (c *consumer) work(ctx context.Context, in <-chan jetstream.Msg) (progressed bool) {
	batch := make([]jetstream.Msg, 0, maxBatch)
	for msg := range in {
		batch = append(batch[:0], msg)
	take:
		for len(batch) < maxBatch {
			select {
			case m, ok := <-in:
				if !ok {
					break take
				}
				batch = append(batch, m)
			default:
				break take
			}
		}
		c.handleBatch(ctx, batch)
		progressed = true
	}
	return progressed
}

// workInLanes spreads the messages over Concurrency workers by the events'
// subject, so that the events about one thing keep their order.
func (c *consumer) workInLanes(ctx context.Context, feed <-chan jetstream.Msg) (progressed bool) {
	lanes := make([]chan jetstream.Msg, c.cfg.Concurrency)
	var wg sync.WaitGroup
	var handled atomic.Bool
	for i := range lanes {
		lanes[i] = make(chan jetstream.Msg, maxBatch)
		wg.Go(func() {
			if c.work(ctx, lanes[i]) {
				handled.Store(true)
			}
		})
	}
	for msg := range feed {
		lanes[laneOf(msg.Data(), len(lanes))] <- msg
	}
	for _, l := range lanes {
		close(l)
	}
	wg.Wait()
	return handled.Load()
}

// laneOf hashes the event's subject (its type when it has none); a message
// that does not parse goes to lane 0, where it is dead-lettered.
func laneOf(data []byte, lanes int) int {
	var key struct {
		Subject string `json:"subject"`
		Type    string `json:"type"`
	}
	if json.Unmarshal(data, &key) != nil {
		return 0
	}
	h := fnv.New32a()
	if key.Subject != "" {
		h.Write([]byte(key.Subject))
	} else {
		h.Write([]byte(key.Type))
	}
	return int(h.Sum32() % uint32(lanes))
}

// delivery is a message that parsed as an event.
type delivery struct {
	msg jetstream.Msg
	md  *jetstream.MsgMetadata
	ev  Event
	log *slog.Logger
}

// handlerError is an error returned by the Handler, as opposed to one of
// the database around it (which never dead-letters a message).
type handlerError struct{ err error }

func (e *handlerError) Error() string { return e.err.Error() }
func (e *handlerError) Unwrap() error { return e.err }

func (c *consumer) handleBatch(ctx context.Context, msgs []jetstream.Msg) {
	ds := make([]delivery, 0, len(msgs))
	for _, msg := range msgs {
		md, err := msg.Metadata()
		if err != nil {
			// Not a JetStream delivery: nothing to record it by.
			c.cfg.Log.Error("consumer got a message without metadata", "consumer", c.cfg.Durable, "err", err)
			_ = msg.Term()
			continue
		}
		if c.clientFilters != nil && !matchesAny(c.clientFilters, msg.Subject()) {
			_ = msg.Ack() // another consumer's subject in a stream read whole
			continue
		}
		log := c.cfg.Log.With("consumer", c.cfg.Durable, "stream_seq", md.Sequence.Stream, "delivery", md.NumDelivered)
		ev, err := Parse(msg.Data())
		if err != nil {
			c.deadLetter(ctx, log, msg, md, "", fmt.Errorf("undecodable event: %w", err))
			continue
		}
		ds = append(ds, delivery{msg: msg, md: md, ev: ev, log: log.With("event_id", ev.ID, "type", ev.Type)})
	}
	c.apply(ctx, ds)
}

// apply applies ds in one transaction and acks them. When one fails, the
// transaction is rolled back; the ones before it are applied again on their
// own, the failing one is settled with its error (its handler runs once per
// delivery), and the ones after it go on the same way.
func (c *consumer) apply(ctx context.Context, ds []delivery) {
	if len(ds) == 0 {
		return
	}
	failed, err := c.applyRun(ctx, ds)
	switch {
	case err == nil:
		for _, d := range ds {
			c.ack(ctx, d)
		}
	case failed < 0: // the database failed: nothing is known to be applied
		for _, d := range ds {
			c.settle(ctx, d, err)
		}
	default:
		c.apply(ctx, ds[:failed])
		c.settle(ctx, ds[failed], err)
		c.apply(ctx, ds[failed+1:])
	}
}

// applyRun records ds in the inbox and runs the handler of each new event,
// in one transaction, and commits it. It returns the index of the delivery
// whose handler failed, or -1 when the database did.
func (c *consumer) applyRun(ctx context.Context, ds []delivery) (failed int, err error) {
	tx, err := c.db.BeginTxx(ctx, nil)
	if err != nil {
		return -1, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	fresh, err := recordInInbox(ctx, tx, c.cfg.Durable, ds)
	if err != nil {
		return -1, err
	}
	for i, d := range ds {
		if !fresh[d.ev.ID] {
			continue // applied before, or a second copy in this batch
		}
		delete(fresh, d.ev.ID)
		hctx, span := tracing.StartConsumer(ctx, d.ev.TraceParent, d.ev.TraceState, d.ev.Type, c.cfg.Durable)
		err := runHandler(hctx, c.handler, tx, d.ev)
		tracing.End(span, err)
		if err != nil {
			return i, &handlerError{err: err}
		}
	}
	if err := tx.Commit(); err != nil {
		return -1, fmt.Errorf("commit: %w", err)
	}
	return len(ds), nil
}

// recordInInbox inserts the events of ds into the inbox of consumer in one
// statement and returns the ids that were not there yet. A concurrent
// transaction recording the same event waits for this one and then finds
// it taken.
func recordInInbox(ctx context.Context, tx *sqlx.Tx, consumer string, ds []delivery) (map[string]bool, error) {
	ids := make([]string, 0, len(ds))
	seen := make(map[string]bool, len(ds))
	for _, d := range ds {
		if !seen[d.ev.ID] {
			seen[d.ev.ID] = true
			ids = append(ids, d.ev.ID)
		}
	}
	var inserted []string
	err := tx.SelectContext(ctx, &inserted, `
		INSERT INTO inbox (consumer, event_id) SELECT $1, unnest($2::uuid[])
		ON CONFLICT DO NOTHING
		RETURNING event_id`, consumer, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("record %d events in inbox: %w", len(ids), err)
	}
	fresh := make(map[string]bool, len(inserted))
	for _, id := range inserted {
		fresh[id] = true
	}
	return fresh, nil
}

// settle decides the fate of a delivery that could not be applied.
func (c *consumer) settle(ctx context.Context, d delivery, err error) {
	var he *handlerError
	switch {
	case errors.As(err, &he) && (IsPermanent(err) || d.md.NumDelivered >= uint64(c.cfg.MaxDeliver)):
		c.deadLetter(ctx, d.log, d.msg, d.md, d.ev.ID, err)
	case ctx.Err() != nil:
		_ = d.msg.Nak() // shutting down: another replica may take it now
	default:
		delay := c.backoff(d.md.NumDelivered)
		d.log.Warn("event handling failed, will redeliver", "err", err, "in", delay)
		if err := d.msg.NakWithDelay(delay); err != nil {
			d.log.Warn("nak failed; the server redelivers after the ack wait", "err", err)
		}
	}
}

// applyOnce records ev in the inbox of consumer and, if it was not there,
// runs h, all in tx (for a replay).
func applyOnce(ctx context.Context, tx *sqlx.Tx, consumer string, ev Event, h Handler) (applied bool, err error) {
	res, err := tx.ExecContext(ctx,
		`INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, consumer, ev.ID)
	if err != nil {
		return false, fmt.Errorf("record event %s in inbox: %w", ev.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	if err := runHandler(ctx, h, tx, ev); err != nil {
		return false, &handlerError{err: err}
	}
	return true, nil
}

// runHandler turns a handler's panic into an error, so a poison message
// ends in the dead letters instead of crashing the service at each delivery.
func runHandler(ctx context.Context, h Handler, tx *sqlx.Tx, ev Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return h(ctx, tx, ev)
}

func (c *consumer) ack(ctx context.Context, d delivery) {
	var err error
	if c.cfg.DoubleAck {
		err = d.msg.DoubleAck(ctx)
	} else {
		err = d.msg.Ack()
	}
	if err != nil {
		// The redelivery that follows is skipped by the inbox.
		d.log.Warn("ack failed", "err", err)
	}
}

func (c *consumer) backoff(delivered uint64) time.Duration {
	i := min(int(delivered)-1, len(c.cfg.Backoff)-1)
	return c.cfg.Backoff[max(i, 0)]
}

// deadLetter stores the message and terminates it. If the store fails, the
// message is redelivered later and judged again.
func (c *consumer) deadLetter(ctx context.Context, log *slog.Logger, msg jetstream.Msg, md *jetstream.MsgMetadata, eventID string, cause error) {
	_, err := c.db.ExecContext(ctx, `
		INSERT INTO dead_letter (consumer, stream, stream_seq, subject, event_id, payload, error, deliveries)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (consumer, stream, stream_seq) DO NOTHING`,
		c.cfg.Durable, md.Stream, int64(md.Sequence.Stream), msg.Subject(), eventID, msg.Data(), cause.Error(), int(md.NumDelivered))
	if err != nil {
		log.Error("dead-lettering failed, will redeliver", "err", err, "cause", cause)
		_ = msg.NakWithDelay(c.backoff(md.NumDelivered))
		return
	}
	log.Error("event dead-lettered", "err", cause)
	if err := msg.Term(); err != nil {
		log.Warn("term failed; a redelivery will be judged again", "err", err)
	}
}
