package audit

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/pgtest"
)

func TestCleanTrailVerifies(t *testing.T) {
	db, _, keys := sealedTrail(t)
	var head []byte
	if err := db.Get(&head, `SELECT hash FROM audit_chain WHERE position = 8`); err != nil {
		t.Fatal(err)
	}
	writeRecords(t, db.DB, 2) // not sealed yet: waiting is not a problem

	r := verify(t, db.DB, keys)
	requireClean(t, r)
	if r.ChainLength != 8 || r.Records != 10 || r.Unsealed != 2 || r.Checkpoints != 3 || r.HeadHash != hex.EncodeToString(head) {
		t.Errorf("report %+v; want 8 chained of 10 records, 2 unsealed, 3 checkpoints, head %x", r, head)
	}
	if r.LastCheckpoint == nil || r.LastCheckpoint.Position != 8 || r.LastCheckpoint.KeyID != "k1" || r.LastCheckpoint.Hash != r.HeadHash {
		t.Errorf("last checkpoint %+v, want position 8 by k1 at the head", r.LastCheckpoint)
	}
}

func TestEmptyTrailVerifies(t *testing.T) {
	db := pgtest.New(t, nil)
	_, keys := testKey(t, "k1")
	r := verify(t, db.DB, keys)
	requireClean(t, r)
	if r.ChainLength != 0 || r.Records != 0 || r.LastCheckpoint != nil {
		t.Errorf("report %+v of an empty trail", r)
	}
}

// where is what a test expects of a problem: its kind and where it stands.
type where struct {
	Kind     ProblemKind
	Position int64
	RecordID int64
}

func TestVerifyFindsEveryKindOfTampering(t *testing.T) {
	// Record i is at position i; checkpoints are at 1, 5 and 8.
	tests := []struct {
		name   string
		tamper func(t *testing.T, db *sqlx.DB)
		want   []where
	}{
		{
			name:   "a changed record breaks its own hash",
			tamper: statements(`UPDATE audit_record SET after = '{"status": "rejected"}' WHERE id = 3`),
			want:   []where{{RecordChanged, 3, 3}},
		},
		{
			name:   "a changed state before breaks the record's hash",
			tamper: statements(`UPDATE audit_record SET before = '{"status": "approved", "version": 2}' WHERE id = 2`),
			want:   []where{{RecordChanged, 2, 2}},
		},
		{
			name:   "a state before removed breaks the record's hash",
			tamper: statements(`UPDATE audit_record SET before = NULL WHERE id = 7`),
			want:   []where{{RecordChanged, 7, 7}},
		},
		{
			name:   "a record moved in time breaks its own hash",
			tamper: statements(`UPDATE audit_record SET at = at - interval '1 day' WHERE id = 6`),
			want:   []where{{RecordChanged, 6, 6}},
		},
		{
			name:   "a deleted record leaves its chain row without it",
			tamper: statements(`DELETE FROM audit_record WHERE id = 4`),
			want:   []where{{RecordDeleted, 4, 4}},
		},
		{
			name:   "a record deleted with its chain row leaves a gap",
			tamper: statements(`DELETE FROM audit_record WHERE id = 4`, `DELETE FROM audit_chain WHERE position = 4`),
			want:   []where{{ChainGap, 4, 0}},
		},
		{
			name:   "records cut from the tail leave the checkpoint that signed them",
			tamper: statements(`DELETE FROM audit_record WHERE id >= 7`, `DELETE FROM audit_chain WHERE position >= 7`),
			want:   []where{{CheckpointOrphaned, 8, 0}},
		},
		{
			name: "a record inserted below the sealed head is not in the chain",
			tamper: statements(`
				INSERT INTO audit_record (xid, at, actor, action, entity_type, entity_id)
				SELECT xid, at, 'mallory', 'application.approve', 'application', 'app-x' FROM audit_record WHERE id = 5`),
			want: []where{{RecordInserted, 0, 9}},
		},
		{
			name:   "a chain row inserted in the middle breaks the next link and the checkpoints after it",
			tamper: insertChainRowAfter3,
			want:   []where{{ChainLinkBroken, 5, 4}, {CheckpointMismatch, 5, 0}, {CheckpointMismatch, 8, 0}},
		},
		{
			name:   "a chain rehashed after a changed record disagrees with the signed checkpoints",
			tamper: rewriteChainFrom3,
			want:   []where{{CheckpointMismatch, 5, 0}, {CheckpointMismatch, 8, 0}},
		},
		{
			name:   "a changed chain hash breaks its row and the next link",
			tamper: statements(`UPDATE audit_chain SET hash = sha256('forged') WHERE position = 6`),
			want:   []where{{RecordChanged, 6, 6}, {ChainLinkBroken, 7, 7}},
		},
		{
			name:   "a changed xid in the chain is caught against the record",
			tamper: statements(`UPDATE audit_chain SET record_xid = (record_xid::text::bigint + 1000)::text::xid8 WHERE position = 8`),
			want:   []where{{ChainRowChanged, 8, 8}},
		},
		{
			name:   "a tampered checkpoint signature does not verify",
			tamper: statements(`UPDATE audit_checkpoint SET signature = set_byte(signature, 0, get_byte(signature, 0) # 1) WHERE position = 5`),
			want:   []where{{CheckpointBadSig, 5, 0}},
		},
		{
			name: "a checkpoint pointed at another hash does not verify",
			tamper: statements(`
				UPDATE audit_checkpoint k SET hash = c.hash FROM audit_chain c WHERE c.position = 4 AND k.position = 5`),
			want: []where{{CheckpointBadSig, 5, 0}},
		},
		{
			name:   "a checkpoint claimed by an unknown key is reported",
			tamper: statements(`UPDATE audit_checkpoint SET key_id = 'mallory' WHERE position = 1`),
			want:   []where{{CheckpointUnknownKey, 1, 0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _, keys := sealedTrail(t)
			requireClean(t, verify(t, db.DB, keys))

			tt.tamper(t, db.DB)

			r := verify(t, db.DB, keys)
			var got []where
			for _, p := range r.Problems {
				got = append(got, where{p.Kind, p.Position, p.RecordID})
			}
			if r.OK || !slices.Equal(got, tt.want) {
				t.Errorf("OK=%v, problems %+v; want %+v", r.OK, r.Problems, tt.want)
			}
		})
	}
}

func statements(s ...string) func(*testing.T, *sqlx.DB) {
	return func(t *testing.T, db *sqlx.DB) { tamper(t, db, s...) }
}

func readRecord(t *testing.T, db *sqlx.DB, id int64) *storedRecord {
	t.Helper()
	var r storedRecord
	if err := db.QueryRow(`SELECT `+recordColumns+` FROM audit_record r WHERE r.id = $1`, id).Scan(r.scanTargets()...); err != nil {
		t.Fatal(err)
	}
	return &r
}

func chainHash(t *testing.T, db *sqlx.DB, position int64) []byte {
	t.Helper()
	var h []byte
	if err := db.Get(&h, `SELECT hash FROM audit_chain WHERE position = $1`, position); err != nil {
		t.Fatal(err)
	}
	return h
}

// insertChainRowAfter3 forges record 9 in record 3's transaction, moves
// positions 4.. one up and chains record 9 at position 4 with a correct hash.
func insertChainRowAfter3(t *testing.T, db *sqlx.DB) {
	tamper(t, db,
		`INSERT INTO audit_record (xid, at, actor, action, entity_type, entity_id)
		 SELECT xid, at, 'mallory', 'application.approve', 'application', 'app-x' FROM audit_record WHERE id = 3`,
		`UPDATE audit_chain SET position = position + 1000 WHERE position >= 4`,
		`UPDATE audit_chain SET position = position - 999 WHERE position > 1000`)
	forged := readRecord(t, db, 9)
	prev := chainHash(t, db, 3)
	tamper(t, db, fmt.Sprintf(`INSERT INTO audit_chain (position, record_id, record_xid, prev_hash, hash) VALUES (4, 9, '%d', '\x%x', '\x%x')`,
		forged.Xid, prev, linkHash(prev, forged)))
}

// rewriteChainFrom3 changes record 3 and recomputes every link from it on,
// as someone with the code and the database but not the signing key would.
func rewriteChainFrom3(t *testing.T, db *sqlx.DB) {
	tamper(t, db, `UPDATE audit_record SET after = '{"status": "rejected"}' WHERE id = 3`)
	prev := chainHash(t, db, 2)
	var fixes []string
	for pos := int64(3); pos <= 8; pos++ {
		h := linkHash(prev, readRecord(t, db, pos))
		fixes = append(fixes, fmt.Sprintf(`UPDATE audit_chain SET prev_hash = '\x%x', hash = '\x%x' WHERE position = %d`, prev, h, pos))
		prev = h
	}
	tamper(t, db, fixes...)
}

func TestReportIsJSONForAuditors(t *testing.T) {
	db, _, keys := sealedTrail(t)
	clean, err := json.Marshal(verify(t, db.DB, keys))
	if err != nil {
		t.Fatal(err)
	}
	tamper(t, db.DB, `UPDATE audit_record SET reason = 'edited' WHERE id = 3`)
	broken, err := json.Marshal(verify(t, db.DB, keys))
	if err != nil {
		t.Fatal(err)
	}

	var c, b map[string]any
	if err := json.Unmarshal(clean, &c); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(broken, &b); err != nil {
		t.Fatal(err)
	}
	if c["ok"] != true || fmt.Sprint(c["problems"]) != "[]" || c["chain_length"] != 8.0 || c["head_hash"] == nil {
		t.Errorf("clean report %s", clean)
	}
	if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(c["verified_at"])); err != nil {
		t.Errorf("verified_at: %v", err)
	}
	last, _ := c["last_checkpoint"].(map[string]any)
	if last["position"] != 8.0 || last["key_id"] != "k1" || last["hash"] != c["head_hash"] {
		t.Errorf("last_checkpoint %v", last)
	}
	problems, _ := b["problems"].([]any)
	if b["ok"] != false || len(problems) != 1 {
		t.Fatalf("broken report %s", broken)
	}
	p, _ := problems[0].(map[string]any)
	if p["kind"] != "record_changed" || p["position"] != 3.0 || p["record_id"] != 3.0 || p["detail"] == "" {
		t.Errorf("problem %v", p)
	}
}

// Unsealed records are never left unexplained: the report says whether an
// open transaction holds them back (and which) or the sealer has not had
// its round yet.
func TestVerifySaysWhyRecordsWaitForTheSealer(t *testing.T) {
	db := pgtest.New(t, nil)
	_, keys := testKey(t, "k1")
	writeRecords(t, db.DB, 2)
	r := verify(t, db.DB, keys)
	if r.Unsealed != 2 || r.Waiting == "" {
		t.Fatalf("report %+v: want 2 unsealed and the reason", r)
	}

	// An open writing transaction holds the horizon: the records written
	// after it began wait for it, and the report says so.
	open, err := db.DB.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer open.Rollback()
	if _, err := open.Exec(`SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	writeRecords(t, db.DB, 1)
	r = verify(t, db.DB, keys)
	if r.Unsealed != 3 || !strings.Contains(r.Waiting, "wait for") || !strings.Contains(r.Waiting, "open since") {
		t.Fatalf("report %+v: want the open transaction named as the reason", r)
	}
	requireClean(t, r)
}
