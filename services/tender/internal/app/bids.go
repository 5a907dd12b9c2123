package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"gerbang/pkg/apperr"
	"gerbang/services/tender/internal/domain"
)

// SubmitBid seals a vendor's bid with the tender's public key and stores
// it; the vendor gets a signed receipt. Only a vendor holding an active
// license for the tender's KBLI may bid (domain.MayBid). Under an
// Idempotency-Key (key not nil) the first answer is stored in the bid's
// own transaction, and a retry gets it back.
func (s *Service) SubmitBid(ctx context.Context, c Caller, tenderID string, content domain.BidContent, key *BidKey) (domain.Bid, domain.Receipt, error) {
	vendor, err := c.vendor()
	if err != nil {
		return domain.Bid{}, domain.Receipt{}, err
	}
	if err := content.Validate(); err != nil {
		return domain.Bid{}, domain.Receipt{}, err
	}
	t, err := s.bidTerms.get(ctx, tenderID, s.store.BidTerms)
	if err != nil {
		return domain.Bid{}, domain.Receipt{}, err
	}
	// Checked again in the bid's statement or transaction; here it spares
	// a late bid the sealing. A refusal is decided on terms read afresh,
	// not on the cached ones. A late retry of an answered request still
	// gets its answer.
	if t.AcceptsBids(s.now()) != nil {
		if t, err = s.store.BidTerms(ctx, tenderID); err != nil {
			return domain.Bid{}, domain.Receipt{}, err
		}
	}
	if err := t.AcceptsBids(s.now()); err != nil {
		if key != nil {
			if answer, aerr := s.store.StoredBidAnswer(ctx, vendor, *key); aerr != nil || answer != nil {
				if aerr != nil {
					return domain.Bid{}, domain.Receipt{}, aerr
				}
				return decodeBidAnswer(answer)
			}
		}
		return domain.Bid{}, domain.Receipt{}, err
	}
	sealed, err := domain.SealBid(t.PublicKey, t.ID, vendor, content)
	if err != nil {
		return domain.Bid{}, domain.Receipt{}, err
	}
	at := s.bidTime()
	id, err := newID()
	if err != nil {
		return domain.Bid{}, domain.Receipt{}, err
	}
	sum := sha256.Sum256(sealed)
	if bid, err := domain.NewBid(t, id, vendor, sum[:], at); err == nil {
		// The fast path: one statement, rendered on the terms as read.
		receipt := s.receipt(bid, sealed)
		answer, err := encodeBidAnswer(bid, receipt)
		if err != nil {
			return domain.Bid{}, domain.Receipt{}, err
		}
		security, err := s.securityRequest(t, vendor, at)
		if err != nil {
			return domain.Bid{}, domain.Receipt{}, err
		}
		stored, err := s.store.InsertNewBid(ctx, NewBidWrite{Bid: bid, Sealed: sealed, Receipt: receipt, Terms: t,
			Who: c.who(), Key: key, Answer: answer, Submitted: submittedEvent(bid, receipt, false),
			Security: security, After: bidAudit(bid, receipt)})
		if err != nil {
			return domain.Bid{}, domain.Receipt{}, err
		}
		if stored {
			return bid, receipt, nil
		}
		// Not stored: a retry, a duplicate, changed terms or a refusal,
		// which the general transaction sorts out.
	}
	return s.writeSealed(ctx, c, BidWrite{TenderID: t.ID, Vendor: vendor, Who: c.who(), At: at, Key: key}, id, sealed)
}

// ReplaceBid replaces the vendor's live bid before the deadline (also how
// a bid is confirmed again after an addendum).
func (s *Service) ReplaceBid(ctx context.Context, c Caller, tenderID, bidID string, content domain.BidContent) (domain.Bid, domain.Receipt, error) {
	vendor, err := c.vendor()
	if err != nil {
		return domain.Bid{}, domain.Receipt{}, err
	}
	if err := content.Validate(); err != nil {
		return domain.Bid{}, domain.Receipt{}, err
	}
	t, err := s.store.BidTerms(ctx, tenderID)
	if err != nil {
		return domain.Bid{}, domain.Receipt{}, err
	}
	if err := t.AcceptsBids(s.now()); err != nil {
		return domain.Bid{}, domain.Receipt{}, err
	}
	sealed, err := domain.SealBid(t.PublicKey, t.ID, vendor, content)
	if err != nil {
		return domain.Bid{}, domain.Receipt{}, err
	}
	return s.writeSealed(ctx, c, BidWrite{TenderID: t.ID, BidID: bidID, Vendor: vendor, Who: c.who(), At: s.bidTime()}, bidID, sealed)
}

// writeSealed stores sealed content as a new bid (in.BidID empty; id is
// its id) or as the replacement of in.BidID, in the general transaction.
func (s *Service) writeSealed(ctx context.Context, c Caller, in BidWrite, id string, sealed []byte) (domain.Bid, domain.Receipt, error) {
	sum := sha256.Sum256(sealed)
	var out domain.Bid
	var receipt domain.Receipt
	answer, err := s.store.WriteBid(ctx, in, func(t *domain.Tender, current *domain.Bid, licenses []domain.VendorLicense) (BidChange, error) {
		if err := t.VisibleTo(domain.ActorOther); err != nil {
			return BidChange{}, err
		}
		if err := domain.MayBid(t, licenses, in.At); err != nil {
			return BidChange{}, err
		}
		var b domain.Bid
		action := "bid.submit"
		if in.BidID == "" {
			var err error
			if b, err = domain.NewBid(t, id, in.Vendor, sum[:], in.At); err != nil {
				return BidChange{}, err
			}
		} else {
			if current == nil {
				return BidChange{}, domain.NoSuchBid()
			}
			b, action = *current, "bid.replace"
			if err := b.Replace(t, domain.BidActorOwner, sum[:], in.At); err != nil {
				return BidChange{}, err
			}
		}
		r := s.receipt(b, sealed)
		ch := BidChange{Bid: b, Sealed: sealed, Receipt: &r, Effect: Effect{Action: action,
			Events: []Event{submittedEvent(b, r, in.BidID != "")}}, After: bidAudit(b, r)}
		var err error
		if ch.Security, err = s.securityRequest(t, in.Vendor, in.At); err != nil {
			return BidChange{}, err
		}
		if in.Key != nil {
			if ch.Answer, err = encodeBidAnswer(b, r); err != nil {
				return BidChange{}, err
			}
		}
		out, receipt = b, r
		return ch, nil
	})
	if err != nil {
		return domain.Bid{}, domain.Receipt{}, err
	}
	if answer != nil && out.ID == "" {
		return decodeBidAnswer(answer) // a retry: the first answer
	}
	return out, receipt, nil
}

// bidTime is the server time of a bid, as PostgreSQL keeps it (so that a
// receipt read back verifies).
func (s *Service) bidTime() time.Time { return s.now().Truncate(time.Microsecond) }

func (s *Service) receipt(b domain.Bid, sealed []byte) domain.Receipt {
	return domain.IssueReceipt(s.receiptKey, s.receiptKID, b.TenderID, b.ID, sealed, b.SubmittedAt)
}

// securityRequest is the request of t's bid security for vendor, when t
// asks for one (the store writes it only if the vendor has none yet).
func (s *Service) securityRequest(t *domain.Tender, vendor string, at time.Time) (*BidSecurityRequested, error) {
	if t.BidSecurityAmount <= 0 {
		return nil, nil
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	return &BidSecurityRequested{BidSecurityID: id, TenderID: t.ID, Vendor: vendor, Amount: idr(t.BidSecurityAmount),
		Reference: id, RequestedAt: at, PayBefore: t.BidDeadline}, nil
}

func submittedEvent(b domain.Bid, r domain.Receipt, replaced bool) BidSubmitted {
	return BidSubmitted{BidID: b.ID, TenderID: b.TenderID, Vendor: b.Vendor, Version: b.Version,
		SealedSHA256: r.SealedSHA256, SubmittedAt: b.SubmittedAt, Replaced: replaced}
}

func bidAudit(b domain.Bid, r domain.Receipt) map[string]any {
	return map[string]any{"version": b.Version, "sealed_sha256": r.SealedSHA256, "submitted_at": b.SubmittedAt}
}

// bidAnswer is the answer to a bid stored under its Idempotency-Key: the
// bid and its receipt, from which the HTTP port renders the same response
// to the first request and to every retry.
type bidAnswer struct {
	ID                 string         `json:"id"`
	TenderID           string         `json:"tender_id"`
	Vendor             string         `json:"vendor"`
	State              string         `json:"state"`
	Version            int            `json:"version"`
	SealedSHA256       string         `json:"sealed_sha256"`
	SubmittedAt        time.Time      `json:"submitted_at"`
	ConfirmedAmendment int            `json:"confirmed_amendment"`
	Receipt            domain.Receipt `json:"receipt"`
}

func encodeBidAnswer(b domain.Bid, r domain.Receipt) ([]byte, error) {
	raw, err := json.Marshal(bidAnswer{ID: b.ID, TenderID: b.TenderID, Vendor: b.Vendor, State: string(b.State), Version: b.Version,
		SealedSHA256: hex.EncodeToString(b.SealedSHA256), SubmittedAt: b.SubmittedAt, ConfirmedAmendment: b.ConfirmedAmendment, Receipt: r})
	if err != nil {
		return nil, fmt.Errorf("encode the answer of bid %s: %w", b.ID, err)
	}
	return raw, nil
}

func decodeBidAnswer(raw []byte) (domain.Bid, domain.Receipt, error) {
	var a bidAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		return domain.Bid{}, domain.Receipt{}, fmt.Errorf("decode a stored bid answer: %w", err)
	}
	sum, err := hex.DecodeString(a.SealedSHA256)
	if err != nil {
		return domain.Bid{}, domain.Receipt{}, fmt.Errorf("decode a stored bid answer: %w", err)
	}
	return domain.Bid{ID: a.ID, TenderID: a.TenderID, Vendor: a.Vendor, State: domain.BidState(a.State), Version: a.Version,
		SealedSHA256: sum, SubmittedAt: a.SubmittedAt.UTC(), ConfirmedAmendment: a.ConfirmedAmendment}, a.Receipt, nil
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

// WithdrawBid withdraws the vendor's bid before the deadline.
func (s *Service) WithdrawBid(ctx context.Context, c Caller, tenderID, bidID string) (domain.Bid, error) {
	vendor, err := c.vendor()
	if err != nil {
		return domain.Bid{}, err
	}
	var out domain.Bid
	_, err = s.store.WriteBid(ctx, BidWrite{TenderID: tenderID, BidID: bidID, Vendor: vendor, Who: c.who(), At: s.bidTime()},
		func(t *domain.Tender, current *domain.Bid, _ []domain.VendorLicense) (BidChange, error) {
			if err := t.VisibleTo(domain.ActorOther); err != nil {
				return BidChange{}, err
			}
			if err := t.AcceptsBids(s.bidTime()); err != nil {
				return BidChange{}, err
			}
			if current == nil {
				return BidChange{}, domain.NoSuchBid()
			}
			b := *current
			before := b.State
			if err := b.Withdraw(t, domain.BidActorOwner, s.bidTime()); err != nil {
				return BidChange{}, err
			}
			out = b
			return BidChange{Bid: b, Effect: Effect{Action: "bid.withdraw", Events: []Event{
				BidWithdrawn{BidID: b.ID, TenderID: b.TenderID, Vendor: b.Vendor, WithdrawnAt: *b.WithdrawnAt},
			}}, Before: map[string]any{"state": before}, After: map[string]any{"state": b.State}}, nil
		})
	return out, err
}

// Bid returns one of the vendor's own bids; any other id is NotFound.
func (s *Service) Bid(ctx context.Context, c Caller, tenderID, bidID string) (domain.Bid, []domain.Receipt, error) {
	vendor, err := c.vendor()
	if err != nil {
		return domain.Bid{}, nil, apperr.New(apperr.NotFound, "no such bid")
	}
	return s.store.VendorBid(ctx, tenderID, bidID, vendor)
}

// Bids lists the vendor's own bids on a tender.
func (s *Service) Bids(ctx context.Context, c Caller, tenderID string) ([]domain.Bid, error) {
	vendor, err := c.vendor()
	if err != nil {
		return nil, err
	}
	return s.store.VendorBids(ctx, tenderID, vendor)
}

// BidSecurity is the caller's bid security on tender tenderID.
func (s *Service) BidSecurity(ctx context.Context, c Caller, tenderID string) (domain.BidSecurity, error) {
	vendor, err := c.vendor()
	if err != nil {
		return domain.BidSecurity{}, err
	}
	return s.store.VendorSecurity(ctx, tenderID, vendor)
}

// Reasons a bid is out at the opening.
const (
	ReasonUndecryptable  = domain.ReasonUndecryptable
	ReasonSecurityUnpaid = domain.ReasonSecurityUnpaid
)

// maxBidsInOpenedEvent bounds tender.bids.opened under the outbox's event
// size limit; beyond it the event carries the counts and readers fetch the
// opening record.
const maxBidsInOpenedEvent = 1000

// OpenBids opens the bids, by the tender's committee after the deadline:
// every bid is decrypted or its failure recorded; bids without a paid bid
// security, or not confirmed after the latest addendum, are disqualified
// with the reason; too few valid bids fail the tender.
func (s *Service) OpenBids(ctx context.Context, c Caller, tenderID string) (*domain.Tender, Opening, error) {
	now := s.now()
	return s.store.OpenBids(ctx, tenderID, c.who(), now, func(t *domain.Tender, bids []SealedBid) ([]OpenedBid, Effect, error) {
		by := c.actorOn(t)
		if err := t.VisibleTo(by); err != nil {
			return nil, Effect{}, err
		}
		if err := t.StartOpening(by, now); err != nil {
			return nil, Effect{}, err
		}
		opener, err := s.kek.UnwrapForOpening(t, now)
		if err != nil {
			return nil, Effect{}, err
		}
		opened := make([]OpenedBid, 0, len(bids))
		record := make([]OpenedInfo, 0, len(bids))
		valid := 0
		for _, b := range bids {
			o := OpenedBid{BidID: b.ID, Vendor: b.Vendor, VendorName: b.VendorName, SubmittedAt: b.SubmittedAt.UTC()}
			content, err := opener.Open(b.Vendor, b.Sealed)
			if err != nil {
				msg := err.Error()
				o.DecryptError, o.Disqualified = &msg, domain.ReasonUndecryptable
			} else {
				price, offer := content.Price, content.TechnicalOffer
				o.Price, o.TechnicalOffer, o.Documents = &price, &offer, content.Documents
				o.Disqualified = t.OpeningDisqualification(b.SecurityHeld, b.ConfirmedAmendment)
			}
			if o.Disqualified == "" {
				valid++
			}
			opened = append(opened, o)
			entry := OpenedInfo{BidID: o.BidID, Vendor: o.Vendor, Disqualified: o.Disqualified}
			if o.Price != nil {
				m := idr(*o.Price)
				entry.Price = &m
			}
			record = append(record, entry)
		}
		if err := t.FinishOpening(by, valid); err != nil {
			return nil, Effect{}, err
		}
		ev := BidsOpened{TenderID: t.ID, OpenedAt: now, ValidBids: valid, BidsTotal: len(opened)}
		if len(record) <= maxBidsInOpenedEvent {
			ev.Bids = record
		}
		eff := Effect{Action: "tender.open_bids", Events: []Event{ev}}
		if t.State == domain.StateFailed {
			eff.Reason = t.Reason
			eff.Events = append(eff.Events, endedEvents(t, now)...)
		}
		return opened, eff, nil
	})
}

// OpeningRecord returns the published opening record (after the opening,
// to anyone).
func (s *Service) OpeningRecord(ctx context.Context, tenderID string) (Opening, error) {
	return s.store.OpeningRecord(ctx, tenderID)
}

// OpenedBids returns the opened bids in full (price, technical offer,
// documents) to the tender's committee, after the opening.
func (s *Service) OpenedBids(ctx context.Context, c Caller, tenderID string) (Opening, error) {
	t, err := s.store.Tender(ctx, tenderID)
	if err != nil {
		return Opening{}, err
	}
	by := c.actorOn(t)
	if err := t.VisibleTo(by); err != nil {
		return Opening{}, err
	}
	if by != domain.ActorCommittee {
		return Opening{}, apperr.New(apperr.Forbidden, "only the tender's committee reads the opened bids in full")
	}
	return s.store.OpeningRecord(ctx, tenderID)
}
