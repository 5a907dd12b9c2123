package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// ProblemKind names what Verify found wrong.
type ProblemKind string

// The problems Verify reports. A changed record shows as RecordChanged; a
// deleted one as RecordDeleted, ChainGap or, at the tail, CheckpointOrphaned;
// an inserted one as RecordInserted, ChainLinkBroken or ChainOutOfOrder; a
// rewritten chain as CheckpointMismatch.
const (
	RecordChanged        ProblemKind = "record_changed"           // the record's hash differs from the chain's
	RecordDeleted        ProblemKind = "record_deleted"           // a chain row's record is gone
	RecordInserted       ProblemKind = "record_inserted"          // a record below the sealed head is not in the chain
	ChainGap             ProblemKind = "chain_gap"                // positions are missing: chain rows were deleted
	ChainLinkBroken      ProblemKind = "chain_link_broken"        // prev_hash is not the hash before it
	ChainOutOfOrder      ProblemKind = "chain_out_of_order"       // records are not in (xid, id) order, or one is chained twice
	ChainRowChanged      ProblemKind = "chain_row_changed"        // the chain row's copy of the record's xid differs
	CheckpointBadSig     ProblemKind = "checkpoint_bad_signature" // the signature does not verify
	CheckpointUnknownKey ProblemKind = "checkpoint_unknown_key"   // signed with a key not in the set
	CheckpointMismatch   ProblemKind = "checkpoint_mismatch"      // the signed hash differs from the chain's
	CheckpointOrphaned   ProblemKind = "checkpoint_orphaned"      // no chain row at its position: the chain was cut
)

// maxProblems bounds a report; a wrecked table is reported by its first ones.
const maxProblems = 1000

// Report is the outcome of Verify, shaped for the auditors' endpoint
// (GET /v1/audit/verify).
type Report struct {
	OK                bool            `json:"ok"`
	VerifiedAt        time.Time       `json:"verified_at"`
	ChainLength       int64           `json:"chain_length"` // positions walked
	HeadHash          string          `json:"head_hash,omitempty"`
	Records           int64           `json:"records"`           // rows in the record table
	Unsealed          int64           `json:"unsealed"`          // records after the chain's head, waiting for the sealer
	Waiting           string          `json:"waiting,omitempty"` // why Unsealed is not zero
	Checkpoints       int64           `json:"checkpoints"`
	LastCheckpoint    *CheckpointInfo `json:"last_checkpoint,omitempty"` // the last one that verified
	Problems          []Problem       `json:"problems"`
	ProblemsTruncated bool            `json:"problems_truncated,omitempty"`
}

// CheckpointInfo describes a signed checkpoint.
type CheckpointInfo struct {
	Position  int64     `json:"position"`
	Hash      string    `json:"hash"`
	CreatedAt time.Time `json:"created_at"`
	KeyID     string    `json:"key_id"`
}

// Problem is one thing found wrong, where it stands.
type Problem struct {
	Kind     ProblemKind `json:"kind"`
	Position int64       `json:"position,omitempty"`
	RecordID int64       `json:"record_id,omitempty"`
	Detail   string      `json:"detail"`
}

// Verify checks the audit trail in db in one consistent snapshot: every
// chain link and hash, that every sealed record is chained exactly once,
// and every checkpoint's signature (against keys, by key id) and hash. The
// error is for failing to read; what is wrong with the trail is in the
// Report.
func Verify(ctx context.Context, db *sqlx.DB, keys map[string]ed25519.PublicKey) (Report, error) {
	tx, err := db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return Report{}, fmt.Errorf("audit: begin verification: %w", err)
	}
	defer tx.Rollback()
	v := verifier{tx: tx, keys: keys, report: Report{Problems: []Problem{}}}
	if err := tx.QueryRowContext(ctx, `SELECT now()`).Scan(&v.report.VerifiedAt); err != nil {
		return Report{}, fmt.Errorf("audit: begin verification: %w", err)
	}
	v.report.VerifiedAt = v.report.VerifiedAt.UTC()
	for _, step := range []func(context.Context) error{v.walkChain, v.orphanCheckpoints, v.unchainedRecords, v.whyWaiting} {
		if err := step(ctx); err != nil {
			return Report{}, err
		}
	}
	v.report.OK = len(v.report.Problems) == 0 && !v.report.ProblemsTruncated
	return v.report, nil
}

type verifier struct {
	tx     *sqlx.Tx
	keys   map[string]ed25519.PublicKey
	report Report
	head   chainHead // the last chain row walked
}

func (v *verifier) add(kind ProblemKind, position, recordID int64, format string, args ...any) {
	if len(v.report.Problems) >= maxProblems {
		v.report.ProblemsTruncated = true
		return
	}
	v.report.Problems = append(v.report.Problems, Problem{Kind: kind, Position: position, RecordID: recordID, Detail: fmt.Sprintf(format, args...)})
}

// walkChain streams the chain in position order with each row's record and
// checkpoint, if any.
func (v *verifier) walkChain(ctx context.Context) error {
	rows, err := v.tx.QueryContext(ctx, `
		SELECT c.position, c.record_id, c.record_xid, c.prev_hash, c.hash,
		       r.id IS NOT NULL,
		       COALESCE(r.id, 0), COALESCE(r.xid, '0'), COALESCE(r.at, 'epoch'), COALESCE(r.actor, ''),
		       COALESCE(r.actor_roles, '{}'), COALESCE(r.action, ''), COALESCE(r.entity_type, ''),
		       COALESCE(r.entity_id, ''), r.before, r.after, COALESCE(r.request_id, ''), COALESCE(r.reason, ''),
		       k.position IS NOT NULL,
		       COALESCE(k.hash, ''), COALESCE(k.created_at, 'epoch'), COALESCE(k.key_id, ''), COALESCE(k.signature, '')
		FROM audit_chain c
		LEFT JOIN audit_record r ON r.id = c.record_id
		LEFT JOIN audit_checkpoint k ON k.position = c.position
		ORDER BY c.position`)
	if err != nil {
		return fmt.Errorf("audit: read the chain: %w", err)
	}
	defer rows.Close()
	prev := chainHead{Hash: genesisHash()}
	for rows.Next() {
		var (
			row           chainHead
			prevHash      []byte
			hasRecord     bool
			rec           storedRecord
			hasCheckpoint bool
			cp            checkpoint
		)
		targets := []any{&row.Position, &row.RecordID, &row.RecordXid, &prevHash, &row.Hash, &hasRecord}
		targets = append(targets, rec.scanTargets()...)
		targets = append(targets, &hasCheckpoint, &cp.Hash, &cp.CreatedAt, &cp.KeyID, &cp.Signature)
		if err := rows.Scan(targets...); err != nil {
			return fmt.Errorf("audit: read the chain: %w", err)
		}
		v.checkLink(prev, row, prevHash, hasRecord, &rec)
		if hasCheckpoint {
			cp.Position = row.Position
			v.checkCheckpoint(&cp, row.Hash)
		}
		prev = row
		v.report.ChainLength++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit: read the chain: %w", err)
	}
	v.head = prev
	if prev.Position > 0 {
		v.report.HeadHash = hex.EncodeToString(prev.Hash)
	}
	return nil
}

func (v *verifier) checkLink(prev, row chainHead, prevHash []byte, hasRecord bool, rec *storedRecord) {
	switch want := prev.Position + 1; {
	case row.Position > want:
		v.add(ChainGap, want, 0, "chain positions %d to %d are missing", want, row.Position-1)
	case !bytes.Equal(prevHash, prev.Hash):
		v.add(ChainLinkBroken, row.Position, row.RecordID, "prev_hash %x is not the hash %x at position %d", prevHash, prev.Hash, prev.Position)
	}
	if prev.Position > 0 && !(row.RecordXid > prev.RecordXid || row.RecordXid == prev.RecordXid && row.RecordID > prev.RecordID) {
		v.add(ChainOutOfOrder, row.Position, row.RecordID, "record (xid %d, id %d) does not come after (xid %d, id %d)", row.RecordXid, row.RecordID, prev.RecordXid, prev.RecordID)
	}
	if !hasRecord {
		v.add(RecordDeleted, row.Position, row.RecordID, "record %d, chained at position %d, is gone", row.RecordID, row.Position)
		return
	}
	if got := linkHash(prevHash, rec); !bytes.Equal(got, row.Hash) {
		v.add(RecordChanged, row.Position, row.RecordID, "record %d hashes to %x, the chain holds %x", row.RecordID, got, row.Hash)
		return
	}
	if rec.Xid != row.RecordXid {
		v.add(ChainRowChanged, row.Position, row.RecordID, "the chain says record %d has xid %d, the record says %d", row.RecordID, row.RecordXid, rec.Xid)
	}
}

// checkCheckpoint verifies a checkpoint's signature and, when chainHash is
// given, that it signed the chain's hash at its position.
func (v *verifier) checkCheckpoint(cp *checkpoint, chainHash []byte) {
	v.report.Checkpoints++
	key, ok := v.keys[cp.KeyID]
	switch {
	case !ok:
		v.add(CheckpointUnknownKey, cp.Position, 0, "checkpoint at %d is signed with unknown key %q", cp.Position, cp.KeyID)
		return
	case !ed25519.Verify(key, cp.message(), cp.Signature):
		v.add(CheckpointBadSig, cp.Position, 0, "checkpoint at %d: signature by %q does not verify", cp.Position, cp.KeyID)
		return
	}
	if chainHash == nil {
		return
	}
	if !bytes.Equal(cp.Hash, chainHash) {
		v.add(CheckpointMismatch, cp.Position, 0, "checkpoint at %d signed hash %x, the chain holds %x", cp.Position, cp.Hash, chainHash)
		return
	}
	v.report.LastCheckpoint = &CheckpointInfo{Position: cp.Position, Hash: hex.EncodeToString(cp.Hash), CreatedAt: cp.CreatedAt.UTC(), KeyID: cp.KeyID}
}

// orphanCheckpoints reports checkpoints with no chain row at their position:
// the chain was cut after them or rows were removed under them.
func (v *verifier) orphanCheckpoints(ctx context.Context) error {
	rows, err := v.tx.QueryContext(ctx, `
		SELECT k.position, k.hash, k.created_at, k.key_id, k.signature
		FROM audit_checkpoint k
		WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.position = k.position)
		ORDER BY k.position`)
	if err != nil {
		return fmt.Errorf("audit: read checkpoints: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cp checkpoint
		if err := rows.Scan(&cp.Position, &cp.Hash, &cp.CreatedAt, &cp.KeyID, &cp.Signature); err != nil {
			return fmt.Errorf("audit: read checkpoints: %w", err)
		}
		v.checkCheckpoint(&cp, nil)
		if cp.Position > v.head.Position {
			v.add(CheckpointOrphaned, cp.Position, 0, "checkpoint at %d signs past the chain's end at %d: chain rows were removed", cp.Position, v.head.Position)
		} else {
			v.add(CheckpointOrphaned, cp.Position, 0, "checkpoint at %d has no chain row: chain rows were removed", cp.Position)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit: read checkpoints: %w", err)
	}
	return nil
}

// unchainedRecords reports records that sort before the chain's head but are
// not in it (the sealer takes every one of those in order, so they were
// inserted afterwards), and counts the records still waiting to be sealed.
func (v *verifier) unchainedRecords(ctx context.Context) error {
	rows, err := v.tx.QueryContext(ctx, `
		SELECT r.id, r.xid FROM audit_record r
		WHERE (r.xid, r.id) < ($1::text::xid8, $2)
		  AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.record_id = r.id)
		ORDER BY r.xid, r.id`, v.head.RecordXid, v.head.RecordID)
	if err != nil {
		return fmt.Errorf("audit: look for unchained records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, xid int64
		if err := rows.Scan(&id, &xid); err != nil {
			return fmt.Errorf("audit: look for unchained records: %w", err)
		}
		v.add(RecordInserted, 0, id, "record %d (xid %d) sorts before the sealed head but is not in the chain", id, xid)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit: look for unchained records: %w", err)
	}
	err = v.tx.QueryRowContext(ctx, `
		SELECT count(*), count(*) FILTER (WHERE (r.xid, r.id) > ($1::text::xid8, $2)) FROM audit_record r`,
		v.head.RecordXid, v.head.RecordID).Scan(&v.report.Records, &v.report.Unsealed)
	if err != nil {
		return fmt.Errorf("audit: count records: %w", err)
	}
	return nil
}

// whyWaiting says why records are still unsealed: an open transaction
// anywhere in the cluster holds the sealer's horizon below them, or they
// were committed after the sealer's last round.
func (v *verifier) whyWaiting(ctx context.Context) error {
	if v.report.Unsealed == 0 {
		return nil
	}
	var held int64
	err := v.tx.QueryRowContext(ctx, `
		SELECT count(*) FROM audit_record r
		WHERE (r.xid, r.id) > ($1::text::xid8, $2) AND r.xid >= pg_snapshot_xmin(pg_current_snapshot())`,
		v.head.RecordXid, v.head.RecordID).Scan(&held)
	if err != nil {
		return fmt.Errorf("audit: count held records: %w", err)
	}
	if held == 0 {
		v.report.Waiting = fmt.Sprintf("%d records were committed after the sealer's last round; the sealer links them within a second.", v.report.Unsealed)
		return nil
	}
	// The oldest transaction that holds the horizon (visible in full to a
	// role allowed to see other sessions; otherwise only that one is open).
	var db, state string
	var since sql.NullTime
	err = v.tx.QueryRowContext(ctx, `
		SELECT coalesce(datname, ''), coalesce(state, ''), xact_start FROM pg_stat_activity
		WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()
		ORDER BY xact_start NULLS LAST LIMIT 1`).Scan(&db, &state, &since)
	if err != nil && err != sql.ErrNoRows {
		return fmt.Errorf("audit: find the open transaction: %w", err)
	}
	var prepared string
	if err := v.tx.QueryRowContext(ctx, `SELECT gid FROM pg_prepared_xacts ORDER BY prepared LIMIT 1`).Scan(&prepared); err != nil && err != sql.ErrNoRows {
		return fmt.Errorf("audit: find prepared transactions: %w", err)
	}
	why := "a transaction still open in the database cluster"
	switch {
	case prepared != "":
		why = fmt.Sprintf("the prepared transaction %q", prepared)
	case since.Valid:
		why = fmt.Sprintf("a transaction open since %s in database %q (%s)", since.Time.UTC().Format(time.RFC3339), db, state)
	}
	v.report.Waiting = fmt.Sprintf("%d of %d unsealed records wait for %s to end: the sealer links only records older than every open transaction, so that none can later sort before them.", held, v.report.Unsealed, why)
	return nil
}
