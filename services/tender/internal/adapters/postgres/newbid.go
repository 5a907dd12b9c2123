package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"gerbang/pkg/audit"
	"gerbang/pkg/dbx"
	"gerbang/pkg/events"
	"gerbang/services/tender/internal/app"
	"gerbang/services/tender/internal/domain"
)

// newBidStatement stores a new bid in one statement, which is its own
// transaction: one round trip, no BEGIN or COMMIT, prepared once per
// connection. It does what the general transaction (WriteBid) does for a
// new bid: the tender only if it takes bids at $2 (in state $17) from a
// vendor $3 holding a license in status $18, locked FOR KEY SHARE until the
// statement commits; the bid and its receipt; the stored answer under the
// Idempotency-Key ($13, none when NULL); the bid security request when
// due; the outbox events and the audit record, written by the SQL of
// pkg/events and pkg/audit (FoldEnqueue, FoldRecord: the rows Enqueue and
// Record write). What was rendered before the statement (the answer, the
// events) used the tender's amendment, bid security and deadline as the
// caller read them ($10-$12): a tender that no longer has them stores
// nothing, and the general transaction stores the bid instead.
//
// The relay is notified by Enqueue's rule (events.WakeRelay: only when no
// row was sent in the last 750 ms and none waits unsent). Both are read
// from the newest end of an index: the oldest end of outbox_pending holds
// the entries of every sent row until vacuum, and a plan that scans them
// made each bid slower than the last (BenchmarkBidRush: four runs of 4000
// bids fell from 1091 to 438 bids/s; now they hold about 1500). A bid whose
// snapshot saw an event that the relay then sent just before going to
// sleep waits for the relay's poll (PollInterval, 1 s).
func newBidStatement(outbox, audit, wake string) string {
	return `
	WITH t AS (
		SELECT id FROM tender
		WHERE id = $1 AND state = $17 AND bid_period_start <= $2 AND bid_deadline >= $2
		  AND amendment = $10 AND bid_security_amount = $11 AND bid_deadline = $12
		  AND EXISTS (SELECT 1 FROM vendor_license l
		              WHERE l.business_id = $3 AND l.kbli = tender.kbli AND l.status = $18
		                AND (l.valid_until IS NULL OR l.valid_until > $2))
		FOR KEY SHARE
	),
	b AS (
		INSERT INTO bid (id, tender_id, vendor, submitted_by, state, version, sealed, sealed_sha256, submitted_at, confirmed_amendment)
		SELECT $4, t.id, $3, $5, $19::text, 1, $6, $7, $2, $10 FROM t
		RETURNING id
	),
	r AS (
		INSERT INTO bid_receipt (bid_id, version, sealed_sha256, received_at, key_id, signature)
		SELECT b.id, 1, $7, $2, $8, $9 FROM b
	),
	q AS (
		INSERT INTO bid_request (vendor, key, request_hash, status, body, created_at)
		SELECT $3, $13, $14, 201, $15, $2 FROM b WHERE $13::text IS NOT NULL
	),
	s AS (
		INSERT INTO bid_security (id, tender_id, vendor, amount, state, requested_at)
		SELECT $16, $1, $3, $11, $20::text, $2 FROM b WHERE $11 > 0
		ON CONFLICT (tender_id, vendor) DO NOTHING
		RETURNING id
	),
	o AS (` + outbox + `),
	a AS (` + audit + `)
	SELECT ` + wake + ` FROM b`
}

// The first argument of the folded parts of newBidStatement.
const (
	newBidOutboxArg = 21
	newBidAuditArg  = newBidOutboxArg + 2*4
	newBidWakeArg   = newBidAuditArg + 10
)

// preparedStmt is a statement prepared on first use (database/sql then
// prepares it once on each connection of the pool).
type preparedStmt struct {
	mu   sync.Mutex
	stmt *sqlx.Stmt
}

func (p *preparedStmt) get(ctx context.Context, db *sqlx.DB, query string) (*sqlx.Stmt, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stmt == nil {
		stmt, err := db.PreparexContext(ctx, query)
		if err != nil {
			return nil, fmt.Errorf("prepare the bid statement: %w", err)
		}
		p.stmt = stmt
	}
	return p.stmt, nil
}

// InsertNewBid stores a new bid with newBidStatement. The tender's state
// and the qualifying license status are the domain's (domain.BiddingState,
// domain.QualifyingLicenseStatus); the window and the license's validity
// are compared as domain.MayBid compares them (TestBidStatementAgreesWithTheDomain).
// It reports false when the statement stored nothing (the tender refuses
// the bid or changed since in.Terms was read) or met a unique key (a live
// bid of the vendor, an Idempotency-Key already used): the caller then runs
// the general transaction, which says why or replays the stored answer.
func (s *Store) InsertNewBid(ctx context.Context, in app.NewBidWrite) (bool, error) {
	t, bid, at := in.Terms, in.Bid, in.Bid.SubmittedAt
	var key, hash, body any // SQL NULL without an Idempotency-Key
	if in.Key != nil {
		key, hash, body = in.Key.Key, in.Key.Hash, in.Answer
	}
	submitted, err := events.New(Source, in.Submitted.Subject(), bid.ID, in.Submitted, at)
	if err != nil {
		return false, err
	}
	evs := []events.Folded{{Event: submitted, Aggregate: tenderAggregate(t.ID), From: "b"}, {From: "s"}}
	securityID := uuid.Nil.String()
	if in.Security != nil {
		securityID = in.Security.BidSecurityID
		if evs[1].Event, err = events.New(Source, in.Security.Subject(), bid.ID, *in.Security, at); err != nil {
			return false, err
		}
		evs[1].Aggregate = tenderAggregate(t.ID)
	}
	outbox, outboxArgs, err := events.FoldEnqueue(newBidOutboxArg, evs...)
	if err != nil {
		return false, err
	}
	auditSQL, auditArgs, err := audit.FoldRecord(newBidAuditArg, "b", audit.Entry{Actor: in.Who.Subject, ActorRoles: in.Who.Roles,
		Action: "bid.submit", EntityType: "bid", EntityID: bid.ID, After: in.After, RequestID: in.Who.RequestID, At: at})
	if err != nil {
		return false, err
	}
	wake, wakeArg := events.WakeRelay(newBidWakeArg)
	sig, err := decodeSig(in.Receipt.Signature)
	if err != nil {
		return false, err
	}
	stmt, err := s.newBid.get(ctx, s.db, newBidStatement(outbox, auditSQL, wake))
	if err != nil {
		return false, err
	}
	args := []any{t.ID, at, bid.Vendor, bid.ID, in.Who.Subject, in.Sealed, bid.SealedSHA256,
		in.Receipt.KeyID, sig, t.Amendment, t.BidSecurityAmount, t.BidDeadline, key, hash, body, securityID,
		domain.BiddingState, domain.QualifyingLicenseStatus, bid.State, domain.SecurityRequested}
	args = append(append(append(args, outboxArgs...), auditArgs...), wakeArg)
	var notified int
	err = stmt.QueryRowContext(ctx, args...).Scan(&notified)
	switch {
	case errors.Is(err, sql.ErrNoRows), dbx.SQLState(err) == dbx.UniqueViolation, dbx.SQLState(err) == dbx.DeadlockDetected:
		return false, nil
	case err != nil:
		return false, fmt.Errorf("store bid: %w", err)
	}
	return true, nil
}
