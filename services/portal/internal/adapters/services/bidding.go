package services

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/uuid"

	"gerbang/services/portal/internal/adapters/services/tenderapi"
	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/internal/domain"
)

// The vendor's calls of tender (app.Bidding), through the client generated
// from api/tender.yaml, as the signed-in business; the questions and the
// receipt keys are public.

// Bidding calls tender as a vendor, with the committee's client (one
// connection pool and one way of calling for both).
type Bidding struct{ tender *Committee }

var _ app.Bidding = (*Bidding)(nil)

// NewBidding returns the vendor's client of tender, calling through the
// committee's.
func NewBidding(tender *Committee) *Bidding { return &Bidding{tender: tender} }

func tenderUUID(id string) (uuid.UUID, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return uuid.UUID{}, notFound(id)
	}
	return u, nil
}

// bidUUIDs are the ids of a tender and of a bid on it; NotFound for one
// that is no UUID.
func bidUUIDs(tenderID, bidID string) (uuid.UUID, uuid.UUID, error) {
	id, err := tenderUUID(tenderID)
	if err != nil {
		return uuid.UUID{}, uuid.UUID{}, err
	}
	bid, err := tenderUUID(bidID)
	return id, bid, err
}

func bidOf(b tenderapi.Bid) domain.Bid {
	out := domain.Bid{
		ID: b.ID.String(), TenderID: b.TenderID.String(), State: string(b.State), Version: int(b.Version),
		SealedSHA256: b.SealedSha256, SubmittedAt: b.SubmittedAt, ConfirmedAmendment: int(b.ConfirmedAmendment), WithdrawnAt: b.WithdrawnAt,
	}
	for _, r := range deref(b.Receipts) {
		out.Receipts = append(out.Receipts, receiptOf(r))
	}
	return out
}

func receiptOf(r tenderapi.Receipt) domain.Receipt {
	return domain.Receipt{TenderID: r.TenderID.String(), BidID: r.BidID.String(), SealedSHA256: r.SealedSha256,
		ReceivedAt: r.ReceivedAt, KeyID: r.KeyID, Signature: r.Signature}
}

// accepted is the bid of a submission or replacement, with the receipt
// tender gave for it last.
func accepted(a tenderapi.BidAccepted) domain.Bid {
	b := bidOf(a.Bid)
	r := receiptOf(a.Receipt)
	if n := len(b.Receipts); n == 0 || b.Receipts[n-1] != r {
		b.Receipts = append(b.Receipts, r)
	}
	return b
}

func submission(in domain.BidInput) tenderapi.BidSubmission {
	out := tenderapi.BidSubmission{Price: tenderapi.Money{Amount: in.Price, Currency: "IDR"}, TechnicalOffer: in.TechnicalOffer}
	if len(in.Documents) > 0 {
		docs := make([]struct {
			Content []byte `json:"content"`
			Name    string `json:"name"`
		}, len(in.Documents))
		for i, d := range in.Documents {
			docs[i].Content, docs[i].Name = d.Content, d.Name
		}
		out.Documents = &docs
	}
	return out
}

// Clarifications is GET /v1/public/tenders/{id}/clarifications.
func (b *Bidding) Clarifications(ctx context.Context, tenderID string) ([]domain.Clarification, error) {
	id, err := tenderUUID(tenderID)
	if err != nil {
		return nil, err
	}
	var list tenderapi.ClarificationList
	if err := b.tender.call(ctx, "", http.StatusOK, &list, func(ctx context.Context, e tenderapi.RequestEditorFn) (*http.Response, error) {
		return b.tender.api.ListPublicClarifications(ctx, id, e)
	}); err != nil {
		return nil, err
	}
	out := make([]domain.Clarification, len(list.Items))
	for i, c := range list.Items {
		out[i] = domain.Clarification{ID: c.ID.String(), Question: c.Question, Answer: deref(c.Answer), AskedAt: c.AskedAt, AnsweredAt: c.AnsweredAt}
	}
	return out, nil
}

// AskQuestion is POST /v1/tenders/{id}/clarifications.
func (b *Bidding) AskQuestion(ctx context.Context, token, tenderID, question string) error {
	id, err := tenderUUID(tenderID)
	if err != nil {
		return err
	}
	return b.tender.call(ctx, token, http.StatusCreated, nil, func(ctx context.Context, e tenderapi.RequestEditorFn) (*http.Response, error) {
		return b.tender.api.AskQuestion(ctx, id, tenderapi.AskQuestionJSONRequestBody{Question: question}, e)
	})
}

// MyBids is GET /v1/tenders/{id}/bids.
func (b *Bidding) MyBids(ctx context.Context, token, tenderID string) ([]domain.Bid, error) {
	id, err := tenderUUID(tenderID)
	if err != nil {
		return nil, err
	}
	var list tenderapi.BidList
	if err := b.tender.call(ctx, token, http.StatusOK, &list, func(ctx context.Context, e tenderapi.RequestEditorFn) (*http.Response, error) {
		return b.tender.api.ListMyBids(ctx, id, e)
	}); err != nil {
		return nil, err
	}
	out := make([]domain.Bid, len(list.Items))
	for i, x := range list.Items {
		out[i] = bidOf(x)
	}
	return out, nil
}

// MyBid is GET /v1/tenders/{id}/bids/{bid}.
func (b *Bidding) MyBid(ctx context.Context, token, tenderID, bidID string) (domain.Bid, error) {
	id, bid, err := bidUUIDs(tenderID, bidID)
	if err != nil {
		return domain.Bid{}, err
	}
	var x tenderapi.Bid
	if err := b.tender.call(ctx, token, http.StatusOK, &x, func(ctx context.Context, e tenderapi.RequestEditorFn) (*http.Response, error) {
		return b.tender.api.GetMyBid(ctx, id, bid, e)
	}); err != nil {
		return domain.Bid{}, err
	}
	return bidOf(x), nil
}

// SubmitBid is POST /v1/tenders/{id}/bids with Idempotency-Key key.
func (b *Bidding) SubmitBid(ctx context.Context, token, tenderID, key string, in domain.BidInput) (domain.Bid, error) {
	id, err := tenderUUID(tenderID)
	if err != nil {
		return domain.Bid{}, err
	}
	var a tenderapi.BidAccepted
	if err := b.tender.call(ctx, token, http.StatusCreated, &a, func(ctx context.Context, e tenderapi.RequestEditorFn) (*http.Response, error) {
		return b.tender.api.SubmitBid(ctx, id, &tenderapi.SubmitBidParams{IdempotencyKey: key}, submission(in), e)
	}); err != nil {
		return domain.Bid{}, err
	}
	return accepted(a), nil
}

// ReplaceBid is PUT /v1/tenders/{id}/bids/{bid}.
func (b *Bidding) ReplaceBid(ctx context.Context, token, tenderID, bidID string, in domain.BidInput) (domain.Bid, error) {
	id, bid, err := bidUUIDs(tenderID, bidID)
	if err != nil {
		return domain.Bid{}, err
	}
	var a tenderapi.BidAccepted
	if err := b.tender.call(ctx, token, http.StatusOK, &a, func(ctx context.Context, e tenderapi.RequestEditorFn) (*http.Response, error) {
		return b.tender.api.ReplaceBid(ctx, id, bid, submission(in), e)
	}); err != nil {
		return domain.Bid{}, err
	}
	return accepted(a), nil
}

// WithdrawBid is POST /v1/tenders/{id}/bids/{bid}/withdraw.
func (b *Bidding) WithdrawBid(ctx context.Context, token, tenderID, bidID string) (domain.Bid, error) {
	id, bid, err := bidUUIDs(tenderID, bidID)
	if err != nil {
		return domain.Bid{}, err
	}
	var x tenderapi.Bid
	if err := b.tender.call(ctx, token, http.StatusOK, &x, func(ctx context.Context, e tenderapi.RequestEditorFn) (*http.Response, error) {
		return b.tender.api.WithdrawBid(ctx, id, bid, e)
	}); err != nil {
		return domain.Bid{}, err
	}
	return bidOf(x), nil
}

// MySecurity is GET /v1/tenders/{id}/bid-security.
func (b *Bidding) MySecurity(ctx context.Context, token, tenderID string) (domain.BidSecurity, error) {
	id, err := tenderUUID(tenderID)
	if err != nil {
		return domain.BidSecurity{}, err
	}
	var x tenderapi.BidSecurity
	if err := b.tender.call(ctx, token, http.StatusOK, &x, func(ctx context.Context, e tenderapi.RequestEditorFn) (*http.Response, error) {
		return b.tender.api.GetMyBidSecurity(ctx, id, e)
	}); err != nil {
		return domain.BidSecurity{}, err
	}
	return domain.BidSecurity{ID: x.ID.String(), Amount: domain.Money{Amount: x.Amount.Amount, Currency: string(x.Amount.Currency)},
		State: string(x.State), RequestedAt: x.RequestedAt, HeldAt: x.HeldAt}, nil
}

// ReceiptKeys is GET /v1/public/receipt-keys.
func (b *Bidding) ReceiptKeys(ctx context.Context) ([]domain.ReceiptKey, error) {
	var ks tenderapi.ReceiptKeys
	if err := b.tender.call(ctx, "", http.StatusOK, &ks, func(ctx context.Context, e tenderapi.RequestEditorFn) (*http.Response, error) {
		return b.tender.api.ListReceiptKeys(ctx, e)
	}); err != nil {
		return nil, err
	}
	out := make([]domain.ReceiptKey, 0, len(ks.Keys))
	for _, k := range ks.Keys {
		key, err := domain.ParseReceiptKey(k.KeyID, k.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("tender: %w", err)
		}
		out = append(out, key)
	}
	return out, nil
}
