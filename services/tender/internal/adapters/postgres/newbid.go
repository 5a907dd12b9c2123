package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"gerbang/pkg/dbx"
	"gerbang/pkg/events"
	"gerbang/services/tender/internal/app"
	"gerbang/services/tender/internal/domain"
)

// newBidStatement stores a new bid in one statement, which is its own
// transaction: one round trip, no BEGIN or COMMIT, prepared once per
// connection. It does what the general transaction (WriteBid) does for a
// new bid: the tender only if it takes bids at $2 (state $25) from a vendor
// $3 holding a license in status $26, locked FOR KEY SHARE until the statement
// commits; the bid and its receipt; the stored answer under the
// Idempotency-Key ($13, none when NULL); the bid security request when
// due; the outbox events; the audit record. What was rendered before the
// statement (the answer, the events) used the tender's amendment, bid
// security and deadline as the caller read them ($10-$12): a tender that
// no longer has them stores nothing, and the general transaction stores
// the bid instead.
//
// The outbox rows and the audit record are written as events.Enqueue and
// audit.Record write them (same columns); the statement only folds them
// into one round trip. The relay is notified by Enqueue's rule (no row
// sent in the last 750 ms) and, besides, only when no event waits unsent
// (the relays are then asleep). Without the second condition, a relay
// whose cycle takes more than 750 ms under load makes every bid notify,
// and PostgreSQL serialises notifying commits on one lock. Both are read
// from the newest end of an index (max(sent_at) on outbox_sent, the
// highest unsent seq on outbox_pending): the oldest end of outbox_pending
// holds the entries of every sent row until vacuum, and a plan that
// scans them made each bid slower than the last (BenchmarkBidRush: four
// runs of 4000 bids fell from 1091 to 438 bids/s; now they hold about
// 1500). A bid whose snapshot saw an event that the relay then sent just
// before going to sleep waits for the relay's poll (PollInterval, 1 s).
const newBidStatement = `
	WITH t AS (
		SELECT id FROM tender
		WHERE id = $1 AND state = $25 AND bid_period_start <= $2 AND bid_deadline >= $2
		  AND amendment = $10 AND bid_security_amount = $11 AND bid_deadline = $12
		  AND EXISTS (SELECT 1 FROM vendor_license l
		              WHERE l.business_id = $3 AND l.kbli = tender.kbli AND l.status = $26
		                AND (l.valid_until IS NULL OR l.valid_until > $2))
		FOR KEY SHARE
	),
	b AS (
		INSERT INTO bid (id, tender_id, vendor, submitted_by, state, version, sealed, sealed_sha256, submitted_at, confirmed_amendment)
		SELECT $4, t.id, $3, $5, $27::text, 1, $6, $7, $2, $10 FROM t
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
		SELECT $19, $1, $3, $11, $28::text, $2 FROM b WHERE $11 > 0
		ON CONFLICT (tender_id, vendor) DO NOTHING
		RETURNING id
	),
	o AS (
		INSERT INTO outbox (id, aggregate, type, payload)
		SELECT $16::uuid, $17::text, $29::text, $18::json FROM b
		UNION ALL
		SELECT $20::uuid, $17::text, $30::text, $21::json FROM s
	),
	a AS (
		INSERT INTO audit_record (at, actor, actor_roles, action, entity_type, entity_id, after, request_id)
		SELECT $2, $5, $22, 'bid.submit', 'bid', b.id::text, $23::jsonb, $24 FROM b
	)
	SELECT (SELECT count(pg_notify('` + events.NotifyChannel + `', ''))
	        WHERE coalesce((SELECT max(sent_at) FROM outbox), '-infinity') <= statement_timestamp() - interval '750 milliseconds'
	          AND NOT EXISTS (SELECT 1 FROM outbox WHERE sent_at IS NULL ORDER BY seq DESC LIMIT 1))
	FROM b`

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

// outboxRow is an event as events.Enqueue stores it.
func outboxRow(e app.Event, subject string, at time.Time) (id string, payload []byte, err error) {
	typ := e.Subject()
	ev, err := events.New(Source, typ, subject, e, at)
	if err != nil {
		return "", nil, err
	}
	if payload, err = json.Marshal(ev); err != nil {
		return "", nil, fmt.Errorf("marshal event %s: %w", ev.ID, err)
	}
	if len(payload) > events.MaxEventBytes {
		return "", nil, fmt.Errorf("enqueue event %s %s: %d bytes, over the %d allowed", typ, ev.ID, len(payload), events.MaxEventBytes)
	}
	return ev.ID, payload, nil
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
	submittedID, submitted, err := outboxRow(in.Submitted, bid.ID, at)
	if err != nil {
		return false, err
	}
	securityID, requestedID, requested := uuid.Nil.String(), uuid.Nil.String(), []byte("{}")
	if in.Security != nil {
		securityID = in.Security.BidSecurityID
		if requestedID, requested, err = outboxRow(*in.Security, bid.ID, at); err != nil {
			return false, err
		}
	}
	after, err := json.Marshal(in.After)
	if err != nil {
		return false, err
	}
	sig, err := decodeSig(in.Receipt.Signature)
	if err != nil {
		return false, err
	}
	roles := in.Who.Roles
	if roles == nil {
		roles = []string{}
	}
	stmt, err := s.newBid.get(ctx, s.db, newBidStatement)
	if err != nil {
		return false, err
	}
	var notified int
	err = stmt.QueryRowContext(ctx, t.ID, at, bid.Vendor, bid.ID, in.Who.Subject, in.Sealed, bid.SealedSHA256,
		in.Receipt.KeyID, sig, t.Amendment, t.BidSecurityAmount, t.BidDeadline, key, hash, body,
		submittedID, tenderAggregate(t.ID), string(submitted), securityID, requestedID, string(requested),
		pq.StringArray(roles), string(after), in.Who.RequestID,
		domain.BiddingState, domain.QualifyingLicenseStatus, bid.State, domain.SecurityRequested,
		in.Submitted.Subject(), app.SubjectBidSecurityRequested).Scan(&notified)
	switch {
	case errors.Is(err, sql.ErrNoRows), dbx.SQLState(err) == dbx.UniqueViolation, dbx.SQLState(err) == dbx.DeadlockDetected:
		return false, nil
	case err != nil:
		return false, fmt.Errorf("store bid: %w", err)
	}
	return true, nil
}
