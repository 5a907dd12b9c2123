package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// NotifyChannel is the PostgreSQL channel Enqueue notifies on commit and the
// relay listens to.
const NotifyChannel = "gerbang_outbox"

// Enqueue writes ev to the outbox in the caller's transaction. The relay is
// woken when that transaction commits; if it rolls back, the event never
// existed. aggregate names the thing whose events must keep their order
// (e.g. "tender/7f3c..."): the relay publishes the events of one aggregate in
// the order their transactions wrote them.
func Enqueue(ctx context.Context, tx sqlx.ExtContext, ev Event, aggregate string) error {
	if aggregate == "" {
		return errors.New("enqueue event: empty aggregate")
	}
	if err := ev.validate(); err != nil {
		return fmt.Errorf("enqueue event: %w", err)
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("marshal event %s: %w", ev.ID, err)
	}
	// One round trip: the insert and the notification (delivered at commit;
	// identical notifications of one transaction are folded into one).
	_, err = tx.ExecContext(ctx, `
		WITH row AS (
			INSERT INTO outbox (id, aggregate, type, payload) VALUES ($1, $2, $3, $4)
			RETURNING 1
		)
		SELECT pg_notify('`+NotifyChannel+`', '') FROM row`,
		ev.ID, aggregate, ev.Type, string(payload))
	if err != nil {
		return fmt.Errorf("enqueue event %s %s: %w", ev.Type, ev.ID, err)
	}
	return nil
}
