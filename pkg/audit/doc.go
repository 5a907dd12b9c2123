// Package audit keeps a service's audit trail: who did what to which entity,
// when, with the state before and after, in a tamper-evident hash chain.
//
// Writing. Record inserts one row into audit_record inside the transaction of
// the change, so the record exists exactly when the change does. The row
// carries the writing transaction's id (pg_current_xact_id(), xid8, stamped by
// a trigger). Writers take no lock in common: there is no "previous hash" to
// read at write time. Triggers refuse UPDATE, DELETE and TRUNCATE on the three
// audit tables.
//
// Sealing. A Sealer, running just after commit in every instance of the
// service, links records into audit_chain. It takes only records whose
// transaction is older than every transaction still open
// (xid < pg_snapshot_xmin(pg_current_snapshot())), in (xid, id) order, after
// the last chained one. Every such transaction has ended, so no record can
// later appear before the chain's head: the order is fixed once sealed. Each
// chain row holds position (1, 2, ...), record id, prev_hash and
// hash = SHA-256(prev_hash || canonical bytes of the record), the first
// prev_hash being 32 zero bytes. A transaction-level advisory lock, taken by
// sealers only, lets one sealer advance at a time. The horizon is the whole
// cluster's: a long writing transaction in any database (or a prepared one)
// holds the sealer back, never the writers, until it ends; Report.Unsealed
// shows the backlog. Sealing polls: NOTIFY from writers would serialise their
// commits on the notification queue's lock.
//
// Checkpoints. Every CheckpointEvery records, and when CheckpointInterval has
// passed with records not yet checkpointed, the sealer writes an
// audit_checkpoint row: position, hash at that position, time, key id and an
// Ed25519 signature over the canonical checkpoint message. Keys rotate by
// key id; Verify takes every public key still trusted.
//
// Verifying. Verify walks the chain in one snapshot and recomputes every
// hash. A record changed afterwards breaks its own hash; a deleted record
// leaves a chain row without its record or a gap in positions; a record
// inserted below the sealed head is not in the chain; a chain rewritten from
// some position on disagrees with the signed checkpoints. Only the tail after
// the last checkpoint can be rewritten or cut without a trace, and records
// not yet sealed are protected by the triggers alone: keep the interval short.
// A record inserted as a new write (with a fresh xid) is, to the chain, a
// write like any other.
//
// Canonical bytes. Strings and byte strings are a 4-byte big-endian length
// and the bytes; integers are 8 bytes big-endian; an optional value is a byte
// 0 (absent) or 1 followed by the value. A record is the string
// "gerbang/audit/record/v1", then id, xid, at (Unix microseconds), actor, the
// number of roles and each role, action, entity_type, entity_id, before and
// after (optional; PostgreSQL's jsonb text), request_id, reason. A checkpoint
// message is "gerbang/audit/checkpoint/v1", key id, position, hash, time
// (Unix microseconds).
package audit
