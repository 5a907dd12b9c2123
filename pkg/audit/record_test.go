package audit

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"gerbang/pkg/dbx"
	"gerbang/pkg/pgtest"
)

func TestRecordStoresTheEntryWithItsTransactionID(t *testing.T) {
	db := pgtest.New(t, nil)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 9, 30, 15, 123456000, time.UTC)
	var txID int64
	err := dbx.WithTx(ctx, db.DB, func(tx *sqlx.Tx) error {
		if err := tx.Get(&txID, `SELECT pg_current_xact_id()`); err != nil {
			return err
		}
		return Record(ctx, tx, Entry{
			Actor:      "user-7",
			ActorRoles: []string{"licensing_officer", "auditor"},
			Action:     "application.reject",
			EntityType: "application",
			EntityID:   "0190a0b1-0000-7000-8000-000000000001",
			Before:     json.RawMessage(`{"status": "in_review"}`),
			After:      map[string]string{"status": "rejected"},
			RequestID:  "req-1",
			At:         at,
			Reason:     "NIB does not match the applicant",
		})
	})
	if err != nil {
		t.Fatal(err)
	}

	var got struct {
		Xid        int64          `db:"xid"`
		At         time.Time      `db:"at"`
		Actor      string         `db:"actor"`
		Roles      pq.StringArray `db:"actor_roles"`
		Action     string         `db:"action"`
		EntityType string         `db:"entity_type"`
		EntityID   string         `db:"entity_id"`
		Before     string         `db:"before"`
		After      string         `db:"after"`
		RequestID  string         `db:"request_id"`
		Reason     string         `db:"reason"`
	}
	if err := db.Get(&got, `SELECT xid, at, actor, actor_roles, action, entity_type, entity_id, before::text, after::text, request_id, reason FROM audit_record`); err != nil {
		t.Fatal(err)
	}
	if got.Xid != txID {
		t.Errorf("xid = %d, want the writing transaction's %d", got.Xid, txID)
	}
	if !got.At.Equal(at) {
		t.Errorf("at = %v, want %v", got.At, at)
	}
	if got.Actor != "user-7" || strings.Join(got.Roles, ",") != "licensing_officer,auditor" || got.Action != "application.reject" ||
		got.EntityType != "application" || got.EntityID != "0190a0b1-0000-7000-8000-000000000001" ||
		got.RequestID != "req-1" || got.Reason != "NIB does not match the applicant" {
		t.Errorf("stored %+v", got)
	}
	if got.Before != `{"status": "in_review"}` || got.After != `{"status": "rejected"}` {
		t.Errorf("before %s, after %s", got.Before, got.After)
	}
}

func TestRecordWithoutStateOrTimeStoresNullsAndTheTransactionTime(t *testing.T) {
	db := pgtest.New(t, nil)
	ctx := context.Background()
	var txTime time.Time
	err := dbx.WithTx(ctx, db.DB, func(tx *sqlx.Tx) error {
		if err := tx.Get(&txTime, `SELECT now()`); err != nil {
			return err
		}
		return Record(ctx, tx, Entry{Actor: "system:sla", Action: "application.deem_approved", EntityType: "application", EntityID: "a1"})
	})
	if err != nil {
		t.Fatal(err)
	}
	var beforeNull, afterNull bool
	var at time.Time
	if err := db.QueryRow(`SELECT before IS NULL, after IS NULL, at FROM audit_record`).Scan(&beforeNull, &afterNull, &at); err != nil {
		t.Fatal(err)
	}
	if !beforeNull || !afterNull || !at.Equal(txTime) {
		t.Errorf("before null %v, after null %v, at %v (transaction began %v)", beforeNull, afterNull, at, txTime)
	}
}

func TestRecordIsUndoneWithTheChangeItDescribes(t *testing.T) {
	db := pgtest.New(t, nil)
	ctx := context.Background()
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := Record(ctx, tx, sampleEntry(1)); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM audit_record`); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d records after rollback, want 0", n)
	}
}

func TestRecordRefusesIncompleteEntriesAndThePool(t *testing.T) {
	db := pgtest.New(t, nil)
	ctx := context.Background()
	complete := sampleEntry(1)
	tests := []struct {
		name  string
		entry func(Entry) Entry
		pool  bool
	}{
		{name: "no actor", entry: func(e Entry) Entry { e.Actor = ""; return e }},
		{name: "no action", entry: func(e Entry) Entry { e.Action = ""; return e }},
		{name: "no entity type", entry: func(e Entry) Entry { e.EntityType = ""; return e }},
		{name: "state that is not JSON", entry: func(e Entry) Entry { e.After = make(chan int); return e }},
		{name: "outside the change's transaction", entry: func(e Entry) Entry { return e }, pool: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.pool {
				err = Record(ctx, db.DB, tt.entry(complete))
			} else {
				err = dbx.WithTx(ctx, db.DB, func(tx *sqlx.Tx) error { return Record(ctx, tx, tt.entry(complete)) })
			}
			if err == nil {
				t.Fatal("Record accepted it")
			}
		})
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM audit_record`); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d records written, want 0", n)
	}
}

func TestAuditTablesAreAppendOnly(t *testing.T) {
	db, _, _ := sealedTrail(t)
	statements := []string{
		`UPDATE audit_record SET reason = 'edited' WHERE id = 1`,
		`DELETE FROM audit_record WHERE id = 1`,
		`TRUNCATE audit_record`,
		`UPDATE audit_chain SET hash = prev_hash WHERE position = 1`,
		`DELETE FROM audit_chain WHERE position = 8`,
		`TRUNCATE audit_chain`,
		`UPDATE audit_checkpoint SET signature = '\x00' WHERE position = 1`,
		`DELETE FROM audit_checkpoint WHERE position = 8`,
		`TRUNCATE audit_checkpoint`,
	}
	for _, s := range statements {
		t.Run(s, func(t *testing.T) {
			_, err := db.Exec(s)
			if got := dbx.SQLState(err); got != "42501" {
				t.Fatalf("error %v (SQLSTATE %q), want a refusal (42501)", err, got)
			}
		})
	}
	var records, chain, checkpoints int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM audit_record), (SELECT count(*) FROM audit_chain), (SELECT count(*) FROM audit_checkpoint)`).
		Scan(&records, &chain, &checkpoints); err != nil {
		t.Fatal(err)
	}
	if records != 8 || chain != 8 || checkpoints != 3 {
		t.Errorf("records %d, chain %d, checkpoints %d after the refusals; want 8, 8, 3", records, chain, checkpoints)
	}
}

func TestRecordXidCannotBeForgedByTheInsert(t *testing.T) {
	db := pgtest.New(t, nil)
	var txID, stored int64
	err := dbx.WithTx(context.Background(), db.DB, func(tx *sqlx.Tx) error {
		if err := tx.Get(&txID, `SELECT pg_current_xact_id()`); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO audit_record (xid, actor, action, entity_type) VALUES ('3', 'mallory', 'x.y', 'x')`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&stored, `SELECT xid FROM audit_record`); err != nil {
		t.Fatal(err)
	}
	if stored != txID {
		t.Errorf("stored xid %d, want the inserting transaction's %d", stored, txID)
	}
}
