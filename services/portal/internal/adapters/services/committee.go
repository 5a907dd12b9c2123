package services

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"

	"gerbang/services/portal/internal/adapters/services/tenderapi"
	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/internal/domain"
)

// The procurement committee's calls of tender (app.Committee), through the
// client generated from api/tender.yaml (tenderapi), as the signed-in
// officer.

// Committee calls tender as a committee member.
type Committee struct {
	c   client
	api *tenderapi.Client
}

var _ app.Committee = (*Committee)(nil)

// NewCommittee returns a client of the tender service at baseURL whose
// calls last at most timeout.
func NewCommittee(baseURL string, timeout time.Duration) *Committee {
	c := newClient("tender", "tender", baseURL, timeout)
	api, err := tenderapi.NewClient(c.base, tenderapi.WithHTTPClient(c.http))
	if err != nil {
		panic(fmt.Sprintf("tender client for %q: %v", baseURL, err)) // only a malformed base URL, checked at start
	}
	return &Committee{c: c, api: api}
}

// call runs one request of the generated client as the person with token
// (see Licensing.call).
func (m *Committee) call(ctx context.Context, token string, want int, out any, do func(context.Context, tenderapi.RequestEditorFn) (*http.Response, error)) error {
	ctx, cancel := context.WithTimeout(ctx, m.c.timeout)
	defer cancel()
	resp, err := do(ctx, tenderapi.RequestEditorFn(asPerson(token)))
	if err != nil {
		return m.c.unavailable(err)
	}
	return m.c.answer(resp, want, out)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func committeeTenderOf(t tenderapi.Tender) app.CommitteeTender {
	ev := app.EvaluationTerms{
		Method: string(t.Evaluation.Method), TechnicalWeight: int(deref(t.Evaluation.TechnicalWeight)),
		PriceWeight: int(deref(t.Evaluation.PriceWeight)), PassingGrade: int(deref(t.Evaluation.PassingGrade)),
	}
	for _, c := range deref(t.Evaluation.Criteria) {
		ev.Criteria = append(ev.Criteria, app.Criterion{Key: c.Key, Weight: int(c.Weight)})
	}
	out := app.CommitteeTender{
		ID: t.ID.String(), Number: t.Number, State: string(t.State), Version: int(t.Version), Amendment: int(t.Amendment),
		TenderTerms: app.TenderTerms{
			BuyerAgency: t.BuyerAgency, Title: t.Title, Description: t.Description, Category: t.Category,
			HPSPublic: deref(t.HpsPublic), KBLI: t.Kbli, ProcurementMethod: t.ProcurementMethod, Evaluation: ev,
			BidSecurity: t.BidSecurity.Amount, BidPeriodStart: t.BidPeriodStart, BidDeadline: t.BidDeadline,
			ObjectionDays: int(t.ObjectionDays), MinBids: int(t.MinBids), Committee: deref(t.Committee),
		},
		PublishedAt: t.PublishedAt, OpeningStartedAt: t.OpeningStartedAt, ObjectionEndsAt: t.ObjectionEndsAt, Reason: deref(t.Reason),
		BidsToConfirm: int(deref(t.BidsToConfirm)),
	}
	if t.Hps != nil {
		out.HPS = t.Hps.Amount
	}
	return out
}

func idr(amount int64) tenderapi.Money {
	return tenderapi.Money{Amount: amount, Currency: tenderapi.MoneyCurrencyIDR}
}

func termsOf(t app.TenderTerms) tenderapi.TenderTerms {
	i32 := func(v int) *int32 {
		if v == 0 {
			return nil
		}
		n := int32(v)
		return &n
	}
	ev := tenderapi.EvaluationTerms{
		Method: tenderapi.EvaluationTermsMethod(t.Evaluation.Method), TechnicalWeight: i32(t.Evaluation.TechnicalWeight),
		PriceWeight: i32(t.Evaluation.PriceWeight), PassingGrade: i32(t.Evaluation.PassingGrade),
	}
	if len(t.Evaluation.Criteria) > 0 {
		cs := make([]struct {
			Key    string `json:"key"`
			Weight int32  `json:"weight"`
		}, len(t.Evaluation.Criteria))
		for i, c := range t.Evaluation.Criteria {
			cs[i].Key, cs[i].Weight = c.Key, int32(c.Weight)
		}
		ev.Criteria = &cs
	}
	desc, public, committee := t.Description, t.HPSPublic, t.Committee
	out := tenderapi.TenderTerms{
		BuyerAgency: t.BuyerAgency, Title: t.Title, Description: &desc, Category: tenderapi.TenderTermsCategory(t.Category),
		Hps: idr(t.HPS), HpsPublic: &public, Kbli: t.KBLI, ProcurementMethod: t.ProcurementMethod, Evaluation: ev,
		BidPeriodStart: t.BidPeriodStart.UTC(), BidDeadline: t.BidDeadline.UTC(),
		ObjectionDays: i32(t.ObjectionDays), MinBids: i32(t.MinBids), Committee: &committee,
	}
	if t.BidSecurity > 0 {
		sec := idr(t.BidSecurity)
		out.BidSecurity = &sec
	}
	return out
}

// CommitteeTenders is GET /v1/committee/tenders.
func (m *Committee) CommitteeTenders(ctx context.Context, token, state string, limit int, cursor string) (app.CommitteePage, error) {
	lim, cur := page(limit, cursor)
	params := &tenderapi.ListCommitteeTendersParams{Limit: lim, Cursor: cur}
	if state != "" {
		s := tenderapi.ListCommitteeTendersParamsState(state)
		params.State = &s
	}
	var p tenderapi.CommitteeTenderPage
	if err := m.call(ctx, token, http.StatusOK, &p, func(ctx context.Context, e tenderapi.RequestEditorFn) (*http.Response, error) {
		return m.api.ListCommitteeTenders(ctx, params, e)
	}); err != nil {
		return app.CommitteePage{}, err
	}
	out := app.CommitteePage{Items: make([]app.CommitteeTender, len(p.Items)), NextCursor: deref(p.NextCursor)}
	for i, it := range p.Items {
		out.Items[i] = committeeTenderOf(it.Tender)
		out.Items[i].Waiting = app.Waiting{
			UnansweredQuestions: int(it.Waiting.UnansweredQuestions), UnansweredObjections: int(it.Waiting.UnansweredObjections),
			EvaluatedByMe: it.Waiting.EvaluatedByMe,
		}
	}
	return out, nil
}

// tenderCall runs one call answering a tender, decoded for the committee.
func (m *Committee) tenderCall(ctx context.Context, token string, want int, do func(context.Context, tenderapi.RequestEditorFn) (*http.Response, error)) (app.CommitteeTender, error) {
	var t tenderapi.Tender
	if err := m.call(ctx, token, want, &t, do); err != nil {
		return app.CommitteeTender{}, err
	}
	return committeeTenderOf(t), nil
}

// CommitteeTender is GET /v1/tenders/{id}.
func (m *Committee) CommitteeTender(ctx context.Context, token, id string) (app.CommitteeTender, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return app.CommitteeTender{}, notFound(id)
	}
	return m.tenderCall(ctx, token, http.StatusOK, func(ctx context.Context, e tenderapi.RequestEditorFn) (*http.Response, error) {
		return m.api.GetTender(ctx, uid, e)
	})
}

// CreateTender is POST /v1/tenders.
func (m *Committee) CreateTender(ctx context.Context, token string, terms app.TenderTerms) (app.CommitteeTender, error) {
	return m.tenderCall(ctx, token, http.StatusCreated, func(ctx context.Context, e tenderapi.RequestEditorFn) (*http.Response, error) {
		return m.api.CreateTender(ctx, termsOf(terms), e)
	})
}

// EditTender is PUT /v1/tenders/{id} with If-Match the version read.
func (m *Committee) EditTender(ctx context.Context, token, id string, version int, terms app.TenderTerms) (app.CommitteeTender, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return app.CommitteeTender{}, notFound(id)
	}
	return m.tenderCall(ctx, token, http.StatusOK, func(ctx context.Context, e tenderapi.RequestEditorFn) (*http.Response, error) {
		return m.api.EditTender(ctx, uid, &tenderapi.EditTenderParams{IfMatch: ifMatch(version)}, termsOf(terms), e)
	})
}

// PublishTender is POST /v1/tenders/{id}/publish with If-Match the version read.
func (m *Committee) PublishTender(ctx context.Context, token, id string, version int) (app.CommitteeTender, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return app.CommitteeTender{}, notFound(id)
	}
	return m.tenderCall(ctx, token, http.StatusOK, func(ctx context.Context, e tenderapi.RequestEditorFn) (*http.Response, error) {
		return m.api.PublishTender(ctx, uid, &tenderapi.PublishTenderParams{IfMatch: ifMatch(version)}, e)
	})
}

// tenderID parses the id of a tender in a path: not a UUID is no tender.
func tenderID(id string) (uuid.UUID, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return uuid.UUID{}, notFound(id)
	}
	return uid, nil
}

func questionOf(c tenderapi.Clarification) app.Question {
	return app.Question{ID: c.ID.String(), Question: c.Question, AskedAt: c.AskedAt, Answer: deref(c.Answer), AnsweredAt: c.AnsweredAt}
}

// Questions is GET /v1/public/tenders/{id}/clarifications: every question,
// answered or not, as anyone reads them (the asker is never shown).
func (m *Committee) Questions(ctx context.Context, token, id string) ([]app.Question, error) {
	uid, err := tenderID(id)
	if err != nil {
		return nil, err
	}
	var l tenderapi.ClarificationList
	if err := m.call(ctx, token, http.StatusOK, &l, func(ctx context.Context, e tenderapi.RequestEditorFn) (*http.Response, error) {
		return m.api.ListPublicClarifications(ctx, uid, e)
	}); err != nil {
		return nil, err
	}
	out := make([]app.Question, len(l.Items))
	for i, c := range l.Items {
		out[i] = questionOf(c)
	}
	return out, nil
}

// AnswerQuestion is POST /v1/tenders/{id}/clarifications/{question_id}/answer.
func (m *Committee) AnswerQuestion(ctx context.Context, token, id, questionID, answer string) (app.Question, error) {
	uid, err := tenderID(id)
	if err != nil {
		return app.Question{}, err
	}
	qid, err := uuid.Parse(questionID)
	if err != nil {
		return app.Question{}, notFound(questionID)
	}
	var c tenderapi.Clarification
	if err := m.call(ctx, token, http.StatusOK, &c, func(ctx context.Context, e tenderapi.RequestEditorFn) (*http.Response, error) {
		return m.api.AnswerQuestion(ctx, uid, qid, tenderapi.Answer{Answer: answer}, e)
	}); err != nil {
		return app.Question{}, err
	}
	return questionOf(c), nil
}

// AmendTender is POST /v1/tenders/{id}/amendments with If-Match the version read.
func (m *Committee) AmendTender(ctx context.Context, token, id string, version int, terms app.TenderTerms) (app.Addendum, error) {
	uid, err := tenderID(id)
	if err != nil {
		return app.Addendum{}, err
	}
	var a tenderapi.Amended
	if err := m.call(ctx, token, http.StatusOK, &a, func(ctx context.Context, e tenderapi.RequestEditorFn) (*http.Response, error) {
		return m.api.AmendTender(ctx, uid, &tenderapi.AmendTenderParams{IfMatch: ifMatch(version)}, termsOf(terms), e)
	}); err != nil {
		return app.Addendum{}, err
	}
	return app.Addendum{Tender: committeeTenderOf(a.Tender), DeadlineExtended: a.DeadlineExtended}, nil
}

func openingOf(r tenderapi.OpeningRecord) domain.Opening {
	out := domain.Opening{TenderID: r.TenderID.String(), OpenedAt: r.OpenedAt, ValidBids: int(r.ValidBids), Bids: make([]domain.OpenedBid, len(r.Bids))}
	for i, b := range r.Bids {
		out.Bids[i] = domain.OpenedBid{
			BidID: b.BidID.String(), Vendor: b.Vendor, VendorName: b.VendorName, SubmittedAt: b.SubmittedAt,
			DecryptError: deref(b.DecryptError), Disqualified: b.Disqualified,
		}
		if b.Price != nil {
			out.Bids[i].Price = &domain.Money{Amount: b.Price.Amount, Currency: string(b.Price.Currency)}
		}
	}
	return out
}

// OpenBids is POST /v1/tenders/{id}/opening.
func (m *Committee) OpenBids(ctx context.Context, token, id string) (domain.Opening, error) {
	uid, err := tenderID(id)
	if err != nil {
		return domain.Opening{}, err
	}
	var r tenderapi.OpeningRecord
	if err := m.call(ctx, token, http.StatusOK, &r, func(ctx context.Context, e tenderapi.RequestEditorFn) (*http.Response, error) {
		return m.api.OpenBids(ctx, uid, e)
	}); err != nil {
		return domain.Opening{}, err
	}
	return openingOf(r), nil
}

// Opening is GET /v1/public/tenders/{id}/opening, as published.
func (m *Committee) Opening(ctx context.Context, id string) (domain.Opening, error) {
	uid, err := tenderID(id)
	if err != nil {
		return domain.Opening{}, err
	}
	var r tenderapi.OpeningRecord
	if err := m.call(ctx, "", http.StatusOK, &r, func(ctx context.Context, e tenderapi.RequestEditorFn) (*http.Response, error) {
		return m.api.GetPublicOpening(ctx, uid, e)
	}); err != nil {
		return domain.Opening{}, err
	}
	return openingOf(r), nil
}
