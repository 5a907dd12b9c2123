package events

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/apperr"
	"gerbang/pkg/dbx"
)

// DeadLetter is a message a consumer gave up on.
type DeadLetter struct {
	ID         int64      `db:"id" json:"id"`
	Consumer   string     `db:"consumer" json:"consumer"`
	Stream     string     `db:"stream" json:"stream"`
	StreamSeq  int64      `db:"stream_seq" json:"stream_seq"`
	Subject    string     `db:"subject" json:"subject"`
	EventID    string     `db:"event_id" json:"event_id,omitempty"` // empty when the message did not parse
	Payload    []byte     `db:"payload" json:"payload"`             // the message as delivered
	Error      string     `db:"error" json:"error"`
	Deliveries int        `db:"deliveries" json:"deliveries"`
	FailedAt   time.Time  `db:"failed_at" json:"failed_at"`
	ReplayedAt *time.Time `db:"replayed_at" json:"replayed_at,omitempty"`
}

// DeadLetters lists the dead letters of consumer (all consumers when it is
// empty), replayed ones included, oldest first.
func DeadLetters(ctx context.Context, db sqlx.QueryerContext, consumer string) ([]DeadLetter, error) {
	var out []DeadLetter
	err := sqlx.SelectContext(ctx, db, &out, `
		SELECT id, consumer, stream, stream_seq, subject, event_id, payload, error, deliveries, failed_at, replayed_at
		FROM dead_letter
		WHERE $1 = '' OR consumer = $1
		ORDER BY id`, consumer)
	if err != nil {
		return nil, fmt.Errorf("list dead letters of %q: %w", consumer, err)
	}
	return out, nil
}

// ReplayDeadLetter runs handler again on the stored event, in one
// transaction with the consumer's inbox (so an event that was applied after
// all is not applied twice) and with marking the dead letter replayed. A
// handler error leaves the dead letter as it was and is returned. Errors:
// apperr NotFound (no such dead letter), Conflict (already replayed),
// Unprocessable (the stored message is not an event).
func ReplayDeadLetter(ctx context.Context, db *sqlx.DB, id int64, handler Handler) error {
	return dbx.WithTx(ctx, db, func(tx *sqlx.Tx) error {
		var dl DeadLetter
		err := tx.GetContext(ctx, &dl, `
			SELECT id, consumer, stream, stream_seq, subject, event_id, payload, error, deliveries, failed_at, replayed_at
			FROM dead_letter WHERE id = $1 FOR UPDATE`, id)
		if dbx.IsNoRows(err) {
			return apperr.New(apperr.NotFound, "dead letter %d not found", id)
		}
		if err != nil {
			return fmt.Errorf("load dead letter %d: %w", id, err)
		}
		if dl.ReplayedAt != nil {
			return apperr.New(apperr.Conflict, "dead letter %d was replayed at %s", id, dl.ReplayedAt.UTC().Format(time.RFC3339))
		}
		ev, err := Parse(dl.Payload)
		if err != nil {
			return &apperr.Error{Code: apperr.Unprocessable, Message: fmt.Sprintf("dead letter %d holds no event", id), Err: err}
		}
		if _, err := applyOnce(ctx, tx, dl.Consumer, ev, handler); err != nil {
			return fmt.Errorf("replay dead letter %d (%s %s): %w", id, ev.Type, ev.ID, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE dead_letter SET replayed_at = now() WHERE id = $1`, id); err != nil {
			return fmt.Errorf("mark dead letter %d replayed: %w", id, err)
		}
		return nil
	})
}
