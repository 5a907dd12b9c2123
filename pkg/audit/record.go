package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Entry is one audit record: who did what to which entity, when, and the
// state before and after.
type Entry struct {
	Actor      string   // the subject (JWT sub), or "system:<job>" for the system itself
	ActorRoles []string // the roles the actor acted with
	Action     string   // what happened, e.g. "application.approve"
	EntityType string   // e.g. "application"
	EntityID   string
	// Before and After are encoded with encoding/json (pass json.RawMessage
	// for JSON already encoded); nil stores no state.
	Before    any
	After     any
	RequestID string
	At        time.Time // when it happened; zero means the transaction's start
	Reason    string    // why, when the actor gave a reason (rejection, revocation, ...)
}

// Record writes e in tx, the transaction of the change it describes. It
// takes no lock beyond the row it inserts.
func Record(ctx context.Context, tx sqlx.ExtContext, e Entry) error {
	if _, ok := tx.(*sqlx.DB); ok {
		return errors.New("audit: record in the transaction of the change, not on the pool")
	}
	args, err := e.row()
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO audit_record (at, actor, actor_roles, action, entity_type, entity_id, before, after, request_id, reason)
		VALUES (COALESCE($1::timestamptz, now()), $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10)`, args...)
	if err != nil {
		return fmt.Errorf("audit: record %s of %s %s: %w", e.Action, e.EntityType, e.EntityID, err)
	}
	return nil
}

// row is the values of e's audit_record row, in the order of its columns
// (Record and FoldRecord).
func (e Entry) row() ([]any, error) {
	if e.Actor == "" || e.Action == "" || e.EntityType == "" {
		return nil, fmt.Errorf("audit: entry needs an actor, an action and an entity type (got %q, %q, %q)", e.Actor, e.Action, e.EntityType)
	}
	before, err := encodeState(e.Before)
	if err != nil {
		return nil, fmt.Errorf("audit: encode state before %s: %w", e.Action, err)
	}
	after, err := encodeState(e.After)
	if err != nil {
		return nil, fmt.Errorf("audit: encode state after %s: %w", e.Action, err)
	}
	var at any
	if !e.At.IsZero() {
		at = e.At
	}
	roles := e.ActorRoles
	if roles == nil {
		roles = []string{}
	}
	return []any{at, e.Actor, pq.StringArray(roles), e.Action, e.EntityType, e.EntityID, before, after, e.RequestID, e.Reason}, nil
}

// FoldRecord returns the body of a CTE that writes e's audit record as
// Record does, once for each row of from (a relation of the caller's own
// statement: a fast path that folds a whole change into one statement),
// and its arguments, numbered from $first. The SQL depends only on first
// and from, so a statement prepared once serves every call.
func FoldRecord(first int, from string, e Entry) (query string, args []any, err error) {
	if args, err = e.row(); err != nil {
		return "", nil, err
	}
	n := make([]any, 0, 11)
	for i := range 10 {
		n = append(n, first+i)
	}
	n = append(n, from)
	return fmt.Sprintf(`INSERT INTO audit_record (at, actor, actor_roles, action, entity_type, entity_id, before, after, request_id, reason)
		SELECT COALESCE($%d::timestamptz, now()), $%d::text, $%d::text[], $%d::text, $%d::text, $%d::text, $%d::jsonb, $%d::jsonb, $%d::text, $%d::text FROM %s`, n...),
		args, nil
}

// encodeState returns the JSON of v, or nil (SQL NULL) for no state.
func encodeState(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if bytes.Equal(b, []byte("null")) {
		return nil, nil
	}
	return string(b), nil
}

// storedRecord is an audit_record row as the database returns it; its
// canonical bytes are what the chain hashes.
type storedRecord struct {
	ID         int64
	Xid        int64
	At         time.Time
	Actor      string
	ActorRoles pq.StringArray
	Action     string
	EntityType string
	EntityID   string
	Before     []byte // jsonb text, nil for NULL
	After      []byte
	RequestID  string
	Reason     string
}

// recordColumns selects a storedRecord from audit_record aliased as r.
const recordColumns = `r.id, r.xid, r.at, r.actor, r.actor_roles, r.action, r.entity_type, r.entity_id, r.before, r.after, r.request_id, r.reason`

func (r *storedRecord) scanTargets() []any {
	return []any{&r.ID, &r.Xid, &r.At, &r.Actor, &r.ActorRoles, &r.Action, &r.EntityType, &r.EntityID, &r.Before, &r.After, &r.RequestID, &r.Reason}
}

const (
	recordDomain     = "gerbang/audit/record/v1"
	checkpointDomain = "gerbang/audit/checkpoint/v1"
)

// canonical returns the record's bytes as documented in doc.go.
func (r *storedRecord) canonical() []byte {
	var e encoder
	e.str(recordDomain)
	e.int(r.ID)
	e.int(r.Xid)
	e.int(r.At.UnixMicro())
	e.str(r.Actor)
	e.int(int64(len(r.ActorRoles)))
	for _, role := range r.ActorRoles {
		e.str(role)
	}
	e.str(r.Action)
	e.str(r.EntityType)
	e.str(r.EntityID)
	e.optional(r.Before)
	e.optional(r.After)
	e.str(r.RequestID)
	e.str(r.Reason)
	return e.b
}

// linkHash is the chain hash of a record following prev.
func linkHash(prev []byte, r *storedRecord) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(r.canonical())
	return h.Sum(nil)
}

// genesisHash is the prev_hash of position 1.
func genesisHash() []byte { return make([]byte, sha256.Size) }

type encoder struct{ b []byte }

func (e *encoder) bytes(b []byte) {
	e.b = binary.BigEndian.AppendUint32(e.b, uint32(len(b)))
	e.b = append(e.b, b...)
}

func (e *encoder) str(s string) {
	e.b = binary.BigEndian.AppendUint32(e.b, uint32(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) int(v int64) { e.b = binary.BigEndian.AppendUint64(e.b, uint64(v)) }

func (e *encoder) optional(b []byte) {
	if b == nil {
		e.b = append(e.b, 0)
		return
	}
	e.b = append(e.b, 1)
	e.bytes(b)
}
