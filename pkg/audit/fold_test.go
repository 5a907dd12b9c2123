package audit

import (
	"context"
	"testing"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/dbx"
	"gerbang/pkg/pgtest"
)

// TestFoldedRecordIsTheRowRecordWrites: a statement of the caller's own
// writes, through FoldRecord, the row Record writes for the same entry,
// once per row of its from; none when from has no row.
func TestFoldedRecordIsTheRowRecordWrites(t *testing.T) {
	db := pgtest.New(t, nil)
	ctx := context.Background()
	e := sampleEntry(1)
	if err := dbx.WithTx(ctx, db.DB, func(tx *sqlx.Tx) error { return Record(ctx, tx, e) }); err != nil {
		t.Fatal(err)
	}
	for _, when := range []bool{true, false} {
		cte, args, err := FoldRecord(2, "one", e)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `WITH one AS (SELECT 1 WHERE $1), a AS (`+cte+`) SELECT 1`, append([]any{when}, args...)...); err != nil {
			t.Fatal(err)
		}
	}
	var rows []string
	if err := db.SelectContext(ctx, &rows, `
		SELECT concat_ws('|', at, actor, actor_roles, action, entity_type, entity_id, before, after, request_id, reason)
		FROM audit_record ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0] != rows[1] {
		t.Fatalf("rows %q, want the recorded one and one folded equal to it", rows)
	}
	if _, _, err := FoldRecord(1, "one", Entry{Action: "x"}); err == nil {
		t.Fatal("an entry without an actor was folded")
	}
}
