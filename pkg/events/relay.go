package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Defaults of RelayOptions.
const (
	DefaultBatchSize    = 500
	DefaultPollInterval = time.Second
	DefaultAckTimeout   = 5 * time.Second
	DefaultMinBackoff   = 100 * time.Millisecond
	DefaultMaxBackoff   = 30 * time.Second
	DefaultRetention    = 24 * time.Hour
)

const (
	pruneInterval = time.Minute
	// warmWindow is how long a relay keeps polling every warmPoll after it
	// last sent a row. Enqueue skips its NOTIFY while some row was sent
	// less than quietBeforeNotify ago, so a writer whose transaction
	// commits within warmWindow-quietBeforeNotify of its Enqueue is
	// always seen by a warm poll.
	warmWindow = time.Second
	warmPoll   = 5 * time.Millisecond
)

// RelayOptions tune a Relay; zero fields take the defaults above.
type RelayOptions struct {
	// DatabaseURL is the URL the relay's database was opened with. The relay
	// LISTENs on a connection of its own to it and wakes at each commit that
	// enqueued events. Empty: the relay only polls.
	DatabaseURL string
	// BatchSize is how many rows one transaction claims.
	BatchSize int
	// PollInterval is the fallback for a lost notification.
	PollInterval time.Duration
	// AckTimeout bounds the wait for JetStream's acks of one batch.
	AckTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait before a row whose publish
	// failed is tried again (doubling per attempt). MaxBackoff must stay
	// below the stream's duplicate window (DefaultDuplicateWindow).
	MinBackoff, MaxBackoff time.Duration
	// Retention is how long sent rows stay in the outbox for inspection.
	Retention time.Duration
}

func (o RelayOptions) withDefaults() RelayOptions {
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = DefaultAckTimeout
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	o.MaxBackoff = max(o.MaxBackoff, o.MinBackoff)
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	return o
}

// RelayStats counts what a relay has done since it was made.
type RelayStats struct {
	Published uint64 // rows published, acknowledged and marked sent
	Failed    uint64 // publish attempts that failed (each row is retried)
	Batches   uint64 // transactions that published at least one row
}

// Relay publishes the outbox to JetStream. Any number of relays may run on
// one database (one per service replica): rows are claimed with
// FOR UPDATE SKIP LOCKED, and a row is published only when every earlier
// unsent row of its aggregate is sent or published ahead of it in the same
// batch, so replicas cannot reorder an aggregate's events.
type Relay struct {
	db   *sqlx.DB
	js   jetstream.JetStream
	log  *slog.Logger
	opts RelayOptions

	published, failed, batches atomic.Uint64

	// afterPublish, set by tests, runs once a batch is acknowledged and
	// before it is marked sent; an error abandons the batch as a crash would.
	afterPublish func(ctx context.Context, ids []string) error
}

// NewRelay returns a relay over db's outbox. js should sit on a connection
// that reconnects for ever (nats.MaxReconnects(-1)): while NATS is away the
// relay keeps every row and waits for it; a row whose publish fails is
// retried with capped exponential backoff (MinBackoff to MaxBackoff).
func NewRelay(db *sqlx.DB, js jetstream.JetStream, log *slog.Logger, opts RelayOptions) *Relay {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Relay{db: db, js: js, log: log, opts: opts.withDefaults()}
}

// Stats returns the relay's counters.
func (r *Relay) Stats() RelayStats {
	return RelayStats{Published: r.published.Load(), Failed: r.failed.Load(), Batches: r.batches.Load()}
}

// Run publishes pending rows until ctx is done, then returns nil. Database
// and NATS failures are logged and retried, never returned.
//
// While events flow, the relay polls every warmPoll and writers do not
// notify (see Enqueue); once nothing has been sent for warmWindow it sleeps
// until a notification or the PollInterval. While NATS is disconnected it
// claims nothing, and it starts again as soon as the connection is back.
func (r *Relay) Run(ctx context.Context) error {
	wake := make(chan struct{}, 1)
	if r.opts.DatabaseURL != "" {
		stop := r.listen(wake)
		defer stop()
	} else {
		r.log.Info("outbox relay has no database URL: polling only", "every", r.opts.PollInterval)
	}
	nc := r.js.Conn()
	reconnected := nc.StatusChanged(nats.CONNECTED)
	defer nc.RemoveStatusListener(reconnected)
	timer := time.NewTimer(0)
	defer timer.Stop()
	prune := time.NewTicker(pruneInterval)
	defer prune.Stop()

	var warmUntil time.Time
	retry := r.opts.MinBackoff
	connected, busy := true, false
	for {
		wait := r.opts.PollInterval
		if now := nc.IsConnected(); now != connected {
			connected = now
			if !connected {
				r.log.Warn("outbox relay: NATS is not connected, holding the outbox", "status", nc.Status().String())
			}
		}
		if connected {
			sent, err := r.drain(ctx, busy)
			busy = sent > 0
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				r.log.Warn("outbox relay: database failed", "err", err, "retry_in", retry)
				wait, retry = retry, min(2*retry, r.opts.MaxBackoff)
			} else {
				retry = r.opts.MinBackoff
				now := time.Now()
				if sent > 0 {
					warmUntil = now.Add(warmWindow)
				}
				if now.Before(warmUntil) {
					wait = warmPoll
				}
			}
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case _, ok := <-reconnected:
			if !ok {
				reconnected = nil
			}
		case <-timer.C:
		case <-prune.C:
			if err := r.prune(ctx); err != nil && ctx.Err() == nil {
				r.log.Warn("outbox relay: prune sent rows", "err", err)
			}
		}
	}
}

// listen wakes the relay on every notification (and after the listener
// reconnects, when notifications may have been missed). The returned
// function stops it.
func (r *Relay) listen(wake chan<- struct{}) (stop func()) {
	l := pq.NewListener(r.opts.DatabaseURL, 50*time.Millisecond, 2*time.Second, func(ev pq.ListenerEventType, err error) {
		if err != nil {
			r.log.Warn("outbox relay: listener", "event", ev.String(), "err", err)
		}
	})
	done := make(chan struct{})
	go func() {
		// Listen blocks until the listener is connected; the poll covers
		// the meantime.
		if err := l.Listen(NotifyChannel); err != nil && !errors.Is(err, net.ErrClosed) {
			r.log.Warn("outbox relay: listen", "channel", NotifyChannel, "err", err)
		}
	}()
	go func() {
		defer close(done)
		for range l.NotificationChannel() {
			select {
			case wake <- struct{}{}:
			default:
			}
		}
	}()
	return func() {
		l.Close()
		<-done
	}
}

// drain publishes batches until the outbox has nothing more to give now,
// and returns how many rows it sent. Unless busy (the last drain sent
// rows), it first asks whether anything is due: one cheap query instead of
// a batch transaction, for the idle polls.
func (r *Relay) drain(ctx context.Context, busy bool) (sent int, err error) {
	if !busy {
		var due bool
		if err := r.db.GetContext(ctx, &due,
			`SELECT EXISTS (SELECT 1 FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= now())`); err != nil {
			return 0, fmt.Errorf("look for due outbox rows: %w", err)
		}
		if !due {
			return 0, nil
		}
	}
	for {
		claimed, published, err := r.relayBatch(ctx)
		sent += published
		if err != nil {
			return sent, err
		}
		if claimed < r.opts.BatchSize || published == 0 {
			return sent, nil
		}
	}
}

type outboxRow struct {
	Seq       int64  `db:"seq"`
	ID        string `db:"id"`
	Aggregate string `db:"aggregate"`
	Type      string `db:"type"`
	Payload   []byte `db:"payload"`
}

// claimQuery locks up to $1 pending rows in seq order, skipping rows other
// relays hold and rows whose aggregate's head (its first unsent row) is
// waiting out a backoff. Only a head is ever in backoff: a batch never
// attempts a row of an aggregate after one of that aggregate failed.
const claimQuery = `
SELECT o.seq, o.id, o.aggregate, o.type, o.payload
FROM outbox o
WHERE o.sent_at IS NULL AND o.next_attempt_at <= now()
  AND (SELECT h.next_attempt_at FROM outbox h
       WHERE h.aggregate = o.aggregate AND h.unsent
       ORDER BY h.seq LIMIT 1) <= now()
ORDER BY o.seq
LIMIT $1
FOR UPDATE OF o SKIP LOCKED`

// blockerQuery finds, for each aggregate ($1), its first unsent row that is
// not among the claimed ($2): a claimed row after it must wait, as that row
// is held by another relay.
const blockerQuery = `
SELECT a.aggregate, b.seq
FROM unnest($1::text[]) AS a(aggregate)
CROSS JOIN LATERAL (
	SELECT e.seq FROM outbox e
	WHERE e.aggregate = a.aggregate AND e.unsent
	  AND e.seq NOT IN (SELECT unnest($2::bigint[]))
	ORDER BY e.seq LIMIT 1) b`

// relayBatch claims, publishes and marks one batch in one transaction. A
// crash anywhere before the commit leaves the rows pending: they are
// published again, and JetStream drops the copy by its Nats-Msg-Id (or, past
// the duplicate window, the consumers' inbox does).
func (r *Relay) relayBatch(ctx context.Context) (claimed, published int, err error) {
	tx, err := r.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("begin outbox batch: %w", err)
	}
	defer tx.Rollback()
	// The marks need not wait for the disk: a mark lost in a crash of
	// PostgreSQL only makes the rows go out again, as a crash of the relay
	// does.
	if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
		return 0, 0, fmt.Errorf("outbox batch: %w", err)
	}

	var rows []outboxRow
	if err := tx.SelectContext(ctx, &rows, claimQuery, r.opts.BatchSize); err != nil {
		return 0, 0, fmt.Errorf("claim outbox rows: %w", err)
	}
	if len(rows) == 0 {
		return 0, 0, nil
	}
	claimed = len(rows)
	rows, err = r.inOrder(ctx, tx, rows)
	if err != nil {
		return 0, 0, err
	}

	sent, failures := r.publish(rows)
	if len(failures) > 0 {
		r.failed.Add(uint64(len(failures)))
		r.log.Warn("outbox relay: publish failed, will retry",
			"rows", len(failures), "first_id", failures[0].id, "err", failures[0].err)
	}
	if r.afterPublish != nil && len(sent) > 0 {
		ids := make([]string, 0, len(sent))
		for _, i := range sent {
			ids = append(ids, rows[i].ID)
		}
		if err := r.afterPublish(ctx, ids); err != nil {
			return 0, 0, err
		}
	}

	if len(sent) > 0 {
		seqs := make([]int64, len(sent))
		for k, i := range sent {
			seqs[k] = rows[i].Seq
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE outbox SET sent_at = clock_timestamp(), attempts = attempts + 1, last_error = NULL WHERE seq = ANY($1)`,
			pq.Array(seqs)); err != nil {
			return 0, 0, fmt.Errorf("mark outbox rows sent: %w", err)
		}
	}
	if len(failures) > 0 {
		seqs := make([]int64, len(failures))
		msgs := make([]string, len(failures))
		for k, f := range failures {
			seqs[k], msgs[k] = f.seq, f.err.Error()
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE outbox o SET
				attempts = o.attempts + 1,
				last_error = f.err,
				next_attempt_at = now() + make_interval(secs => least($4::float8, $3::float8 * power(2::float8, o.attempts)))
			FROM unnest($1::bigint[], $2::text[]) AS f(seq, err)
			WHERE o.seq = f.seq`,
			pq.Array(seqs), pq.Array(msgs), r.opts.MinBackoff.Seconds(), r.opts.MaxBackoff.Seconds()); err != nil {
			return 0, 0, fmt.Errorf("record outbox failures: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("commit outbox batch: %w", err)
	}
	if len(sent) > 0 {
		r.published.Add(uint64(len(sent)))
		r.batches.Add(1)
	}
	return claimed, len(sent), nil
}

// inOrder keeps the claimed rows that may go out now: those with no unsent
// row of their aggregate before them outside the batch.
func (r *Relay) inOrder(ctx context.Context, tx *sqlx.Tx, rows []outboxRow) ([]outboxRow, error) {
	seqs := make([]int64, len(rows))
	var aggregates []string
	seen := make(map[string]bool, len(rows))
	for i, row := range rows {
		seqs[i] = row.Seq
		if !seen[row.Aggregate] {
			seen[row.Aggregate] = true
			aggregates = append(aggregates, row.Aggregate)
		}
	}
	var blockers []struct {
		Aggregate string `db:"aggregate"`
		Seq       int64  `db:"seq"`
	}
	if err := tx.SelectContext(ctx, &blockers, blockerQuery, pq.Array(aggregates), pq.Array(seqs)); err != nil {
		return nil, fmt.Errorf("find rows held by other relays: %w", err)
	}
	if len(blockers) == 0 {
		return rows, nil
	}
	blockedFrom := make(map[string]int64, len(blockers))
	for _, b := range blockers {
		blockedFrom[b.Aggregate] = b.Seq
	}
	ready := rows[:0]
	for _, row := range rows {
		if from, ok := blockedFrom[row.Aggregate]; ok && row.Seq > from {
			continue
		}
		ready = append(ready, row)
	}
	return ready, nil
}

type publishFailure struct {
	seq int64
	id  string
	err error
}

// publish sends the rows asynchronously in waves: wave k holds the k-th row
// of each aggregate in the batch, and goes out once wave k-1 is acknowledged,
// so a failed row never has a later row of its aggregate published before it
// (the rest of that aggregate waits for the next batch). It returns the
// indexes of the acknowledged rows and the failures.
func (r *Relay) publish(rows []outboxRow) (sent []int, failures []publishFailure) {
	var waves [][]int
	depth := make(map[string]int, len(rows))
	for i, row := range rows {
		k := depth[row.Aggregate]
		depth[row.Aggregate] = k + 1
		if k == len(waves) {
			waves = append(waves, nil)
		}
		waves[k] = append(waves[k], i)
	}

	deadline := time.NewTimer(r.opts.AckTimeout)
	defer deadline.Stop()
	timedOut := false
	blocked := make(map[string]bool)
	fail := func(i int, err error) {
		failures = append(failures, publishFailure{seq: rows[i].Seq, id: rows[i].ID, err: err})
		blocked[rows[i].Aggregate] = true
	}
	type inflight struct {
		i   int
		ack jetstream.PubAckFuture
	}
	for _, wave := range waves {
		pending := make([]inflight, 0, len(wave))
		for _, i := range wave {
			row := rows[i]
			if blocked[row.Aggregate] {
				continue
			}
			msg := &nats.Msg{
				Subject: row.Type,
				Data:    row.Payload,
				Header:  nats.Header{"Content-Type": []string{"application/cloudevents+json"}},
			}
			ack, err := r.js.PublishMsgAsync(msg, jetstream.WithMsgID(row.ID))
			if err != nil {
				fail(i, fmt.Errorf("publish %s: %w", row.Type, err))
				continue
			}
			pending = append(pending, inflight{i, ack})
		}
		for _, p := range pending {
			if timedOut {
				select {
				case <-p.ack.Ok():
					sent = append(sent, p.i)
				default:
					fail(p.i, fmt.Errorf("no ack within %s", r.opts.AckTimeout))
				}
				continue
			}
			select {
			case <-p.ack.Ok():
				sent = append(sent, p.i)
			case err := <-p.ack.Err():
				fail(p.i, fmt.Errorf("publish %s: %w", rows[p.i].Type, err))
			case <-deadline.C:
				timedOut = true
				fail(p.i, fmt.Errorf("no ack within %s", r.opts.AckTimeout))
			}
		}
		if timedOut {
			break // later waves stay pending, untouched, for the next batch
		}
	}
	return sent, failures
}

// prune deletes sent rows older than the retention, a slice at a time.
func (r *Relay) prune(ctx context.Context) error {
	for {
		res, err := r.db.ExecContext(ctx, `
			DELETE FROM outbox WHERE seq IN (
				SELECT seq FROM outbox
				WHERE sent_at < now() - make_interval(secs => $1::float8)
				LIMIT 10000)`, r.opts.Retention.Seconds())
		if err != nil {
			return fmt.Errorf("prune outbox: %w", err)
		}
		if n, _ := res.RowsAffected(); n < 10000 {
			return nil
		}
	}
}
