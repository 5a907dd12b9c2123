package services

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/internal/domain"
)

// Tender reads tender's public announcements and opening records.
type Tender struct{ c client }

var _ app.TenderBoard = (*Tender)(nil)

// NewTender returns a reader of the tender service at baseURL whose calls
// last at most timeout.
func NewTender(baseURL string, timeout time.Duration) *Tender {
	return &Tender{c: newClient("tender", "tender", baseURL, timeout)}
}

type money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

func (m *money) domain() *domain.Money {
	if m == nil {
		return nil
	}
	return &domain.Money{Amount: m.Amount, Currency: m.Currency}
}

type tenderJSON struct {
	ID                string `json:"id"`
	Number            string `json:"number"`
	State             string `json:"state"`
	Amendment         int    `json:"amendment"`
	BuyerAgency       string `json:"buyer_agency"`
	Title             string `json:"title"`
	Description       string `json:"description"`
	Category          string `json:"category"`
	HPS               *money `json:"hps"`
	HPSPublic         bool   `json:"hps_public"`
	KBLI              string `json:"kbli"`
	ProcurementMethod string `json:"procurement_method"`
	Evaluation        struct {
		Method string `json:"method"`
	} `json:"evaluation"`
	BidSecurity     *money     `json:"bid_security"`
	BidPeriodStart  time.Time  `json:"bid_period_start"`
	BidDeadline     time.Time  `json:"bid_deadline"`
	ObjectionDays   int        `json:"objection_days"`
	PublishedAt     *time.Time `json:"published_at"`
	ObjectionEndsAt *time.Time `json:"objection_ends_at"`
	Reason          string     `json:"reason"`
}

func (t tenderJSON) domain() domain.Tender {
	hps := t.HPS.domain()
	if !t.HPSPublic {
		hps = nil // the public view never shows an HPS the tender keeps private
	}
	return domain.Tender{
		ID: t.ID, Number: t.Number, State: t.State, Amendment: t.Amendment, BuyerAgency: t.BuyerAgency,
		Title: t.Title, Description: t.Description, Category: t.Category, HPS: hps, KBLI: t.KBLI,
		ProcurementMethod: t.ProcurementMethod, EvaluationMethod: t.Evaluation.Method, BidSecurity: t.BidSecurity.domain(),
		BidPeriodStart: t.BidPeriodStart, BidDeadline: t.BidDeadline, ObjectionDays: t.ObjectionDays,
		PublishedAt: t.PublishedAt, ObjectionEndsAt: t.ObjectionEndsAt, Reason: t.Reason,
	}
}

// PublicTenders is GET /v1/public/tenders.
func (t *Tender) PublicTenders(ctx context.Context, search domain.TenderSearch, limit int, cursor string) (domain.TenderPage, error) {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	for k, v := range map[string]string{"cursor": cursor, "q": search.Words, "kbli": search.KBLI, "buyer": search.Buyer, "category": search.Category, "state": search.State} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if search.DeadlineFrom != nil {
		q.Set("deadline_after", search.DeadlineFrom.UTC().Format(time.RFC3339))
	}
	if search.DeadlineTo != nil {
		q.Set("deadline_before", search.DeadlineTo.UTC().Format(time.RFC3339))
	}
	var page struct {
		Items      []tenderJSON `json:"items"`
		NextCursor *string      `json:"next_cursor"`
	}
	if err := t.c.get(ctx, "/v1/public/tenders", q, app.TenderNotFound, &page); err != nil {
		return domain.TenderPage{}, err
	}
	out := domain.TenderPage{Items: make([]domain.Tender, len(page.Items))}
	for i, it := range page.Items {
		out.Items[i] = it.domain()
	}
	if page.NextCursor != nil {
		out.NextCursor = *page.NextCursor
	}
	return out, nil
}

// PublicTender is GET /v1/public/tenders/{id}.
func (t *Tender) PublicTender(ctx context.Context, id string) (domain.Tender, error) {
	var v tenderJSON
	if err := t.c.get(ctx, "/v1/public/tenders/"+url.PathEscape(id), nil, app.TenderNotFound, &v); err != nil {
		return domain.Tender{}, err
	}
	return v.domain(), nil
}

// PublicResult is GET /v1/public/tenders/{id}/result.
func (t *Tender) PublicResult(ctx context.Context, id string) (domain.TenderResult, error) {
	var v struct {
		Method  string `json:"method"`
		Ranking []struct {
			Rank           int    `json:"rank"`
			BidID          string `json:"bid_id"`
			Vendor         string `json:"vendor"`
			Price          int64  `json:"price"`
			TechnicalScore int64  `json:"technical_score"`
			PriceScore     int64  `json:"price_score"`
			Total          int64  `json:"total"`
			Below80        bool   `json:"below_80_percent_hps"`
		} `json:"ranking"`
		Disqualified []struct {
			BidID  string `json:"bid_id"`
			Vendor string `json:"vendor"`
			Reason string `json:"reason"`
		} `json:"disqualified"`
		Winner   string   `json:"winner"`
		Reserves []string `json:"reserves"`
	}
	if err := t.c.get(ctx, "/v1/public/tenders/"+url.PathEscape(id)+"/result", nil, app.TenderNotFound, &v); err != nil {
		return domain.TenderResult{}, err
	}
	out := domain.TenderResult{Method: v.Method, Winner: v.Winner, Reserves: v.Reserves}
	for _, r := range v.Ranking {
		out.Ranking = append(out.Ranking, domain.RankedBid{Rank: r.Rank, BidID: r.BidID, Vendor: r.Vendor, Price: r.Price,
			TechnicalScore: r.TechnicalScore, PriceScore: r.PriceScore, Total: r.Total, BelowEightyPercentOfTheHPS: r.Below80})
	}
	for _, d := range v.Disqualified {
		out.Disqualified = append(out.Disqualified, domain.OutBid{BidID: d.BidID, Vendor: d.Vendor, Reason: d.Reason})
	}
	return out, nil
}

// PublicOpening is GET /v1/public/tenders/{id}/opening.
func (t *Tender) PublicOpening(ctx context.Context, id string) (domain.Opening, error) {
	var v struct {
		TenderID  string    `json:"tender_id"`
		OpenedAt  time.Time `json:"opened_at"`
		ValidBids int       `json:"valid_bids"`
		Bids      []struct {
			BidID        string    `json:"bid_id"`
			Vendor       string    `json:"vendor"`
			VendorName   string    `json:"vendor_name"`
			SubmittedAt  time.Time `json:"submitted_at"`
			Price        *money    `json:"price"`
			DecryptError string    `json:"decrypt_error"`
			Disqualified string    `json:"disqualified"`
		} `json:"bids"`
	}
	if err := t.c.get(ctx, "/v1/public/tenders/"+url.PathEscape(id)+"/opening", nil, "Belum ada pembukaan penawaran / No opening yet", &v); err != nil {
		return domain.Opening{}, err
	}
	out := domain.Opening{TenderID: v.TenderID, OpenedAt: v.OpenedAt, ValidBids: v.ValidBids, Bids: make([]domain.OpenedBid, len(v.Bids))}
	for i, b := range v.Bids {
		out.Bids[i] = domain.OpenedBid{
			BidID: b.BidID, Vendor: b.Vendor, VendorName: b.VendorName, SubmittedAt: b.SubmittedAt, Price: b.Price.domain(),
			DecryptError: b.DecryptError, Disqualified: b.Disqualified,
		}
	}
	return out, nil
}
