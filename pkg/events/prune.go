package events

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"
)

// Retention of the consumers' tables. Each number has a reason:
//
//   - DefaultInboxRetention, 30 days: an inbox row stops a second copy of
//     its event. A copy can come from the stream only while the event is
//     in it (DefaultStreamMaxAge, 14 days), or from a relay publishing a
//     row again after NATS was away longer than the duplicate window; 30
//     days covers both with the margin of a second long holiday.
//   - DefaultDeadLetterRetention, 90 days: a dead letter is an operator's
//     work item. Replayed or not, one older than a quarter (the cycle of
//     the ministry's operational review) has been seen and decided on.
const (
	DefaultInboxRetention      = 30 * 24 * time.Hour
	DefaultDeadLetterRetention = 90 * 24 * time.Hour
	DefaultPruneInterval       = time.Hour
)

// pruneBatch bounds the rows one DELETE removes, so a prune never holds
// many locks or one long transaction.
const pruneBatch = 5000

// PruneInbox deletes inbox rows processed more than olderThan ago, in
// batches of their own transactions, and returns how many it deleted. Rows
// another replica's prune has locked are skipped (FOR UPDATE SKIP LOCKED),
// so replicas pruning at once share the work instead of waiting on it.
func PruneInbox(ctx context.Context, db *sqlx.DB, olderThan time.Duration) (int64, error) {
	return pruneInBatches(ctx, db, "inbox", `
		DELETE FROM inbox WHERE (consumer, event_id) IN (
			SELECT consumer, event_id FROM inbox
			WHERE processed_at < now() - make_interval(secs => $1::float8)
			LIMIT $2 FOR UPDATE SKIP LOCKED)`, olderThan)
}

// PruneDeadLetters deletes dead letters older than olderThan (by their
// replay, or by their failure when never replayed), in batches, as
// PruneInbox does.
func PruneDeadLetters(ctx context.Context, db *sqlx.DB, olderThan time.Duration) (int64, error) {
	return pruneInBatches(ctx, db, "dead_letter", `
		DELETE FROM dead_letter WHERE id IN (
			SELECT id FROM dead_letter
			WHERE coalesce(replayed_at, failed_at) < now() - make_interval(secs => $1::float8)
			LIMIT $2 FOR UPDATE SKIP LOCKED)`, olderThan)
}

func pruneInBatches(ctx context.Context, db *sqlx.DB, table, query string, olderThan time.Duration) (int64, error) {
	if olderThan <= 0 {
		return 0, fmt.Errorf("prune %s: retention %s is not positive", table, olderThan)
	}
	var total int64
	for {
		res, err := db.ExecContext(ctx, query, olderThan.Seconds(), pruneBatch)
		if err != nil {
			return total, fmt.Errorf("prune %s: %w", table, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("prune %s: %w", table, err)
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}

// PruneOptions say how long the consumers' tables keep their rows; zero
// fields take the defaults above.
type PruneOptions struct {
	Inbox, DeadLetters time.Duration
	Every              time.Duration
}

// RunPruner prunes the inbox and the dead letters every opts.Every until ctx
// is done. A failed prune is logged and tried again at the next tick.
func RunPruner(ctx context.Context, db *sqlx.DB, log *slog.Logger, opts PruneOptions) error {
	if opts.Inbox <= 0 {
		opts.Inbox = DefaultInboxRetention
	}
	if opts.DeadLetters <= 0 {
		opts.DeadLetters = DefaultDeadLetterRetention
	}
	if opts.Every <= 0 {
		opts.Every = DefaultPruneInterval
	}
	tick := time.NewTicker(opts.Every)
	defer tick.Stop()
	for {
		for _, p := range []struct {
			table string
			prune func(context.Context, *sqlx.DB, time.Duration) (int64, error)
			keep  time.Duration
		}{{"inbox", PruneInbox, opts.Inbox}, {"dead_letter", PruneDeadLetters, opts.DeadLetters}} {
			n, err := p.prune(ctx, db, p.keep)
			switch {
			case err != nil && ctx.Err() == nil:
				log.Warn("prune failed", "table", p.table, "err", err)
			case n > 0:
				log.Info("pruned", "table", p.table, "rows", n, "older_than", p.keep.String())
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
