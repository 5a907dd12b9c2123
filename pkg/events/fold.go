package events

import (
	"fmt"
	"strings"
)

// Folded is an event that a statement of the caller's own writes to the
// outbox: a fast path that folds a whole change into one statement (its own
// transaction, one round trip) enqueues its events with the row Enqueue
// writes, through the SQL FoldEnqueue writes, instead of outbox SQL of its
// own.
type Folded struct {
	Event     Event  // the zero Event writes nothing (an event the change may not have)
	Aggregate string // as for Enqueue
	// From names a relation of the caller's statement (a CTE): the event is
	// written once for each of its rows, so none when the change it belongs
	// to wrote nothing.
	From string
}

// FoldEnqueue returns the body of a CTE that writes evs to the outbox, and
// its arguments, numbered from $first. The SQL depends only on first and
// on the From of each event, so a statement prepared once serves every
// call. Pair it with WakeRelay in the statement's final SELECT.
func FoldEnqueue(first int, evs ...Folded) (query string, args []any, err error) {
	parts := make([]string, 0, len(evs))
	for i, f := range evs {
		n := first + 4*i
		parts = append(parts, fmt.Sprintf("SELECT $%d::uuid, $%d::text, $%d::text, $%d::json FROM %s WHERE $%d::uuid IS NOT NULL",
			n, n+1, n+2, n+3, f.From, n))
		if f.Event.ID == "" {
			args = append(args, nil, nil, nil, nil)
			continue
		}
		if f.Aggregate == "" {
			return "", nil, fmt.Errorf("enqueue event %s: empty aggregate", f.Event.ID)
		}
		payload, err := outboxPayload(f.Event)
		if err != nil {
			return "", nil, err
		}
		args = append(args, f.Event.ID, f.Aggregate, f.Event.Type, string(payload))
	}
	return "INSERT INTO outbox (id, aggregate, type, payload) " + strings.Join(parts, " UNION ALL "), args, nil
}

// WakeRelay returns a scalar SQL expression for the final SELECT of a
// statement that FoldEnqueue's events are written by: it notifies the
// relays at commit by Enqueue's rule (only when none may be awake), with
// its argument numbered $n.
func WakeRelay(n int) (expr string, arg any) {
	return fmt.Sprintf(`(SELECT count(pg_notify('%s', ''))
	        WHERE coalesce((SELECT max(sent_at) FROM outbox), '-infinity') <= statement_timestamp() - make_interval(secs => $%d::float8)
	          AND NOT EXISTS (SELECT 1 FROM outbox WHERE sent_at IS NULL ORDER BY seq DESC LIMIT 1))`, NotifyChannel, n),
		quietBeforeNotify.Seconds()
}
