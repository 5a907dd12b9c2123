package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/apperr"
	"gerbang/pkg/dbx"
	"gerbang/services/tender/internal/domain"
)

// SealedBid is a live bid at the opening.
type SealedBid struct {
	ID                 string    `db:"id"`
	Vendor             string    `db:"vendor"`
	Sealed             []byte    `db:"sealed"`
	SubmittedAt        time.Time `db:"submitted_at"`
	ConfirmedAmendment int       `db:"confirmed_amendment"`
	SecurityRequired   bool      `db:"security_required"`
	SecurityHeld       bool      `db:"security_held"`
}

// OpenedBid is the opening's outcome for one bid: its price and technical
// offer, or why it could not be read, and a disqualification if any.
type OpenedBid struct {
	BidID          string    `db:"bid_id" json:"bid_id"`
	Vendor         string    `db:"vendor" json:"vendor"`
	SubmittedAt    time.Time `db:"submitted_at" json:"submitted_at"`
	Price          *int64    `db:"price" json:"price"`
	TechnicalOffer *string   `db:"technical_offer" json:"-"`
	DecryptError   *string   `db:"decrypt_error" json:"decrypt_error,omitempty"`
	Disqualified   string    `db:"disqualified" json:"disqualified,omitempty"`
	// Documents is the JSON of the decrypted documents (committee only).
	Documents []byte `db:"documents" json:"-"`
}

// Opening is the published record of an opening.
type Opening struct {
	TenderID  string      `db:"tender_id" json:"tender_id"`
	OpenedBy  string      `db:"opened_by" json:"-"`
	OpenedAt  time.Time   `db:"opened_at" json:"opened_at"`
	ValidBids int         `db:"valid_bids" json:"valid_bids"`
	Bids      []OpenedBid `json:"bids"`
}

// OpenBids runs the opening in one transaction: the tender locked FOR
// UPDATE, fn given the live bids submitted by the deadline (fn starts the
// opening, unwraps the key, decrypts), then the opening record, the tender
// and the events written.
func (s *Store) OpenBids(ctx context.Context, tenderID string, who Who, now time.Time,
	fn func(t *domain.Tender, bids []SealedBid) ([]OpenedBid, Effect, error)) (*domain.Tender, Opening, error) {
	if !isUUID(tenderID) {
		return nil, Opening{}, apperr.New(apperr.NotFound, "no such tender")
	}
	var out *domain.Tender
	var op Opening
	err := dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		t, err := getTender(ctx, tx, tenderID, "FOR UPDATE OF t")
		if err != nil {
			return err
		}
		before := snapshot(t)
		var bids []SealedBid
		// Only bids committed with a server time at or before the deadline
		// count (a second guard beside the lock; see README).
		err = tx.SelectContext(ctx, &bids, `
			SELECT b.id, b.vendor, b.sealed, b.submitted_at, b.confirmed_amendment,
				s.id IS NOT NULL AS security_required, COALESCE(s.state = 'held', false) AS security_held
			FROM bid b LEFT JOIN bid_security s ON s.tender_id = b.tender_id AND s.vendor = b.vendor
			WHERE b.tender_id = $1 AND b.state = 'submitted' AND b.submitted_at <= $2
			ORDER BY b.submitted_at, b.id`, tenderID, t.BidDeadline)
		if err != nil {
			return fmt.Errorf("load sealed bids: %w", err)
		}
		opened, eff, err := fn(t, bids)
		if err != nil {
			return err
		}
		op = Opening{TenderID: tenderID, OpenedBy: who.Subject, OpenedAt: now, Bids: opened}
		for _, b := range opened {
			if b.Disqualified == "" {
				op.ValidBids++
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO opening (tender_id, opened_by, opened_at, valid_bids) VALUES ($1, $2, $3, $4)`,
			tenderID, who.Subject, now, op.ValidBids); err != nil {
			return dbx.MapConstraint(fmt.Errorf("insert opening: %w", err), "the bids of this tender were already opened")
		}
		for _, b := range opened {
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO opened_bid (tender_id, bid_id, vendor, submitted_at, price, technical_offer, decrypt_error, disqualified, documents)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
				tenderID, b.BidID, b.Vendor, b.SubmittedAt, b.Price, b.TechnicalOffer, b.DecryptError, b.Disqualified, nullJSON(b.Documents)); err != nil {
				return fmt.Errorf("insert opened bid: %w", err)
			}
		}
		if err := writeTender(ctx, tx, t, now); err != nil {
			return err
		}
		out = t
		return record(ctx, tx, who, "tender", t.ID, tenderAggregate(t.ID), before, snapshot(t), eff, now)
	})
	return out, op, err
}

// OpeningRecord returns a tender's opening record; NotFound before it.
func (s *Store) OpeningRecord(ctx context.Context, tenderID string) (Opening, error) {
	if !isUUID(tenderID) {
		return Opening{}, apperr.New(apperr.NotFound, "no such tender")
	}
	var op Opening
	err := s.db.GetContext(ctx, &op, `SELECT tender_id, opened_by, opened_at, valid_bids FROM opening WHERE tender_id = $1`, tenderID)
	if errors.Is(err, sql.ErrNoRows) {
		return Opening{}, apperr.New(apperr.NotFound, "the bids of this tender have not been opened")
	}
	if err != nil {
		return Opening{}, fmt.Errorf("load opening: %w", err)
	}
	op.Bids = []OpenedBid{}
	err = s.db.SelectContext(ctx, &op.Bids, `
		SELECT bid_id, vendor, submitted_at, price, technical_offer, decrypt_error, disqualified, documents
		FROM opened_bid WHERE tender_id = $1 ORDER BY submitted_at, bid_id`, tenderID)
	if err != nil {
		return Opening{}, fmt.Errorf("load opened bids: %w", err)
	}
	return op, nil
}

// Due is a kind of time-driven move.
type Due int

const (
	DueBidPeriodStart Due = iota // announced -> tendering
	DueBidDeadline               // tendering -> opening (or failed)
	DueObjectionEnd              // objection_period -> awarded
)

// Facts are what the scheduler's moves need beside the tender.
type Facts struct {
	LiveBids             int // bids submitted by the deadline and not withdrawn
	UnansweredObjections int
	Award                *AwardFact // the proposed award, if any
}

// AwardFact is the award a tender proposed.
type AwardFact struct {
	BidID  string `db:"bid_id"`
	Vendor string `db:"vendor"`
	Price  int64  `db:"price"`
}

// AdvanceDue claims one tender whose period of the given kind has ended by
// now (FOR UPDATE SKIP LOCKED, so several instances share the work and a
// tender with bids in flight is left for the next tick), runs fn and writes
// the result. It reports whether a tender was advanced.
func (s *Store) AdvanceDue(ctx context.Context, kind Due, now time.Time, who Who,
	fn func(t *domain.Tender, f Facts) (Change, error)) (bool, error) {
	var pick string
	switch kind {
	case DueBidPeriodStart:
		pick = `SELECT id FROM tender WHERE state = 'announced' AND bid_period_start <= $1 ORDER BY bid_period_start`
	case DueBidDeadline:
		pick = `SELECT id FROM tender WHERE state = 'tendering' AND bid_deadline < $1 ORDER BY bid_deadline`
	case DueObjectionEnd:
		pick = `SELECT id FROM tender t WHERE state = 'objection_period' AND objection_ends_at < $1
			AND NOT EXISTS (SELECT 1 FROM objection o WHERE o.tender_id = t.id AND o.answered_at IS NULL)
			ORDER BY objection_ends_at`
	default:
		return false, fmt.Errorf("unknown due kind %d", kind)
	}
	advanced := false
	err := dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var id string
		err := tx.GetContext(ctx, &id, pick+` LIMIT 1 FOR UPDATE SKIP LOCKED`, now)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("claim due tender: %w", err)
		}
		t, err := getTender(ctx, tx, id, "")
		if err != nil {
			return err
		}
		var f Facts
		err = tx.GetContext(ctx, &f.LiveBids, `
			SELECT count(*) FROM bid WHERE tender_id = $1 AND state = 'submitted' AND submitted_at <= $2`, id, t.BidDeadline)
		if err != nil {
			return fmt.Errorf("count bids: %w", err)
		}
		err = tx.GetContext(ctx, &f.UnansweredObjections, `SELECT count(*) FROM objection WHERE tender_id = $1 AND answered_at IS NULL`, id)
		if err != nil {
			return fmt.Errorf("count objections: %w", err)
		}
		if f.Award, err = (Reader{ctx: ctx, tx: tx, tenderID: id}).Award(); err != nil {
			return err
		}
		before := snapshot(t)
		ch, err := fn(t, f)
		if err != nil {
			return err
		}
		if err := writeTender(ctx, tx, t, now); err != nil {
			return err
		}
		if t.State == domain.StateAwarded {
			if _, err := tx.ExecContext(ctx, `UPDATE award SET finalised_at = $2 WHERE tender_id = $1`, id, now); err != nil {
				return fmt.Errorf("finalise award: %w", err)
			}
		}
		advanced = true
		return record(ctx, tx, who, "tender", t.ID, tenderAggregate(t.ID), before, snapshot(t), ch.Effect, now)
	})
	return advanced, err
}

// nullJSON stores empty JSON as SQL NULL.
func nullJSON(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}
