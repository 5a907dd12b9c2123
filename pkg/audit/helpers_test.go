package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/clock"
	"gerbang/pkg/dbx"
	"gerbang/pkg/pgtest"
)

// testKey returns a signer and the key set that verifies it.
func testKey(t testing.TB, keyID string) (Signer, map[string]ed25519.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return Signer{KeyID: keyID, Key: priv}, map[string]ed25519.PublicKey{keyID: pub}
}

func testSealer(t *testing.T, db *sqlx.DB, signer Signer, opts SealerOptions) *Sealer {
	t.Helper()
	s, err := NewSealer(db, signer, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sampleEntry(n int) Entry {
	return Entry{
		Actor:      "officer-1",
		ActorRoles: []string{"licensing_officer"},
		Action:     "application.approve",
		EntityType: "application",
		EntityID:   fmt.Sprintf("app-%d", n),
		Before:     map[string]any{"status": "submitted", "version": n},
		After:      map[string]any{"status": "approved", "version": n + 1},
		RequestID:  fmt.Sprintf("req-%d", n),
		At:         time.Date(2026, 3, 1, 9, 0, n, 0, time.UTC),
	}
}

// writeRecords writes n records, each in a transaction of its own, so that
// their chain order is their id order.
func writeRecords(t *testing.T, db *sqlx.DB, n int) {
	t.Helper()
	for i := range n {
		err := dbx.WithTx(context.Background(), db, func(tx *sqlx.Tx) error {
			return Record(context.Background(), tx, sampleEntry(i))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// sealUntil runs the sealer until the chain holds want records. Other test
// processes' open transactions may hold the horizon back for a moment, so it
// polls, within a bound.
func sealUntil(t *testing.T, s *Sealer, db *sqlx.DB, want int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := s.SealOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := chainLength(t, db)
		if got == want {
			return
		}
		if got > want || time.Now().After(deadline) {
			t.Fatalf("chain holds %d records, want %d", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func chainLength(t *testing.T, db *sqlx.DB) int64 {
	t.Helper()
	var n int64
	if err := db.Get(&n, `SELECT count(*) FROM audit_chain`); err != nil {
		t.Fatal(err)
	}
	return n
}

// chainRecordIDs returns the record ids in chain order.
func chainRecordIDs(t *testing.T, db *sqlx.DB) []int64 {
	t.Helper()
	var ids []int64
	if err := db.Select(&ids, `SELECT record_id FROM audit_chain ORDER BY position`); err != nil {
		t.Fatal(err)
	}
	return ids
}

// tamper runs statements as the tables' owner with the audit triggers off,
// as someone with full rights over the database would.
func tamper(t *testing.T, db *sqlx.DB, statements ...string) {
	t.Helper()
	err := dbx.WithTx(context.Background(), db, func(tx *sqlx.Tx) error {
		for _, table := range []string{"audit_record", "audit_chain", "audit_checkpoint"} {
			if _, err := tx.Exec(`ALTER TABLE ` + table + ` DISABLE TRIGGER USER`); err != nil {
				return err
			}
		}
		for _, s := range statements {
			if _, err := tx.Exec(s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		for _, table := range []string{"audit_record", "audit_chain", "audit_checkpoint"} {
			if _, err := tx.Exec(`ALTER TABLE ` + table + ` ENABLE TRIGGER USER`); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("tamper: %v", err)
	}
}

func verify(t *testing.T, db *sqlx.DB, keys map[string]ed25519.PublicKey) Report {
	t.Helper()
	r, err := Verify(context.Background(), db, keys)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func requireClean(t *testing.T, r Report) {
	t.Helper()
	if !r.OK || len(r.Problems) != 0 {
		t.Fatalf("want a clean report, got OK=%v problems %+v", r.OK, r.Problems)
	}
}

// sealedTrail is a trail of 8 records at positions 1..8 (record i at
// position i) with checkpoints at 1, 5 and 8.
func sealedTrail(t *testing.T) (*pgtest.DB, Signer, map[string]ed25519.PublicKey) {
	t.Helper()
	db := pgtest.New(t, nil)
	signer, keys := testKey(t, "k1")
	clk := clock.NewFake(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	s := testSealer(t, db.DB, signer, SealerOptions{CheckpointEvery: 4, CheckpointInterval: time.Hour, Clock: clk})
	writeRecords(t, db.DB, 1)
	sealUntil(t, s, db.DB, 1) // the first seal always signs
	writeRecords(t, db.DB, 7)
	sealUntil(t, s, db.DB, 8) // 5 is four records after 1
	clk.Advance(time.Hour)
	if _, err := s.SealOnce(context.Background()); err != nil { // the tail waited long enough
		t.Fatal(err)
	}
	var positions []int64
	if err := db.Select(&positions, `SELECT position FROM audit_checkpoint ORDER BY position`); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(positions) != "[1 5 8]" {
		t.Fatalf("setup: checkpoints at %v, want [1 5 8]", positions)
	}
	if ids := chainRecordIDs(t, db.DB); fmt.Sprint(ids) != "[1 2 3 4 5 6 7 8]" {
		t.Fatalf("setup: chain holds %v", ids)
	}
	return db, signer, keys
}
