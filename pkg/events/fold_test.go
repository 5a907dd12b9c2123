package events

import (
	"testing"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/dbx"
)

// TestFoldedEventsAreTheRowsEnqueueWrites: a statement of the caller's own
// writes, through FoldEnqueue, the outbox row Enqueue writes for the same
// event, once per row of its From; an event whose From has no row, and the
// zero Event, write nothing; WakeRelay's expression runs in the statement.
func TestFoldedEventsAreTheRowsEnqueueWrites(t *testing.T) {
	h := newHarness(t)
	folded := h.event("test.thing.happened", payload{Aggregate: "a", N: 1})
	skipped := h.event("test.thing.happened", payload{Aggregate: "a", N: 2})
	enqueued := h.event("test.thing.happened", payload{Aggregate: "b", N: 1})
	cte, args, err := FoldEnqueue(2, Folded{Event: folded, Aggregate: "a", From: "one"},
		Folded{Event: skipped, Aggregate: "a", From: "none"}, Folded{From: "one"})
	if err != nil {
		t.Fatal(err)
	}
	wake, arg := WakeRelay(2 + len(args))
	query := `WITH one AS (SELECT 1 WHERE $1), none AS (SELECT 1 WHERE NOT $1), o AS (` + cte + `) SELECT ` + wake
	if _, err := h.db.ExecContext(h.ctx(), query, append(append([]any{true}, args...), arg)...); err != nil {
		t.Fatal(err)
	}
	if err := dbx.WithTx(h.ctx(), h.db.DB, func(tx *sqlx.Tx) error { return Enqueue(h.ctx(), tx, enqueued, "b") }); err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		ID        string `db:"id"`
		Aggregate string `db:"aggregate"`
		Type      string `db:"type"`
		Payload   string `db:"payload"`
	}
	if err := h.db.SelectContext(h.ctx(), &rows, `SELECT id, aggregate, type, payload::text FROM outbox ORDER BY seq`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].ID != folded.ID || rows[1].ID != enqueued.ID {
		t.Fatalf("outbox rows %+v, want the folded event then the enqueued one", rows)
	}
	want, err := outboxPayload(folded)
	if err != nil {
		t.Fatal(err)
	}
	if rows[0].Aggregate != "a" || rows[0].Type != folded.Type || rows[0].Payload != string(want) {
		t.Fatalf("folded row %+v, want the row Enqueue writes (%s)", rows[0], want)
	}
	if _, _, err := FoldEnqueue(1, Folded{Event: folded, From: "one"}); err == nil {
		t.Fatal("an event without an aggregate was folded")
	}
}
