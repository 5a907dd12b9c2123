package events

import (
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/dbx"
)

func TestEnqueueRefusesWhatTheRelayCouldNotPublish(t *testing.T) {
	h := newHarness(t)
	good := h.event("test.thing.happened", payload{Aggregate: "a"})
	huge := h.event("test.thing.happened", payload{Aggregate: "a", Poison: strings.Repeat("x", MaxEventBytes)})
	wildcard := good
	wildcard.Type = "test.*"
	cases := []struct {
		name      string
		ev        Event
		aggregate string
	}{
		{"no aggregate", good, ""},
		{"envelope over MaxEventBytes", huge, "a"},
		{"type with a wildcard", wildcard, "a"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := dbx.WithTx(h.ctx(), h.db.DB, func(tx *sqlx.Tx) error {
				return Enqueue(h.ctx(), tx, c.ev, c.aggregate)
			})
			if err == nil {
				t.Error("Enqueue accepted it")
			}
		})
	}
	if n := h.count(`SELECT count(*) FROM outbox`); n != 0 {
		t.Errorf("%d rows written", n)
	}
}

// With statistics taken while the outbox was drained, a backlog must not
// turn each claimed row's head lookup into a walk of all pending rows.
func TestClaimFindsAggregateHeadsThroughTheirIndex(t *testing.T) {
	h := newHarness(t)
	h.exec(`INSERT INTO outbox (id, aggregate, type, payload, sent_at)
		SELECT gen_random_uuid(), 'agg-' || (g % 500), 'test.x', '{}', now() - interval '1 hour'
		FROM generate_series(1, 20000) g`)
	h.exec(`ANALYZE outbox`)
	h.exec(`INSERT INTO outbox (id, aggregate, type, payload)
		SELECT gen_random_uuid(), 'agg-' || (g % 50), 'test.x', '{}' FROM generate_series(1, 5000) g`)

	var plan []string
	if err := h.db.SelectContext(h.ctx(), &plan, "EXPLAIN "+strings.Replace(claimQuery, "$1", "500", 1)); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	if !strings.Contains(text, "using outbox_unsent_by_aggregate on outbox h") ||
		strings.Contains(text, "using outbox_pending on outbox h") {
		t.Errorf("head lookup does not use outbox_unsent_by_aggregate:\n%s", text)
	}
}
