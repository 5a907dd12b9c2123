package audit

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/dbx"
	"gerbang/pkg/pgtest"
)

func TestTrailReadsOneEntitysRecordsInTheOrderWritten(t *testing.T) {
	db := pgtest.New(t, nil)
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)
	entries := []Entry{
		{Actor: "owner-1", ActorRoles: []string{"business"}, Action: "application.create", EntityType: "application", EntityID: "a-1", After: map[string]string{"state": "draft"}, At: at},
		{Actor: "owner-2", Action: "application.create", EntityType: "application", EntityID: "a-2", At: at},
		{Actor: "owner-1", Action: "business.update", EntityType: "business", EntityID: "a-1", At: at},
		{Actor: "officer-9", ActorRoles: []string{"licensing_officer"}, Action: "application.request_revision", EntityType: "application", EntityID: "a-1",
			Before: map[string]string{"state": "in_review"}, After: map[string]string{"state": "revision_requested"}, At: at.Add(time.Hour), Reason: "amdal: no annexes"},
	}
	for _, e := range entries {
		if err := dbx.WithTx(ctx, db.DB, func(tx *sqlx.Tx) error { return Record(ctx, tx, e) }); err != nil {
			t.Fatal(err)
		}
	}
	trail, err := Trail(ctx, db.DB, "application", "a-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(trail) != 2 || trail[0].Action != "application.create" || trail[1].Action != "application.request_revision" || trail[0].ID >= trail[1].ID {
		t.Fatalf("trail of a-1: %+v", trail)
	}
	got := trail[1]
	if got.Actor != "officer-9" || !slices.Equal(got.ActorRoles, []string{"licensing_officer"}) || got.Reason != "amdal: no annexes" || !got.At.Equal(at.Add(time.Hour)) {
		t.Fatalf("request_revision read back as %+v", got)
	}
	var after struct{ State string }
	if err := json.Unmarshal(got.After.(json.RawMessage), &after); err != nil || after.State != "revision_requested" {
		t.Fatalf("after %v: %v", got.After, err)
	}
	if trail[0].Before != nil {
		t.Fatalf("no before was written, read %v", trail[0].Before)
	}
	if none, err := Trail(ctx, db.DB, "application", "a-3"); err != nil || len(none) != 0 {
		t.Fatalf("an entity without records: %v %v", none, err)
	}
}
