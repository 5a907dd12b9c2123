package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/tracing"
)

// NotifyChannel is the PostgreSQL channel Enqueue notifies on commit and the
// relay listens to.
const NotifyChannel = "gerbang_outbox"

// MaxEventBytes bounds an event's envelope. NATS refuses messages over its
// max_payload (1 MiB unless configured), and a row it refuses would hold
// back its aggregate for ever; events carry ids and facts, not documents.
const MaxEventBytes = 512 << 10

// quietBeforeNotify: Enqueue notifies only when no row has been sent for
// this long, i.e. when no relay may be polling (see warmWindow).
const quietBeforeNotify = 750 * time.Millisecond

// Enqueue writes ev to the outbox in the caller's transaction; if that
// transaction rolls back, the event never existed. aggregate names the
// thing whose events must keep their order (e.g. "tender/7f3c..."): the
// relay publishes the events of one aggregate in the order their
// transactions wrote them.
//
// The relay is woken by a NOTIFY at commit, but only when no row was sent in
// the last 750 ms and none waits unsent: while events flow the relays poll
// every few milliseconds anyway, and PostgreSQL serialises the commits of
// notifying transactions (through the WAL flush), which would cap every
// service's write rate at one commit per disk flush; a relay slower than
// 750 ms a cycle under load would otherwise be woken by every commit. Both
// are read from the newest end of an index (outbox_sent, outbox_pending),
// whose oldest end holds every sent row until vacuum. A transaction that
// commits more than 250 ms after its Enqueue, or whose snapshot saw a row
// the relay sent just before it went to sleep, may wait for the relay's
// PollInterval (1 s).
func Enqueue(ctx context.Context, tx sqlx.ExtContext, ev Event, aggregate string) error {
	if aggregate == "" {
		return errors.New("enqueue event: empty aggregate")
	}
	payload, err := outboxPayload(WithTrace(ctx, ev))
	if err != nil {
		return err
	}
	// One round trip: the insert and, when the relays may be asleep, the
	// notification (delivered at commit; those of one transaction fold).
	_, err = tx.ExecContext(ctx, `
		WITH row AS (
			INSERT INTO outbox (id, aggregate, type, payload) VALUES ($1, $2, $3, $4)
			RETURNING 1
		)
		SELECT pg_notify('`+NotifyChannel+`', '') FROM row
		WHERE coalesce((SELECT max(sent_at) FROM outbox), '-infinity') <= statement_timestamp() - make_interval(secs => $5::float8)
		  AND NOT EXISTS (SELECT 1 FROM outbox WHERE sent_at IS NULL ORDER BY seq DESC LIMIT 1)`,
		ev.ID, aggregate, ev.Type, string(payload), quietBeforeNotify.Seconds())
	if err != nil {
		return fmt.Errorf("enqueue event %s %s: %w", ev.Type, ev.ID, err)
	}
	return nil
}

// WithTrace returns ev carrying the trace context of ctx (the CloudEvents
// distributed-tracing extension: traceparent, tracestate), unless it
// carries one already. Enqueue does it; a caller of FoldEnqueue, which has
// no context, may do it first.
func WithTrace(ctx context.Context, ev Event) Event {
	if ev.TraceParent != "" {
		return ev
	}
	tracing.Inject(ctx, func(k, v string) {
		switch k {
		case "traceparent":
			ev.TraceParent = v
		case "tracestate":
			ev.TraceState = v
		}
	})
	return ev
}

// outboxPayload is ev as its outbox row keeps it (Enqueue and FoldEnqueue).
func outboxPayload(ev Event) ([]byte, error) {
	if err := ev.validate(); err != nil {
		return nil, fmt.Errorf("enqueue event: %w", err)
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("marshal event %s: %w", ev.ID, err)
	}
	if len(payload) > MaxEventBytes {
		return nil, fmt.Errorf("enqueue event %s %s: %d bytes, over the %d allowed", ev.Type, ev.ID, len(payload), MaxEventBytes)
	}
	return payload, nil
}
