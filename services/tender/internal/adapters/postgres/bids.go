package postgres

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"gerbang/pkg/apperr"
	"gerbang/pkg/dbx"
	"gerbang/services/tender/internal/domain"
)

// BidInput is a sealed bid to store: a new one, or a replacement of the
// vendor's live bid when ReplaceID is set.
type BidInput struct {
	TenderID  string
	Vendor    string // the business (JWT org)
	Sealed    []byte
	ReplaceID string
}

// Signer signs the receipt of a stored sealed bid.
type Signer func(tenderID, bidID string, sealed []byte, receivedAt time.Time) domain.Receipt

// Bid is a bid as its vendor sees it: never a price.
type Bid struct {
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

// bidWindow is what a bid transaction reads of its tender, under FOR KEY
// SHARE: a lock that bids share with each other and that conflicts only
// with the FOR UPDATE of a change to the tender (the scheduler's close
// among them), so no bid waits for another, and the close waits for (or
// skips past) every bid in flight.
func bidWindow(ctx context.Context, tx *sqlx.Tx, tenderID string) (*domain.Tender, error) {
	var r struct {
		State          string    `db:"state"`
		BidPeriodStart time.Time `db:"bid_period_start"`
		BidDeadline    time.Time `db:"bid_deadline"`
		Amendment      int       `db:"amendment"`
		Security       int64     `db:"bid_security_amount"`
	}
	err := tx.GetContext(ctx, &r, `
		SELECT state, bid_period_start, bid_deadline, amendment, bid_security_amount
		FROM tender WHERE id = $1 FOR KEY SHARE`, tenderID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "no such tender")
	}
	if err != nil {
		return nil, fmt.Errorf("lock tender %s for a bid: %w", tenderID, err)
	}
	return &domain.Tender{ID: tenderID, State: domain.State(r.State), Amendment: r.Amendment,
		Terms: domain.Terms{BidPeriodStart: r.BidPeriodStart.UTC(), BidDeadline: r.BidDeadline.UTC(), BidSecurityAmount: r.Security}}, nil
}

// SubmitBid stores a sealed bid (new or replacing the vendor's live one)
// and its signed receipt, in one short transaction. The deadline is checked
// against now() read after the tender's key-share lock is held: a bid that
// passes the check is committed before the close can lock the tender, so it
// is counted at the opening; one that comes after is refused.
func (s *Store) SubmitBid(ctx context.Context, in BidInput, who Who, now func() time.Time, sign Signer) (Bid, domain.Receipt, error) {
	if !isUUID(in.TenderID) || (in.ReplaceID != "" && !isUUID(in.ReplaceID)) {
		return Bid{}, domain.Receipt{}, apperr.New(apperr.NotFound, "no such tender or bid")
	}
	var bid Bid
	var receipt domain.Receipt
	err := dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		t, err := bidWindow(ctx, tx, in.TenderID)
		if err != nil {
			return err
		}
		at := now()
		if err := t.AcceptsBids(at); err != nil {
			return err
		}
		sum := sha256.Sum256(in.Sealed)
		action := "bid.submit"
		if in.ReplaceID == "" {
			id, err := uuid.NewV7()
			if err != nil {
				return err
			}
			bid = Bid{ID: id.String(), TenderID: in.TenderID, Vendor: in.Vendor, State: "submitted", Version: 1,
				SealedSHA256: sum[:], SubmittedAt: at, ConfirmedAmendment: t.Amendment}
			_, err = tx.ExecContext(ctx, `
				INSERT INTO bid (id, tender_id, vendor, submitted_by, state, version, sealed, sealed_sha256, submitted_at, confirmed_amendment)
				VALUES ($1, $2, $3, $4, 'submitted', 1, $5, $6, $7, $8)`,
				bid.ID, in.TenderID, in.Vendor, who.Subject, in.Sealed, sum[:], at, t.Amendment)
			if dbx.SQLState(err) == dbx.UniqueViolation {
				return apperr.New(apperr.Conflict, "you already have a bid on this tender; replace or withdraw it")
			}
			if err != nil {
				return fmt.Errorf("insert bid: %w", err)
			}
		} else {
			action = "bid.replace"
			err := tx.GetContext(ctx, &bid, `
				UPDATE bid SET sealed = $4, sealed_sha256 = $5, submitted_at = $6, confirmed_amendment = $7,
					version = version + 1, submitted_by = $8
				WHERE id = $1 AND tender_id = $2 AND vendor = $3 AND state = 'submitted'
				RETURNING id, tender_id, vendor, state, version, sealed_sha256, submitted_at, confirmed_amendment, withdrawn_at`,
				in.ReplaceID, in.TenderID, in.Vendor, in.Sealed, sum[:], at, t.Amendment, who.Subject)
			if errors.Is(err, sql.ErrNoRows) {
				return apperr.New(apperr.NotFound, "no such live bid of yours on this tender")
			}
			if err != nil {
				return fmt.Errorf("replace bid: %w", err)
			}
		}
		receipt = sign(in.TenderID, bid.ID, in.Sealed, at)
		if err := insertReceipt(ctx, tx, bid, receipt); err != nil {
			return err
		}
		eff := Effect{Action: action, Events: []Event{{Type: "tender.bid.submitted", Data: map[string]any{
			"bid_id": bid.ID, "tender_id": in.TenderID, "vendor": in.Vendor, "version": bid.Version,
			"sealed_sha256": receipt.SealedSHA256, "submitted_at": at, "replaced": in.ReplaceID != "",
		}}}}
		if t.BidSecurityAmount > 0 {
			ev, err := requestSecurity(ctx, tx, t, in.Vendor, at)
			if err != nil {
				return err
			}
			if ev != nil {
				eff.Events = append(eff.Events, *ev)
			}
		}
		after := map[string]any{"version": bid.Version, "sealed_sha256": receipt.SealedSHA256, "submitted_at": at}
		return record(ctx, tx, who, "bid", bid.ID, tenderAggregate(in.TenderID), nil, after, eff, at)
	})
	return bid, receipt, err
}

func insertReceipt(ctx context.Context, tx *sqlx.Tx, bid Bid, r domain.Receipt) error {
	sum, err := hex.DecodeString(r.SealedSHA256)
	if err != nil {
		return err
	}
	sig, err := decodeSig(r.Signature)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO bid_receipt (bid_id, version, sealed_sha256, received_at, key_id, signature)
		VALUES ($1, $2, $3, $4, $5, $6)`, bid.ID, bid.Version, sum, r.ReceivedAt, r.KeyID, sig)
	if err != nil {
		return fmt.Errorf("insert receipt: %w", err)
	}
	return nil
}

// requestSecurity records that the vendor owes the tender's bid security,
// once per vendor and tender, and returns the event asking payment for it.
func requestSecurity(ctx context.Context, tx *sqlx.Tx, t *domain.Tender, vendor string, at time.Time) (*Event, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return nil, err
	}
	var got string
	err = tx.GetContext(ctx, &got, `
		INSERT INTO bid_security (id, tender_id, vendor, amount, state, requested_at)
		VALUES ($1, $2, $3, $4, 'requested', $5)
		ON CONFLICT (tender_id, vendor) DO NOTHING RETURNING id`, id.String(), t.ID, vendor, t.BidSecurityAmount, at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil // already requested for an earlier bid of this vendor
	}
	if err != nil {
		return nil, fmt.Errorf("request bid security: %w", err)
	}
	return &Event{Type: "tender.bid_security.requested", Data: map[string]any{
		"bid_security_id": got, "tender_id": t.ID, "vendor": vendor,
		"amount":    map[string]any{"amount": t.BidSecurityAmount, "currency": "IDR"},
		"reference": got, "requested_at": at, "pay_before": t.BidDeadline,
	}}, nil
}

// WithdrawBid withdraws the vendor's live bid, before the deadline.
func (s *Store) WithdrawBid(ctx context.Context, tenderID, bidID, vendor string, who Who, now func() time.Time) (Bid, error) {
	if !isUUID(tenderID) || !isUUID(bidID) {
		return Bid{}, apperr.New(apperr.NotFound, "no such bid")
	}
	var bid Bid
	err := dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		t, err := bidWindow(ctx, tx, tenderID)
		if err != nil {
			return err
		}
		at := now()
		if err := t.AcceptsBids(at); err != nil {
			return err
		}
		err = tx.GetContext(ctx, &bid, `
			UPDATE bid SET state = 'withdrawn', withdrawn_at = $4
			WHERE id = $1 AND tender_id = $2 AND vendor = $3 AND state = 'submitted'
			RETURNING id, tender_id, vendor, state, version, sealed_sha256, submitted_at, confirmed_amendment, withdrawn_at`,
			bidID, tenderID, vendor, at)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.New(apperr.NotFound, "no such live bid of yours on this tender")
		}
		if err != nil {
			return fmt.Errorf("withdraw bid: %w", err)
		}
		eff := Effect{Action: "bid.withdraw", Events: []Event{{Type: "tender.bid.withdrawn", Data: map[string]any{
			"bid_id": bid.ID, "tender_id": tenderID, "vendor": vendor, "withdrawn_at": at,
		}}}}
		return record(ctx, tx, who, "bid", bid.ID, tenderAggregate(tenderID), map[string]any{"state": "submitted"},
			map[string]any{"state": "withdrawn"}, eff, at)
	})
	return bid, err
}

const bidColumns = `id, tender_id, vendor, state, version, sealed_sha256, submitted_at, confirmed_amendment, withdrawn_at`

// VendorBid returns one bid of vendor; another vendor's bid is NotFound.
func (s *Store) VendorBid(ctx context.Context, tenderID, bidID, vendor string) (Bid, []domain.Receipt, error) {
	if !isUUID(tenderID) || !isUUID(bidID) {
		return Bid{}, nil, apperr.New(apperr.NotFound, "no such bid")
	}
	var b Bid
	err := s.db.GetContext(ctx, &b, `SELECT `+bidColumns+` FROM bid WHERE id = $1 AND tender_id = $2 AND vendor = $3`,
		bidID, tenderID, vendor)
	if errors.Is(err, sql.ErrNoRows) {
		return Bid{}, nil, apperr.New(apperr.NotFound, "no such bid")
	}
	if err != nil {
		return Bid{}, nil, fmt.Errorf("load bid: %w", err)
	}
	receipts, err := s.receipts(ctx, b)
	return b, receipts, err
}

// VendorBids lists the bids of vendor on a tender.
func (s *Store) VendorBids(ctx context.Context, tenderID, vendor string) ([]Bid, error) {
	if !isUUID(tenderID) {
		return nil, apperr.New(apperr.NotFound, "no such tender")
	}
	bids := []Bid{}
	err := s.db.SelectContext(ctx, &bids, `SELECT `+bidColumns+` FROM bid WHERE tender_id = $1 AND vendor = $2 ORDER BY submitted_at, id`,
		tenderID, vendor)
	if err != nil {
		return nil, fmt.Errorf("list bids: %w", err)
	}
	return bids, nil
}

func (s *Store) receipts(ctx context.Context, b Bid) ([]domain.Receipt, error) {
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

// Qualified reports whether business holds an active, unexpired license for
// kbli, by the read model of licensing events.
func (s *Store) Qualified(ctx context.Context, business, kbli string, now time.Time) (bool, error) {
	var ok bool
	err := s.db.GetContext(ctx, &ok, `
		SELECT EXISTS (SELECT 1 FROM vendor_license
			WHERE business_id = $1 AND kbli = $2 AND status = 'active' AND (valid_until IS NULL OR valid_until > $3))`,
		business, kbli, now)
	if err != nil {
		return false, fmt.Errorf("check qualification: %w", err)
	}
	return ok, nil
}
