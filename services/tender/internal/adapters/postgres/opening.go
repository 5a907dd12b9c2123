package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"gerbang/pkg/apperr"
	"gerbang/pkg/dbx"
	"gerbang/services/tender/internal/app"
	"gerbang/services/tender/internal/domain"
)

type sealedBidRow struct {
	ID                 string    `db:"id"`
	Vendor             string    `db:"vendor"`
	VendorName         string    `db:"vendor_name"`
	Sealed             []byte    `db:"sealed"`
	SubmittedAt        time.Time `db:"submitted_at"`
	ConfirmedAmendment int       `db:"confirmed_amendment"`
	SecurityRequired   bool      `db:"security_required"`
	SecurityHeld       bool      `db:"security_held"`
}

// openedBidRow is an opened bid as stored, and as json_to_recordset reads
// a batch of them.
type openedBidRow struct {
	TenderID       string    `db:"tender_id" json:"-"`
	BidID          string    `db:"bid_id" json:"bid_id"`
	Vendor         string    `db:"vendor" json:"vendor"`
	VendorName     string    `db:"vendor_name" json:"vendor_name"`
	SubmittedAt    time.Time `db:"submitted_at" json:"submitted_at"`
	Price          *int64    `db:"price" json:"price"`
	TechnicalOffer *string   `db:"technical_offer" json:"technical_offer"`
	DecryptError   *string   `db:"decrypt_error" json:"decrypt_error"`
	Disqualified   string    `db:"disqualified" json:"disqualified"`
	Documents      rawJSON   `db:"documents" json:"documents"`
}

// rawJSON is a nullable json(b) column, kept as its bytes.
type rawJSON []byte

func (j *rawJSON) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*j = nil
	case []byte:
		*j = append((*j)[:0], v...)
	case string:
		*j = rawJSON(v)
	default:
		return fmt.Errorf("scan %T into json", src)
	}
	return nil
}

func (j rawJSON) MarshalJSON() ([]byte, error) {
	if len(j) == 0 {
		return []byte("null"), nil
	}
	return j, nil
}

func (r openedBidRow) opened() (app.OpenedBid, error) {
	o := app.OpenedBid{BidID: r.BidID, Vendor: r.Vendor, VendorName: r.VendorName, SubmittedAt: r.SubmittedAt.UTC(), Price: r.Price,
		TechnicalOffer: r.TechnicalOffer, DecryptError: r.DecryptError, Disqualified: r.Disqualified}
	if len(r.Documents) > 0 && string(r.Documents) != "null" {
		if err := json.Unmarshal(r.Documents, &o.Documents); err != nil {
			return app.OpenedBid{}, fmt.Errorf("decode the documents of opened bid %s: %w", r.BidID, err)
		}
	}
	return o, nil
}

// OpenBids runs the opening in one transaction: the tender locked FOR
// UPDATE, fn given the bids that count at the opening (fn starts the
// opening, unwraps the key, decrypts), then the opening record (its bids
// in one statement), the tender and the events written.
func (s *Store) OpenBids(ctx context.Context, tenderID string, who app.Who, now time.Time,
	fn func(t *domain.Tender, bids []app.SealedBid) ([]app.OpenedBid, app.Effect, error)) (*domain.Tender, app.Opening, error) {
	if !isUUID(tenderID) {
		return nil, app.Opening{}, domain.NoSuchTender()
	}
	var out *domain.Tender
	var op app.Opening
	err := dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		t, err := getTender(ctx, tx, tenderID, "FOR UPDATE OF t")
		if err != nil {
			return err
		}
		before := snapshot(t)
		var rows []sealedBidRow
		// Only bids that count at the opening (domain.Bid.CountsAtOpening):
		// live, with a server time at or before the deadline (a second
		// guard beside the lock; see README).
		err = tx.SelectContext(ctx, &rows, `
			SELECT b.id, b.vendor, b.sealed, b.submitted_at, b.confirmed_amendment,
				COALESCE((SELECT l.holder_name FROM vendor_license l WHERE l.business_id = b.vendor AND l.holder_name <> ''
					ORDER BY l.event_time DESC LIMIT 1), '') AS vendor_name,
				s.id IS NOT NULL AS security_required, COALESCE(s.state = $4, false) AS security_held
			FROM bid b LEFT JOIN bid_security s ON s.tender_id = b.tender_id AND s.vendor = b.vendor
			WHERE b.tender_id = $1 AND b.state = $3 AND b.submitted_at <= $2
			ORDER BY b.submitted_at, b.id`, tenderID, t.BidDeadline, domain.LiveBidState, domain.SecurityHeld)
		if err != nil {
			return fmt.Errorf("load sealed bids: %w", err)
		}
		bids := make([]app.SealedBid, len(rows))
		for i, r := range rows {
			bids[i] = app.SealedBid(r)
		}
		opened, eff, err := fn(t, bids)
		if err != nil {
			return err
		}
		op = app.Opening{TenderID: tenderID, OpenedBy: who.Subject, OpenedAt: now, Bids: opened}
		batch := make([]openedBidRow, len(opened))
		for i, b := range opened {
			if b.Disqualified == "" {
				op.ValidBids++
			}
			batch[i] = openedBidRow{BidID: b.BidID, Vendor: b.Vendor, VendorName: b.VendorName, SubmittedAt: b.SubmittedAt, Price: b.Price,
				TechnicalOffer: b.TechnicalOffer, DecryptError: b.DecryptError, Disqualified: b.Disqualified}
			if len(b.Documents) > 0 {
				if batch[i].Documents, err = json.Marshal(b.Documents); err != nil {
					return err
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO opening (tender_id, opened_by, opened_at, valid_bids) VALUES ($1, $2, $3, $4)`,
			tenderID, who.Subject, now, op.ValidBids); err != nil {
			return dbx.MapConstraint(fmt.Errorf("insert opening: %w", err), "the bids of this tender were already opened")
		}
		if len(batch) > 0 {
			raw, err := json.Marshal(batch)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `
				INSERT INTO opened_bid (tender_id, bid_id, vendor, vendor_name, submitted_at, price, technical_offer, decrypt_error, disqualified, documents)
				SELECT $1, x.bid_id, x.vendor, x.vendor_name, x.submitted_at, x.price, x.technical_offer, x.decrypt_error, x.disqualified, x.documents
				FROM json_to_recordset($2::json) AS x(bid_id uuid, vendor text, vendor_name text, submitted_at timestamptz, price bigint,
					technical_offer text, decrypt_error text, disqualified text, documents jsonb)`, tenderID, string(raw)); err != nil {
				return fmt.Errorf("insert opened bids: %w", err)
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

const openedBidColumns = `tender_id, bid_id, vendor, vendor_name, submitted_at, price, technical_offer, decrypt_error, disqualified, documents`

type openingRow struct {
	TenderID  string    `db:"tender_id"`
	OpenedBy  string    `db:"opened_by"`
	OpenedAt  time.Time `db:"opened_at"`
	ValidBids int       `db:"valid_bids"`
}

// OpeningRecord returns a tender's opening record; NotFound before it.
func (s *Store) OpeningRecord(ctx context.Context, tenderID string) (app.Opening, error) {
	if !isUUID(tenderID) {
		return app.Opening{}, domain.NoSuchTender()
	}
	ops, err := openings(ctx, s.db, []string{tenderID})
	if err != nil {
		return app.Opening{}, err
	}
	op, ok := ops[tenderID]
	if !ok {
		return app.Opening{}, apperr.New(apperr.NotFound, "the bids of this tender have not been opened")
	}
	return *op, nil
}

// openings reads the opening records of tenders, in two queries.
func openings(ctx context.Context, q sqlx.QueryerContext, tenderIDs []string) (map[string]*app.Opening, error) {
	var heads []openingRow
	if err := sqlx.SelectContext(ctx, q, &heads, `
		SELECT tender_id, opened_by, opened_at, valid_bids FROM opening WHERE tender_id = ANY($1::uuid[])`,
		pq.StringArray(tenderIDs)); err != nil {
		return nil, fmt.Errorf("load openings: %w", err)
	}
	out := make(map[string]*app.Opening, len(heads))
	if len(heads) == 0 {
		return out, nil
	}
	for _, h := range heads {
		out[h.TenderID] = &app.Opening{TenderID: h.TenderID, OpenedBy: h.OpenedBy, OpenedAt: h.OpenedAt.UTC(),
			ValidBids: h.ValidBids, Bids: []app.OpenedBid{}}
	}
	var rows []openedBidRow
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT `+openedBidColumns+` FROM opened_bid
		WHERE tender_id = ANY($1::uuid[]) ORDER BY tender_id, submitted_at, bid_id`, pq.StringArray(tenderIDs)); err != nil {
		return nil, fmt.Errorf("load opened bids: %w", err)
	}
	for _, r := range rows {
		o, err := r.opened()
		if err != nil {
			return nil, err
		}
		op := out[r.TenderID]
		op.Bids = append(op.Bids, o)
	}
	return out, nil
}

// duePicks are the queries that claim a tender whose period ended, with
// the state each kind moves from (the domain's).
var duePicks = map[app.Due]struct {
	query string
	from  domain.State
}{
	app.DueBidPeriodStart: {`SELECT id FROM tender WHERE state = $2 AND bid_period_start <= $1 ORDER BY bid_period_start`, domain.StateAnnounced},
	app.DueBidDeadline:    {`SELECT id FROM tender WHERE state = $2 AND bid_deadline < $1 ORDER BY bid_deadline`, domain.StateTendering},
	app.DueObjectionEnd: {`SELECT id FROM tender t WHERE state = $2 AND objection_ends_at < $1
			AND NOT EXISTS (SELECT 1 FROM objection o WHERE o.tender_id = t.id AND o.answered_at IS NULL)
			ORDER BY objection_ends_at`, domain.StateObjectionPeriod},
}

// AdvanceDue claims one tender whose period of the given kind has ended by
// now (FOR UPDATE SKIP LOCKED, so several instances share the work and a
// tender with bids in flight is left for the next tick), runs fn and writes
// the result. It reports whether a tender was advanced.
func (s *Store) AdvanceDue(ctx context.Context, kind app.Due, now time.Time, who app.Who,
	fn func(t *domain.Tender, f app.Facts) (app.Change, error)) (bool, error) {
	pick, ok := duePicks[kind]
	if !ok {
		return false, fmt.Errorf("unknown due kind %d", kind)
	}
	advanced := false
	err := dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var id string
		err := tx.GetContext(ctx, &id, pick.query+` LIMIT 1 FOR UPDATE SKIP LOCKED`, now, pick.from)
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
		var f app.Facts
		err = tx.GetContext(ctx, &f.LiveBids, `
			SELECT count(*) FROM bid WHERE tender_id = $1 AND state = $3 AND submitted_at <= $2`, id, t.BidDeadline, domain.LiveBidState)
		if err != nil {
			return fmt.Errorf("count bids: %w", err)
		}
		err = tx.GetContext(ctx, &f.UnansweredObjections, `SELECT count(*) FROM objection WHERE tender_id = $1 AND answered_at IS NULL`, id)
		if err != nil {
			return fmt.Errorf("count objections: %w", err)
		}
		if f.Award, err = (reader{ctx: ctx, tx: tx, tenderID: id}).Award(); err != nil {
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
