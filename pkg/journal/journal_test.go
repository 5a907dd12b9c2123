package journal_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/audit"
	"gerbang/pkg/caller"
	"gerbang/pkg/dbx"
	"gerbang/pkg/journal"
	"gerbang/pkg/pgtest"
)

func counts(t *testing.T, db *sqlx.DB) (outbox, records int) {
	t.Helper()
	if err := db.Get(&outbox, `SELECT count(*) FROM outbox`); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&records, `SELECT count(*) FROM audit_record`); err != nil {
		t.Fatal(err)
	}
	return outbox, records
}

func TestTheEventsAndAuditRecordsOfAChangeCommitAndRollBackWithIt(t *testing.T) {
	db := pgtest.New(t, nil)
	ctx := context.Background()
	j := journal.New("/test")
	c := caller.Caller{Subject: "u1", Roles: []string{caller.RoleBusiness}, RequestID: "req-1"}
	write := func(tx *sqlx.Tx) error {
		if err := j.Publish(ctx, tx, journal.Event{Type: "test.thing.created", Subject: "thing/1", Aggregate: "thing/1",
			Data: map[string]string{"thing_id": "1"}, At: time.Now()}); err != nil {
			return err
		}
		return j.Audit(ctx, tx, c, audit.Entry{Action: "thing.create", EntityType: "thing", EntityID: "1"})
	}
	failed := errors.New("the change failed")
	if err := dbx.WithTx(ctx, db.DB, func(tx *sqlx.Tx) error {
		if err := write(tx); err != nil {
			return err
		}
		return failed
	}); !errors.Is(err, failed) {
		t.Fatal(err)
	}
	if o, r := counts(t, db.DB); o != 0 || r != 0 {
		t.Fatalf("after a rollback: %d events, %d records", o, r)
	}
	if err := dbx.WithTx(ctx, db.DB, write); err != nil {
		t.Fatal(err)
	}
	if o, r := counts(t, db.DB); o != 1 || r != 1 {
		t.Fatalf("after a commit: %d events, %d records", o, r)
	}
	var got struct {
		Actor     string `db:"actor"`
		RequestID string `db:"request_id"`
		Type      string `db:"type"`
		Source    string `db:"source"`
	}
	if err := db.Get(&got, `SELECT a.actor, a.request_id, o.type, o.payload->>'source' AS source FROM audit_record a, outbox o`); err != nil {
		t.Fatal(err)
	}
	if got.Actor != "u1" || got.RequestID != "req-1" || got.Type != "test.thing.created" || got.Source != "/test" {
		t.Fatalf("written: %+v", got)
	}
}

func TestASystemJobNamesItselfInTheAuditRecord(t *testing.T) {
	db := pgtest.New(t, nil)
	ctx := context.Background()
	err := dbx.WithTx(ctx, db.DB, func(tx *sqlx.Tx) error {
		return journal.New("/test").Audit(ctx, tx, caller.Caller{}, audit.Entry{Actor: "system:expiry", Action: "thing.expire", EntityType: "thing", EntityID: "1"})
	})
	if err != nil {
		t.Fatal(err)
	}
	var actor string
	if err := db.Get(&actor, `SELECT actor FROM audit_record`); err != nil || actor != "system:expiry" {
		t.Fatalf("actor %q, %v", actor, err)
	}
}
