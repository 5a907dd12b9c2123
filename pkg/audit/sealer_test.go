package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/clock"
	"gerbang/pkg/dbx"
	"gerbang/pkg/pgtest"
)

func TestSealerNeverSealsPastAnOpenTransaction(t *testing.T) {
	db := pgtest.New(t, nil)
	ctx := context.Background()
	signer, keys := testKey(t, "k1")
	s := testSealer(t, db.DB, signer, SealerOptions{})

	// A writes record 1 and stays open; B writes record 2 after it and commits.
	txA, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer txA.Rollback()
	if err := Record(ctx, txA, sampleEntry(1)); err != nil {
		t.Fatal(err)
	}
	writeRecords(t, db.DB, 1)

	for range 3 {
		n, err := s.SealOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 || chainLength(t, db.DB) != 0 {
			t.Fatalf("sealed %d records (chain %v) while the transaction of record 1 is open", n, chainRecordIDs(t, db.DB))
		}
	}

	if err := txA.Commit(); err != nil {
		t.Fatal(err)
	}
	sealUntil(t, s, db.DB, 2)
	if ids := chainRecordIDs(t, db.DB); !slices.Equal(ids, []int64{1, 2}) {
		t.Errorf("chain = %v, want [1 2]", ids)
	}
	requireClean(t, verify(t, db.DB, keys))
}

func TestChainFollowsTransactionOrderNotRecordIDs(t *testing.T) {
	db := pgtest.New(t, nil)
	ctx := context.Background()
	signer, keys := testKey(t, "k1")
	s := testSealer(t, db.DB, signer, SealerOptions{})

	// B takes its transaction id first; A writes record 1 after that, B
	// writes record 2 and commits while A is still open.
	txB, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer txB.Rollback()
	var xidB int64
	if err := txB.Get(&xidB, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	txA, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer txA.Rollback()
	if err := Record(ctx, txA, sampleEntry(1)); err != nil {
		t.Fatal(err)
	}
	if err := Record(ctx, txB, sampleEntry(2)); err != nil {
		t.Fatal(err)
	}
	if err := txB.Commit(); err != nil {
		t.Fatal(err)
	}

	sealUntil(t, s, db.DB, 1)
	if n, err := s.SealOnce(ctx); err != nil || n != 0 {
		t.Fatalf("SealOnce = %d, %v while record 1's transaction is open; want 0", n, err)
	}
	if ids := chainRecordIDs(t, db.DB); !slices.Equal(ids, []int64{2}) {
		t.Fatalf("chain = %v while A is open, want [2]", ids)
	}

	if err := txA.Commit(); err != nil {
		t.Fatal(err)
	}
	sealUntil(t, s, db.DB, 2)
	if ids := chainRecordIDs(t, db.DB); !slices.Equal(ids, []int64{2, 1}) {
		t.Errorf("chain = %v, want [2 1]: record 2's transaction is older", ids)
	}
	requireClean(t, verify(t, db.DB, keys))
}

func TestConcurrentWritersAndSealersChainEveryCommittedRecordOnce(t *testing.T) {
	db := pgtest.New(t, nil)
	signer, keys := testKey(t, "k1")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Two instances' sealers run while the writers write.
	var sealers sync.WaitGroup
	for range 2 {
		s := testSealer(t, db.DB, signer, SealerOptions{Interval: 5 * time.Millisecond, BatchSize: 16, CheckpointEvery: 25})
		sealers.Go(func() {
			if err := s.Run(ctx); err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}

	const writers, txPerWriter = 8, 30
	var mu sync.Mutex
	var committed []string // entity ids of records whose transaction committed
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range txPerWriter {
				var ids []string
				rollback := i%5 == 4
				err := dbx.WithTx(context.Background(), db.DB, func(tx *sqlx.Tx) error {
					for r := range 1 + i%3 {
						e := sampleEntry(i)
						e.EntityID = fmt.Sprintf("w%d-t%d-r%d", w, i, r)
						if err := Record(context.Background(), tx, e); err != nil {
							return err
						}
						ids = append(ids, e.EntityID)
					}
					if rollback {
						return errRollback
					}
					return nil
				})
				if rollback && err == errRollback {
					continue
				}
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				mu.Lock()
				committed = append(committed, ids...)
				mu.Unlock()
			}
		})
	}
	wg.Wait()

	want := int64(len(committed))
	deadline := time.Now().Add(30 * time.Second)
	for chainLength(t, db.DB) < want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	sealers.Wait()

	var chained []string
	if err := db.Select(&chained, `SELECT r.entity_id FROM audit_chain c JOIN audit_record r ON r.id = c.record_id ORDER BY c.position`); err != nil {
		t.Fatal(err)
	}
	slices.Sort(chained)
	slices.Sort(committed)
	if !slices.Equal(chained, committed) {
		t.Fatalf("chain holds %d records, %d committed; the sets differ", len(chained), len(committed))
	}
	r := verify(t, db.DB, keys)
	requireClean(t, r)
	if r.ChainLength != want || r.Records != want || r.Unsealed != 0 || r.Checkpoints == 0 {
		t.Errorf("report %+v, want %d records all chained and checkpoints", r, want)
	}
}

var errRollback = fmt.Errorf("roll back on purpose")

func TestCheckpointsAreSignedEveryNRecordsAndAfterTheInterval(t *testing.T) {
	db := pgtest.New(t, nil)
	ctx := context.Background()
	signer, keys := testKey(t, "k1")
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	clk := clock.NewFake(start)
	s := testSealer(t, db.DB, signer, SealerOptions{CheckpointEvery: 5, CheckpointInterval: time.Minute, Clock: clk})

	writeRecords(t, db.DB, 1)
	sealUntil(t, s, db.DB, 1) // the first seal signs at once
	writeRecords(t, db.DB, 12)
	sealUntil(t, s, db.DB, 13) // every 5 records: 6 and 11
	clk.Advance(59 * time.Second)
	if _, err := s.SealOnce(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second) // records 12 and 13 have waited the interval
	for range 2 {
		if _, err := s.SealOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}

	type row struct {
		Position  int64     `db:"position"`
		Hash      []byte    `db:"hash"`
		ChainHash []byte    `db:"chain_hash"`
		CreatedAt time.Time `db:"created_at"`
		KeyID     string    `db:"key_id"`
		Signature []byte    `db:"signature"`
	}
	var rows []row
	if err := db.Select(&rows, `
		SELECT k.position, k.hash, c.hash AS chain_hash, k.created_at, k.key_id, k.signature
		FROM audit_checkpoint k JOIN audit_chain c USING (position) ORDER BY k.position`); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		position int64
		at       time.Time
	}{{1, start}, {6, start}, {11, start}, {13, start.Add(time.Minute)}}
	if len(rows) != len(want) {
		t.Fatalf("%d checkpoints %+v, want at positions 1, 6, 11, 13", len(rows), rows)
	}
	for i, w := range want {
		got := rows[i]
		cp := checkpoint{Position: got.Position, Hash: got.Hash, CreatedAt: got.CreatedAt, KeyID: got.KeyID}
		switch {
		case got.Position != w.position || !got.CreatedAt.Equal(w.at):
			t.Errorf("checkpoint %d at position %d, %v; want %d, %v", i, got.Position, got.CreatedAt, w.position, w.at)
		case !bytes.Equal(got.Hash, got.ChainHash):
			t.Errorf("checkpoint at %d signs %x, the chain holds %x", got.Position, got.Hash, got.ChainHash)
		case got.KeyID != "k1" || !ed25519.Verify(keys["k1"], cp.message(), got.Signature):
			t.Errorf("checkpoint at %d: signature by %q does not verify", got.Position, got.KeyID)
		}
	}
	r := verify(t, db.DB, keys)
	requireClean(t, r)
	if r.LastCheckpoint == nil || r.LastCheckpoint.Position != 13 || r.Checkpoints != 4 {
		t.Errorf("report: last checkpoint %+v of %d, want position 13 of 4", r.LastCheckpoint, r.Checkpoints)
	}
}

func TestSealerNeedsAnEd25519KeyWithAnID(t *testing.T) {
	good, _ := testKey(t, "k1")
	tests := []struct {
		name   string
		signer Signer
	}{
		{"no key id", Signer{Key: good.Key}},
		{"no key", Signer{KeyID: "k1"}},
		{"a public key", Signer{KeyID: "k1", Key: ed25519.PrivateKey(good.Key.Public().(ed25519.PublicKey))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewSealer(nil, tt.signer, nil, SealerOptions{}); err == nil {
				t.Error("NewSealer accepted it")
			}
		})
	}
}

func TestCheckpointsOfRotatedKeysVerifyWithTheirKeyID(t *testing.T) {
	db := pgtest.New(t, nil)
	old, oldKeys := testKey(t, "2026-01")
	next, nextKeys := testKey(t, "2026-02")
	everyRecord := SealerOptions{CheckpointEvery: 1}
	writeRecords(t, db.DB, 2)
	sealUntil(t, testSealer(t, db.DB, old, everyRecord), db.DB, 2)
	writeRecords(t, db.DB, 2)
	sealUntil(t, testSealer(t, db.DB, next, everyRecord), db.DB, 4)

	both := map[string]ed25519.PublicKey{"2026-01": oldKeys["2026-01"], "2026-02": nextKeys["2026-02"]}
	requireClean(t, verify(t, db.DB, both))
	r := verify(t, db.DB, nextKeys)
	got := fmt.Sprint(r.Problems)
	want := fmt.Sprint([]Problem{
		{Kind: CheckpointUnknownKey, Position: 1, Detail: `checkpoint at 1 is signed with unknown key "2026-01"`},
		{Kind: CheckpointUnknownKey, Position: 2, Detail: `checkpoint at 2 is signed with unknown key "2026-01"`},
	})
	if r.OK || got != want {
		t.Errorf("verified without the old key: %s, want %s", got, want)
	}
}
