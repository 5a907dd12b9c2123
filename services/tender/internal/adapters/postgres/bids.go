package postgres

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"gerbang/pkg/apperr"
	"gerbang/pkg/dbx"
	"gerbang/services/tender/internal/app"
	"gerbang/services/tender/internal/domain"
)

// bidRow is a bid as stored (never the sealed content).
type bidRow struct {
	ID                 string     `db:"id"`
	TenderID           string     `db:"tender_id"`
	Vendor             string     `db:"vendor"`
	State              string     `db:"state"`
	Version            int        `db:"version"`
	SealedSHA256       []byte     `db:"sealed_sha256"`
	SubmittedAt        time.Time  `db:"submitted_at"`
	ConfirmedAmendment int        `db:"confirmed_amendment"`
	WithdrawnAt        *time.Time `db:"withdrawn_at"`
}

const bidColumns = `id, tender_id, vendor, state, version, sealed_sha256, submitted_at, confirmed_amendment, withdrawn_at`

func (r bidRow) bid() domain.Bid {
	b := domain.Bid{ID: r.ID, TenderID: r.TenderID, Vendor: r.Vendor, State: domain.BidState(r.State), Version: r.Version,
		SealedSHA256: r.SealedSHA256, SubmittedAt: r.SubmittedAt.UTC(), ConfirmedAmendment: r.ConfirmedAmendment}
	if r.WithdrawnAt != nil {
		w := r.WithdrawnAt.UTC()
		b.WithdrawnAt = &w
	}
	return b
}

// errReplay rolls back a transaction that found a stored answer.
var errReplay = errors.New("replay the stored answer")

// claimBidRequest takes the key in tx, or returns the answer stored for it.
// A concurrent request with the same key waits here until the first
// commits (and gets its answer) or rolls back (and takes the key).
func claimBidRequest(ctx context.Context, tx *sqlx.Tx, vendor string, key app.BidKey, at time.Time) ([]byte, error) {
	res, err := tx.ExecContext(ctx, `
		INSERT INTO bid_request (vendor, key, request_hash, status, body, created_at) VALUES ($1, $2, $3, 0, '', $4)
		ON CONFLICT (vendor, key) DO NOTHING`, vendor, key.Key, key.Hash, at)
	if err != nil {
		return nil, fmt.Errorf("claim idempotency key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil, nil
	}
	return storedAnswer(ctx, tx, vendor, key)
}

func storedAnswer(ctx context.Context, q sqlx.QueryerContext, vendor string, key app.BidKey) ([]byte, error) {
	prev, err := optional[struct {
		Hash []byte `db:"request_hash"`
		Body []byte `db:"body"`
	}](ctx, q, "idempotency key", `SELECT request_hash, body FROM bid_request WHERE vendor = $1 AND key = $2`, vendor, key.Key)
	if err != nil || prev == nil {
		return nil, err
	}
	if !bytes.Equal(prev.Hash, key.Hash) {
		return nil, apperr.New(apperr.Unprocessable, "This Idempotency-Key was already used with a different request. Use a new key for a new request.")
	}
	return prev.Body, nil
}

// StoredBidAnswer returns the answer stored for a bid request, if any (for
// a retry that arrives after the deadline).
func (s *Store) StoredBidAnswer(ctx context.Context, vendor string, key app.BidKey) ([]byte, error) {
	return storedAnswer(ctx, s.db, vendor, key)
}

// PurgeBidRequests forgets idempotency keys of bids older than before.
func (s *Store) PurgeBidRequests(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM bid_request WHERE created_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("purge bid requests: %w", err)
	}
	return res.RowsAffected()
}

// vendorLicenses reads a vendor's licenses for kbli from the qualification
// read model (every status: the domain decides which qualify).
func vendorLicenses(ctx context.Context, q sqlx.QueryerContext, vendor, kbli string) ([]domain.VendorLicense, error) {
	var rows []struct {
		LicenseID  string     `db:"license_id"`
		Number     string     `db:"number"`
		BusinessID string     `db:"business_id"`
		KBLI       string     `db:"kbli"`
		Status     string     `db:"status"`
		ValidUntil *time.Time `db:"valid_until"`
		EventTime  time.Time  `db:"event_time"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT license_id, number, business_id, kbli, status, valid_until, event_time
		FROM vendor_license WHERE business_id = $1 AND kbli = $2`, vendor, kbli)
	if err != nil {
		return nil, fmt.Errorf("load licenses of %s: %w", vendor, err)
	}
	out := make([]domain.VendorLicense, len(rows))
	for i, r := range rows {
		out[i] = domain.VendorLicense{LicenseID: r.LicenseID, Number: r.Number, BusinessID: r.BusinessID, KBLI: r.KBLI,
			Status: domain.LicenseStatus(r.Status), ValidUntil: r.ValidUntil, EventTime: r.EventTime}
	}
	return out, nil
}

// WriteBid is the general bid transaction (see app.Store). The tender is
// locked FOR KEY SHARE, shared by every bid, so bids never wait for each
// other; it conflicts with the FOR UPDATE of every change to the tender
// row, the scheduler's close among them. A bid waiting behind the close
// reads the tender after it, finds it in opening, and is refused: a bid so
// acknowledged is committed before the close can lock the tender, and is
// counted at the opening.
func (s *Store) WriteBid(ctx context.Context, in app.BidWrite,
	fn func(t *domain.Tender, current *domain.Bid, licenses []domain.VendorLicense) (app.BidChange, error)) ([]byte, error) {
	if !isUUID(in.TenderID) || (in.BidID != "" && !isUUID(in.BidID)) {
		return nil, apperr.New(apperr.NotFound, "no such tender or bid")
	}
	var answer []byte
	err := dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if in.Key != nil {
			var err error
			if answer, err = claimBidRequest(ctx, tx, in.Vendor, *in.Key, in.At); err != nil {
				return err
			}
			if answer != nil {
				return errReplay
			}
		}
		t, err := getTender(ctx, tx, in.TenderID, "FOR KEY SHARE OF t")
		if err != nil {
			return err
		}
		licenses, err := vendorLicenses(ctx, tx, in.Vendor, t.KBLI)
		if err != nil {
			return err
		}
		var current *domain.Bid
		if in.BidID != "" {
			row, err := optional[bidRow](ctx, tx, "bid", `SELECT `+bidColumns+` FROM bid
				WHERE id = $1 AND tender_id = $2 AND vendor = $3 FOR UPDATE`, in.BidID, in.TenderID, in.Vendor)
			if err != nil {
				return err
			}
			if row != nil {
				b := row.bid()
				current = &b
			}
		}
		ch, err := fn(t, current, licenses)
		if err != nil {
			return err
		}
		if err := writeBidRow(ctx, tx, in.Who.Subject, current, ch); err != nil {
			return err
		}
		if ch.Security != nil {
			requested, err := requestSecurity(ctx, tx, *ch.Security)
			if err != nil {
				return err
			}
			if requested {
				ch.Effect.Events = append(ch.Effect.Events, *ch.Security)
			}
		}
		if in.Key != nil && ch.Answer != nil {
			answer = ch.Answer
			if _, err := tx.ExecContext(ctx, `UPDATE bid_request SET status = 201, body = $3 WHERE vendor = $1 AND key = $2`,
				in.Vendor, in.Key.Key, ch.Answer); err != nil {
				return fmt.Errorf("store the answer of the bid: %w", err)
			}
		}
		return record(ctx, tx, in.Who, "bid", ch.Bid.ID, tenderAggregate(in.TenderID), ch.Before, ch.After, ch.Effect, in.At)
	})
	if errors.Is(err, errReplay) {
		return answer, nil
	}
	if err != nil {
		return nil, err
	}
	return answer, nil
}

// writeBidRow writes the bid as ch leaves it: inserted when there was none,
// updated otherwise (from a state the domain's move starts from), and the
// receipt of new sealed content.
func writeBidRow(ctx context.Context, tx *sqlx.Tx, by string, current *domain.Bid, ch app.BidChange) error {
	b := ch.Bid
	var err error
	if current == nil {
		_, err = tx.ExecContext(ctx, `
			INSERT INTO bid (id, tender_id, vendor, submitted_by, state, version, sealed, sealed_sha256, submitted_at, confirmed_amendment)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			b.ID, b.TenderID, b.Vendor, by, b.State, b.Version, ch.Sealed, b.SealedSHA256, b.SubmittedAt, b.ConfirmedAmendment)
		if dbx.SQLState(err) == dbx.UniqueViolation {
			return domain.LiveBidExists()
		}
	} else {
		var sealed any // SQL NULL keeps the sealed content (a withdrawal)
		if ch.Sealed != nil {
			sealed = ch.Sealed
		}
		_, err = tx.ExecContext(ctx, `
			UPDATE bid SET state = $2, version = $3, sealed = coalesce($4, sealed), sealed_sha256 = $5, submitted_at = $6,
				confirmed_amendment = $7, withdrawn_at = $8,
				submitted_by = CASE WHEN $4::bytea IS NULL THEN submitted_by ELSE $9 END
			WHERE id = $1`,
			b.ID, b.State, b.Version, sealed, b.SealedSHA256, b.SubmittedAt, b.ConfirmedAmendment, b.WithdrawnAt, by)
	}
	if err != nil {
		return fmt.Errorf("store bid %s: %w", b.ID, err)
	}
	if r := ch.Receipt; r != nil {
		sig, err := decodeSig(r.Signature)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO bid_receipt (bid_id, version, sealed_sha256, received_at, key_id, signature) VALUES ($1, $2, $3, $4, $5, $6)`,
			b.ID, b.Version, b.SealedSHA256, r.ReceivedAt, r.KeyID, sig); err != nil {
			return fmt.Errorf("store the receipt of bid %s: %w", b.ID, err)
		}
	}
	return nil
}

// requestSecurity records that the vendor owes the tender's bid security,
// once per vendor and tender; false when it was already requested for an
// earlier bid.
func requestSecurity(ctx context.Context, tx *sqlx.Tx, r app.BidSecurityRequested) (bool, error) {
	res, err := tx.ExecContext(ctx, `
		INSERT INTO bid_security (id, tender_id, vendor, amount, state, requested_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (tender_id, vendor) DO NOTHING`, r.BidSecurityID, r.TenderID, r.Vendor, r.Amount.Amount,
		domain.SecurityRequested, r.RequestedAt)
	if err != nil {
		return false, fmt.Errorf("request bid security: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// VendorBid returns one bid of vendor; another vendor's bid is NotFound.
func (s *Store) VendorBid(ctx context.Context, tenderID, bidID, vendor string) (domain.Bid, []domain.Receipt, error) {
	if !isUUID(tenderID) || !isUUID(bidID) {
		return domain.Bid{}, nil, apperr.New(apperr.NotFound, "no such bid")
	}
	var r bidRow
	err := s.db.GetContext(ctx, &r, `SELECT `+bidColumns+` FROM bid WHERE id = $1 AND tender_id = $2 AND vendor = $3`,
		bidID, tenderID, vendor)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Bid{}, nil, apperr.New(apperr.NotFound, "no such bid")
	}
	if err != nil {
		return domain.Bid{}, nil, fmt.Errorf("load bid: %w", err)
	}
	b := r.bid()
	receipts, err := s.receipts(ctx, b)
	return b, receipts, err
}

// VendorBids lists the bids of vendor on a tender.
func (s *Store) VendorBids(ctx context.Context, tenderID, vendor string) ([]domain.Bid, error) {
	if !isUUID(tenderID) {
		return nil, domain.NoSuchTender()
	}
	var rows []bidRow
	err := s.db.SelectContext(ctx, &rows, `SELECT `+bidColumns+` FROM bid WHERE tender_id = $1 AND vendor = $2 ORDER BY submitted_at, id`,
		tenderID, vendor)
	if err != nil {
		return nil, fmt.Errorf("list bids: %w", err)
	}
	out := make([]domain.Bid, len(rows))
	for i, r := range rows {
		out[i] = r.bid()
	}
	return out, nil
}

// VendorSecurity reads the vendor's bid security on the tender.
func (s *Store) VendorSecurity(ctx context.Context, tenderID, vendor string) (domain.BidSecurity, error) {
	if !isUUID(tenderID) {
		return domain.BidSecurity{}, domain.NoSuchTender()
	}
	var r struct {
		ID          string       `db:"id"`
		TenderID    string       `db:"tender_id"`
		Vendor      string       `db:"vendor"`
		Amount      int64        `db:"amount"`
		State       string       `db:"state"`
		RequestedAt time.Time    `db:"requested_at"`
		HeldAt      sql.NullTime `db:"held_at"`
	}
	err := s.db.GetContext(ctx, &r, `
		SELECT id, tender_id, vendor, amount, state, requested_at, held_at FROM bid_security
		WHERE tender_id = $1 AND vendor = $2`, tenderID, vendor)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.BidSecurity{}, domain.NoSuchSecurity()
	}
	if err != nil {
		return domain.BidSecurity{}, fmt.Errorf("read bid security: %w", err)
	}
	out := domain.BidSecurity{ID: r.ID, TenderID: r.TenderID, Vendor: r.Vendor, Amount: r.Amount,
		State: domain.SecurityState(r.State), RequestedAt: r.RequestedAt.UTC()}
	if r.HeldAt.Valid {
		at := r.HeldAt.Time.UTC()
		out.HeldAt = &at
	}
	return out, nil
}

// BidsToConfirm counts the live bids of a tender last confirmed against an
// amendment before amendment.
func (s *Store) BidsToConfirm(ctx context.Context, tenderID string, amendment int) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM bid WHERE tender_id = $1 AND state = $2 AND confirmed_amendment < $3`,
		tenderID, string(domain.BidSubmitted), amendment)
	if err != nil {
		return 0, fmt.Errorf("count bids to confirm: %w", err)
	}
	return n, nil
}

func (s *Store) receipts(ctx context.Context, b domain.Bid) ([]domain.Receipt, error) {
	var rows []struct {
		Version    int       `db:"version"`
		Sum        []byte    `db:"sealed_sha256"`
		ReceivedAt time.Time `db:"received_at"`
		KeyID      string    `db:"key_id"`
		Signature  []byte    `db:"signature"`
	}
	err := s.db.SelectContext(ctx, &rows, `
		SELECT version, sealed_sha256, received_at, key_id, signature FROM bid_receipt WHERE bid_id = $1 ORDER BY version`, b.ID)
	if err != nil {
		return nil, fmt.Errorf("load receipts: %w", err)
	}
	out := make([]domain.Receipt, 0, len(rows))
	for _, r := range rows {
		out = append(out, domain.Receipt{TenderID: b.TenderID, BidID: b.ID, SealedSHA256: hex.EncodeToString(r.Sum),
			ReceivedAt: r.ReceivedAt.UTC(), KeyID: r.KeyID, Signature: encodeSig(r.Signature)})
	}
	return out, nil
}

// BidTerms reads what a bid needs of its tender before its transaction:
// the state, the bid period, the public key to seal to, and the amendment
// and bid security a new bid's answer and events are rendered with. A
// tender the public may not see is NotFound.
func (s *Store) BidTerms(ctx context.Context, tenderID string) (*domain.Tender, error) {
	if !isUUID(tenderID) {
		return nil, domain.NoSuchTender()
	}
	var r struct {
		State          string    `db:"state"`
		Amendment      int       `db:"amendment"`
		BidSecurity    int64     `db:"bid_security_amount"`
		BidPeriodStart time.Time `db:"bid_period_start"`
		BidDeadline    time.Time `db:"bid_deadline"`
		KBLI           string    `db:"kbli"`
		PublicKey      []byte    `db:"public_key"`
	}
	err := s.db.GetContext(ctx, &r, `
		SELECT state, amendment, bid_security_amount, bid_period_start, bid_deadline, kbli, public_key FROM tender WHERE id = $1`, tenderID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, domain.NoSuchTender()
	}
	if err != nil {
		return nil, fmt.Errorf("load tender %s: %w", tenderID, err)
	}
	t := &domain.Tender{ID: tenderID, State: domain.State(r.State), Amendment: r.Amendment, PublicKey: r.PublicKey,
		Terms: domain.Terms{BidSecurityAmount: r.BidSecurity, BidPeriodStart: r.BidPeriodStart.UTC(), BidDeadline: r.BidDeadline.UTC(), KBLI: r.KBLI}}
	if err := t.VisibleTo(domain.ActorOther); err != nil {
		return nil, err
	}
	return t, nil
}
