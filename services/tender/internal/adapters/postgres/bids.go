package postgres

import (
	"bytes"
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
	// Terms are the tender's bid terms as the caller read them (BidTerms):
	// a new bid whose tender still has them (amendment, bid security,
	// deadline) is stored in one statement; otherwise, or when Terms is
	// nil, in the general transaction.
	Terms *domain.Tender
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

// bidWindow reads, under FOR KEY SHARE, what decides whether a bid may be
// stored (used to say why one was not).
func bidWindow(ctx context.Context, tx *sqlx.Tx, tenderID string) (*domain.Tender, error) {
	var r struct {
		State          string    `db:"state"`
		BidPeriodStart time.Time `db:"bid_period_start"`
		BidDeadline    time.Time `db:"bid_deadline"`
		KBLI           string    `db:"kbli"`
	}
	err := tx.GetContext(ctx, &r, `
		SELECT state, bid_period_start, bid_deadline, kbli FROM tender WHERE id = $1 FOR KEY SHARE`, tenderID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.New(apperr.NotFound, "no such tender")
	}
	if err != nil {
		return nil, fmt.Errorf("lock tender %s for a bid: %w", tenderID, err)
	}
	return &domain.Tender{ID: tenderID, State: domain.State(r.State),
		Terms: domain.Terms{BidPeriodStart: r.BidPeriodStart.UTC(), BidDeadline: r.BidDeadline.UTC(), KBLI: r.KBLI}}, nil
}

// bidGate is the common head of the bid statements: the tender, locked FOR
// KEY SHARE, only if it takes bids at $2 (the server clock) from vendor $3
// (an active, unexpired license for its KBLI). FOR KEY SHARE is shared by
// every bid, so bids never wait for each other; it conflicts with the FOR
// UPDATE of every change to the tender row, the scheduler's close among
// them. A bid waiting behind the close re-reads the row, finds it in
// opening, and is refused.
const bidGate = `
	WITH t AS (
		SELECT id, amendment, bid_security_amount, bid_deadline FROM tender
		WHERE id = $1 AND state = 'tendering' AND bid_period_start <= $2 AND bid_deadline >= $2
		  AND EXISTS (SELECT 1 FROM vendor_license l
		              WHERE l.business_id = $3 AND l.kbli = tender.kbli AND l.status = 'active'
		                AND (l.valid_until IS NULL OR l.valid_until > $2))
		FOR KEY SHARE
	)`

// SubmitBid stores a sealed bid (new or replacing the vendor's live one)
// and its signed receipt, in one short transaction whose first statement
// checks the tender's state, the deadline against the server clock and the
// vendor's qualification, locks the tender FOR KEY SHARE, and writes the
// bid and its receipt. A bid so acknowledged is committed before the close
// can lock the tender, and is counted at the opening; any other is refused.
func (s *Store) SubmitBid(ctx context.Context, in BidInput, who Who, now func() time.Time, sign Signer) (Bid, domain.Receipt, error) {
	bid, receipt, _, err := s.SubmitBidOnce(ctx, in, who, now, sign, nil)
	return bid, receipt, err
}

// BidRequest makes a bid submission idempotent inside the bid's own
// transaction: the first answer per (vendor, Key) is stored with the
// request's Hash, and a retry gets it back.
type BidRequest struct {
	Key    string
	Hash   []byte
	Render func(Bid, domain.Receipt) ([]byte, error) // the 201 body to store and answer
}

// Answer is a stored answer to a bid submission.
type Answer struct {
	Status int
	Body   []byte
}

// errReplay rolls back a transaction that found a stored answer.
var errReplay = errors.New("replay the stored answer")

// claimBidRequest takes the key in tx, or returns the answer stored for it.
// A concurrent request with the same key waits here until the first
// commits (and gets its answer) or rolls back (and takes the key).
func claimBidRequest(ctx context.Context, tx *sqlx.Tx, vendor string, req *BidRequest, at time.Time) (*Answer, error) {
	res, err := tx.ExecContext(ctx, `
		INSERT INTO bid_request (vendor, key, request_hash, status, body, created_at) VALUES ($1, $2, $3, 0, '', $4)
		ON CONFLICT (vendor, key) DO NOTHING`, vendor, req.Key, req.Hash, at)
	if err != nil {
		return nil, fmt.Errorf("claim idempotency key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil, nil
	}
	return storedAnswer(ctx, tx, vendor, req)
}

func storedAnswer(ctx context.Context, q sqlx.QueryerContext, vendor string, req *BidRequest) (*Answer, error) {
	prev, err := optional[struct {
		Hash   []byte `db:"request_hash"`
		Status int    `db:"status"`
		Body   []byte `db:"body"`
	}](ctx, q, "idempotency key", `SELECT request_hash, status, body FROM bid_request WHERE vendor = $1 AND key = $2`, vendor, req.Key)
	if err != nil || prev == nil {
		return nil, err
	}
	if !bytes.Equal(prev.Hash, req.Hash) {
		return nil, apperr.New(apperr.Unprocessable, "This Idempotency-Key was already used with a different request. Use a new key for a new request.")
	}
	return &Answer{Status: prev.Status, Body: prev.Body}, nil
}

// StoredBidAnswer returns the answer stored for a bid request, if any (for
// a retry that arrives after the deadline).
func (s *Store) StoredBidAnswer(ctx context.Context, vendor string, req *BidRequest) (*Answer, error) {
	return storedAnswer(ctx, s.db, vendor, req)
}

// PurgeBidRequests forgets idempotency keys of bids older than before.
func (s *Store) PurgeBidRequests(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM bid_request WHERE created_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("purge bid requests: %w", err)
	}
	return res.RowsAffected()
}

// SubmitBidOnce is SubmitBid with an idempotency key (req may be nil): a
// retry gets the stored answer instead of a second bid.
func (s *Store) SubmitBidOnce(ctx context.Context, in BidInput, who Who, now func() time.Time, sign Signer, req *BidRequest) (Bid, domain.Receipt, *Answer, error) {
	if !isUUID(in.TenderID) || (in.ReplaceID != "" && !isUUID(in.ReplaceID)) {
		return Bid{}, domain.Receipt{}, nil, apperr.New(apperr.NotFound, "no such tender or bid")
	}
	sum := sha256.Sum256(in.Sealed)
	bid := Bid{ID: in.ReplaceID, TenderID: in.TenderID, Vendor: in.Vendor, State: "submitted", SealedSHA256: sum[:]}
	action := "bid.replace"
	if bid.ID == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return Bid{}, domain.Receipt{}, nil, err
		}
		bid.ID, action = id.String(), "bid.submit"
	}
	at := now().UTC().Truncate(time.Microsecond) // as PostgreSQL keeps it: a receipt read back verifies
	bid.SubmittedAt = at
	receipt := sign(in.TenderID, bid.ID, in.Sealed, at)
	sig, err := decodeSig(receipt.Signature)
	if err != nil {
		return Bid{}, domain.Receipt{}, nil, err
	}
	if in.ReplaceID == "" && in.Terms != nil {
		stored, answer, err := s.submitNewBid(ctx, in, who, bid, receipt, sig, req)
		switch {
		case err != nil:
			return Bid{}, domain.Receipt{}, nil, err
		case stored:
			bid.Version, bid.ConfirmedAmendment = 1, in.Terms.Amendment
			return bid, receipt, answer, nil
		}
		// Not stored: a retry, a duplicate, changed terms or a refusal,
		// which the transaction below sorts out.
	}
	var answer *Answer
	write := bidGate + `,
	b AS (
		INSERT INTO bid (id, tender_id, vendor, submitted_by, state, version, sealed, sealed_sha256, submitted_at, confirmed_amendment)
		SELECT $4, t.id, $3, $5, 'submitted', 1, $6, $7, $2, t.amendment FROM t
		RETURNING id, version, confirmed_amendment
	)`
	if in.ReplaceID != "" {
		write = bidGate + `,
	b AS (
		UPDATE bid SET sealed = $6, sealed_sha256 = $7, submitted_at = $2, confirmed_amendment = t.amendment,
			version = bid.version + 1, submitted_by = $5
		FROM t WHERE bid.id = $4 AND bid.tender_id = t.id AND bid.vendor = $3 AND bid.state = 'submitted'
		RETURNING bid.id, bid.version, bid.confirmed_amendment
	)`
	}
	write += `,
	r AS (
		INSERT INTO bid_receipt (bid_id, version, sealed_sha256, received_at, key_id, signature)
		SELECT b.id, b.version, $7, $2, $8, $9 FROM b
		RETURNING 1
	)
	SELECT b.version, b.confirmed_amendment, t.bid_security_amount, t.bid_deadline FROM b, t, r`
	err = dbx.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if req != nil {
			if answer, err = claimBidRequest(ctx, tx, in.Vendor, req, at); err != nil {
				return err
			}
			if answer != nil {
				return errReplay
			}
		}
		var row struct {
			Version   int       `db:"version"`
			Amendment int       `db:"confirmed_amendment"`
			Security  int64     `db:"bid_security_amount"`
			Deadline  time.Time `db:"bid_deadline"`
		}
		err := tx.GetContext(ctx, &row, write, in.TenderID, at, in.Vendor, bid.ID, who.Subject, in.Sealed, sum[:], receipt.KeyID, sig)
		switch {
		case dbx.SQLState(err) == dbx.UniqueViolation:
			return apperr.New(apperr.Conflict, "you already have a bid on this tender; replace or withdraw it")
		case errors.Is(err, sql.ErrNoRows):
			return whyNoBid(ctx, tx, in, at)
		case err != nil:
			return fmt.Errorf("store bid: %w", err)
		}
		bid.Version, bid.ConfirmedAmendment = row.Version, row.Amendment
		eff := Effect{Action: action, Events: []Event{{Type: "tender.bid.submitted", Data: map[string]any{
			"bid_id": bid.ID, "tender_id": in.TenderID, "vendor": in.Vendor, "version": bid.Version,
			"sealed_sha256": receipt.SealedSHA256, "submitted_at": at, "replaced": in.ReplaceID != "",
		}}}}
		if row.Security > 0 {
			t := &domain.Tender{ID: in.TenderID, Terms: domain.Terms{BidSecurityAmount: row.Security, BidDeadline: row.Deadline.UTC()}}
			ev, err := requestSecurity(ctx, tx, t, in.Vendor, at)
			if err != nil {
				return err
			}
			if ev != nil {
				eff.Events = append(eff.Events, *ev)
			}
		}
		if req != nil {
			body, err := req.Render(bid, receipt)
			if err != nil {
				return err
			}
			answer = &Answer{Status: 201, Body: body}
			if _, err := tx.ExecContext(ctx, `UPDATE bid_request SET status = $3, body = $4 WHERE vendor = $1 AND key = $2`,
				in.Vendor, req.Key, answer.Status, body); err != nil {
				return fmt.Errorf("store the answer of the bid: %w", err)
			}
		}
		after := map[string]any{"version": bid.Version, "sealed_sha256": receipt.SealedSHA256, "submitted_at": at}
		return record(ctx, tx, who, "bid", bid.ID, tenderAggregate(in.TenderID), nil, after, eff, at)
	})
	if errors.Is(err, errReplay) {
		return Bid{}, domain.Receipt{}, answer, nil
	}
	if err != nil {
		return Bid{}, domain.Receipt{}, nil, err
	}
	return bid, receipt, answer, nil
}

// whyNoBid says why the bid statement stored nothing.
func whyNoBid(ctx context.Context, tx *sqlx.Tx, in BidInput, at time.Time) error {
	t, err := bidWindow(ctx, tx, in.TenderID)
	if err != nil {
		return err
	}
	if err := t.AcceptsBids(at); err != nil {
		return err
	}
	var qualified bool
	err = tx.GetContext(ctx, &qualified, `
		SELECT EXISTS (SELECT 1 FROM vendor_license
			WHERE business_id = $1 AND kbli = $2 AND status = 'active' AND (valid_until IS NULL OR valid_until > $3))`,
		in.Vendor, t.KBLI, at)
	if err != nil {
		return fmt.Errorf("check qualification: %w", err)
	}
	if !qualified {
		return domain.MissingLicense(t.KBLI)
	}
	return apperr.New(apperr.NotFound, "no such live bid of yours on this tender")
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
		at := now().UTC().Truncate(time.Microsecond)
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

// BidTerms reads what a bid needs of its tender before its transaction:
// the state, the bid period, the public key to seal to, and the amendment
// and bid security a new bid's answer and events are rendered with. A
// draft is NotFound.
func (s *Store) BidTerms(ctx context.Context, tenderID string) (*domain.Tender, error) {
	if !isUUID(tenderID) {
		return nil, apperr.New(apperr.NotFound, "no such tender")
	}
	var r struct {
		State          string    `db:"state"`
		Amendment      int       `db:"amendment"`
		BidSecurity    int64     `db:"bid_security_amount"`
		BidPeriodStart time.Time `db:"bid_period_start"`
		BidDeadline    time.Time `db:"bid_deadline"`
		PublicKey      []byte    `db:"public_key"`
	}
	err := s.db.GetContext(ctx, &r, `
		SELECT state, amendment, bid_security_amount, bid_period_start, bid_deadline, public_key FROM tender WHERE id = $1`, tenderID)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && r.State == string(domain.StateDraft)) {
		return nil, apperr.New(apperr.NotFound, "no such tender")
	}
	if err != nil {
		return nil, fmt.Errorf("load tender %s: %w", tenderID, err)
	}
	return &domain.Tender{ID: tenderID, State: domain.State(r.State), Amendment: r.Amendment, PublicKey: r.PublicKey,
		Terms: domain.Terms{BidSecurityAmount: r.BidSecurity, BidPeriodStart: r.BidPeriodStart.UTC(), BidDeadline: r.BidDeadline.UTC()}}, nil
}
