package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	"gerbang/pkg/apperr"
	"gerbang/services/tender/internal/adapters/postgres"
	"gerbang/services/tender/internal/domain"
)

// SubmitBid seals a vendor's bid with the tender's public key and stores
// it; the vendor gets a signed receipt. Only a vendor holding an active
// license for the tender's KBLI may bid.
func (s *Service) SubmitBid(ctx context.Context, c Caller, tenderID string, content domain.BidContent) (postgres.Bid, domain.Receipt, error) {
	b, r, _, err := s.storeBid(ctx, c, tenderID, "", content, nil)
	return b, r, err
}

// SubmitBidOnce is SubmitBid under an Idempotency-Key: the first answer is
// stored in the bid's transaction and a retry gets it back (req.Render
// makes the answer's body).
func (s *Service) SubmitBidOnce(ctx context.Context, c Caller, tenderID string, content domain.BidContent, req *postgres.BidRequest) (*postgres.Answer, error) {
	_, _, answer, err := s.storeBid(ctx, c, tenderID, "", content, req)
	return answer, err
}

// BidRequestHash fingerprints a bid request for its Idempotency-Key. It is
// keyed (HMAC-SHA256 under a key derived from the receipt signing key): a
// plain hash of the request would let someone holding a database dump try
// prices against it before the opening.
func (s *Service) BidRequestHash(tenderID string, body []byte) []byte {
	key := sha256.Sum256(append([]byte("gerbang/tender/bid-request/v1\x00"), s.receiptKey.Seed()...))
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte(tenderID + "\n"))
	m.Write(body)
	return m.Sum(nil)
}

// ReplaceBid replaces the vendor's live bid before the deadline (also how
// a bid is confirmed again after an addendum).
func (s *Service) ReplaceBid(ctx context.Context, c Caller, tenderID, bidID string, content domain.BidContent) (postgres.Bid, domain.Receipt, error) {
	b, r, _, err := s.storeBid(ctx, c, tenderID, bidID, content, nil)
	return b, r, err
}

func (s *Service) storeBid(ctx context.Context, c Caller, tenderID, replace string, content domain.BidContent, req *postgres.BidRequest) (postgres.Bid, domain.Receipt, *postgres.Answer, error) {
	fail := func(err error) (postgres.Bid, domain.Receipt, *postgres.Answer, error) {
		return postgres.Bid{}, domain.Receipt{}, nil, err
	}
	vendor, err := c.vendor()
	if err != nil {
		return fail(err)
	}
	if err := content.Validate(); err != nil {
		return fail(err)
	}
	t, err := s.bidTerms.get(ctx, tenderID, s.store.BidTerms)
	if err != nil {
		return fail(err)
	}
	// Checked again inside the transaction; here it spares a late bid the
	// sealing and the lock. A refusal is decided on terms read afresh, not
	// on the cached ones. A late retry of an answered request still gets
	// its answer.
	if t.AcceptsBids(s.now()) != nil {
		if t, err = s.store.BidTerms(ctx, tenderID); err != nil {
			return fail(err)
		}
	}
	if err := t.AcceptsBids(s.now()); err != nil {
		if req != nil {
			if answer, aerr := s.store.StoredBidAnswer(ctx, vendor, req); aerr != nil || answer != nil {
				return postgres.Bid{}, domain.Receipt{}, answer, aerr
			}
		}
		return fail(err)
	}
	// The vendor's qualification (an active license for the KBLI) is checked
	// in the bid's statement, against the read model of licensing events.
	sealed, err := domain.SealBid(t.PublicKey, t.ID, vendor, content)
	if err != nil {
		return fail(err)
	}
	sign := func(tenderID, bidID string, sealed []byte, at time.Time) domain.Receipt {
		return domain.IssueReceipt(s.receiptKey, s.receiptKID, tenderID, bidID, sealed, at)
	}
	return s.store.SubmitBidOnce(ctx, postgres.BidInput{TenderID: t.ID, Vendor: vendor, Sealed: sealed, ReplaceID: replace, Terms: t},
		c.who(), s.now, sign, req)
}

// WithdrawBid withdraws the vendor's bid before the deadline.
func (s *Service) WithdrawBid(ctx context.Context, c Caller, tenderID, bidID string) (postgres.Bid, error) {
	vendor, err := c.vendor()
	if err != nil {
		return postgres.Bid{}, err
	}
	return s.store.WithdrawBid(ctx, tenderID, bidID, vendor, c.who(), s.now)
}

// Bid returns one of the vendor's own bids; any other id is NotFound.
func (s *Service) Bid(ctx context.Context, c Caller, tenderID, bidID string) (postgres.Bid, []domain.Receipt, error) {
	vendor, err := c.vendor()
	if err != nil {
		return postgres.Bid{}, nil, apperr.New(apperr.NotFound, "no such bid")
	}
	return s.store.VendorBid(ctx, tenderID, bidID, vendor)
}

// Bids lists the vendor's own bids on a tender.
func (s *Service) Bids(ctx context.Context, c Caller, tenderID string) ([]postgres.Bid, error) {
	vendor, err := c.vendor()
	if err != nil {
		return nil, err
	}
	return s.store.VendorBids(ctx, tenderID, vendor)
}

// Reasons a bid is out at the opening.
const (
	ReasonUndecryptable   = "the sealed bid could not be decrypted"
	ReasonSecurityUnpaid  = "bid security not paid by the opening"
	reasonNotReconfirmedF = "not confirmed after addendum %d"
)

// maxBidsInOpenedEvent bounds tender.bids.opened under the outbox's event
// size limit; beyond it the event carries the counts and readers fetch the
// opening record.
const maxBidsInOpenedEvent = 1000

// OpenBids opens the bids, by the tender's committee after the deadline:
// every bid is decrypted or its failure recorded; bids without a paid bid
// security, or not confirmed after the latest addendum, are disqualified
// with the reason; too few valid bids fail the tender.
func (s *Service) OpenBids(ctx context.Context, c Caller, tenderID string) (*domain.Tender, postgres.Opening, error) {
	now := s.now()
	return s.store.OpenBids(ctx, tenderID, c.who(), now, func(t *domain.Tender, bids []postgres.SealedBid) ([]postgres.OpenedBid, postgres.Effect, error) {
		by := c.actorOn(t)
		if t.State == domain.StateDraft && by != domain.ActorCommittee {
			return nil, postgres.Effect{}, apperr.New(apperr.NotFound, "no such tender")
		}
		if err := t.StartOpening(by, now); err != nil {
			return nil, postgres.Effect{}, err
		}
		opener, err := s.kek.UnwrapForOpening(t, now)
		if err != nil {
			return nil, postgres.Effect{}, err
		}
		opened := make([]postgres.OpenedBid, 0, len(bids))
		record := make([]map[string]any, 0, len(bids))
		valid := 0
		for _, b := range bids {
			o := postgres.OpenedBid{BidID: b.ID, Vendor: b.Vendor, SubmittedAt: b.SubmittedAt.UTC()}
			content, err := opener.Open(b.Vendor, b.Sealed)
			if err != nil {
				msg := err.Error()
				o.DecryptError, o.Disqualified = &msg, ReasonUndecryptable
			} else {
				price, offer := content.Price, content.TechnicalOffer
				o.Price, o.TechnicalOffer = &price, &offer
				if len(content.Documents) > 0 {
					if o.Documents, err = json.Marshal(content.Documents); err != nil {
						return nil, postgres.Effect{}, err
					}
				}
			}
			switch {
			case o.Disqualified != "":
			case t.BidSecurityAmount > 0 && !b.SecurityHeld:
				o.Disqualified = ReasonSecurityUnpaid
			case b.ConfirmedAmendment < t.Amendment:
				o.Disqualified = fmt.Sprintf(reasonNotReconfirmedF, t.Amendment)
			default:
				valid++
			}
			opened = append(opened, o)
			entry := map[string]any{"bid_id": o.BidID, "vendor": o.Vendor, "price": nil, "disqualified": o.Disqualified}
			if o.Price != nil {
				entry["price"] = map[string]any{"amount": *o.Price, "currency": "IDR"}
			}
			record = append(record, entry)
		}
		if err := t.FinishOpening(by, valid); err != nil {
			return nil, postgres.Effect{}, err
		}
		data := map[string]any{"tender_id": t.ID, "opened_at": now, "valid_bids": valid, "bids_total": len(opened)}
		if len(record) <= maxBidsInOpenedEvent {
			data["bids"] = record
		}
		eff := postgres.Effect{Action: "tender.open_bids", Events: []postgres.Event{{Type: "tender.bids.opened", Data: data}}}
		if t.State == domain.StateFailed {
			eff.Reason = t.Reason
			eff.Events = append(eff.Events, endedEvents(t, now)...)
		}
		return opened, eff, nil
	})
}

// OpeningRecord returns the published opening record (after the opening,
// to anyone).
func (s *Service) OpeningRecord(ctx context.Context, tenderID string) (postgres.Opening, error) {
	return s.store.OpeningRecord(ctx, tenderID)
}

// OpenedBids returns the opened bids in full (price, technical offer,
// documents) to the tender's committee, after the opening.
func (s *Service) OpenedBids(ctx context.Context, c Caller, tenderID string) (postgres.Opening, error) {
	t, err := s.store.Tender(ctx, tenderID)
	if err != nil {
		return postgres.Opening{}, err
	}
	if c.actorOn(t) != domain.ActorCommittee {
		if t.State == domain.StateDraft {
			return postgres.Opening{}, apperr.New(apperr.NotFound, "no such tender")
		}
		return postgres.Opening{}, apperr.New(apperr.Forbidden, "only the tender's committee reads the opened bids in full")
	}
	return s.store.OpeningRecord(ctx, tenderID)
}
