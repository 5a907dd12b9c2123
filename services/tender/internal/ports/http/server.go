// Package http serves the tender API: the generated strict server (package
// oapi) implemented by mapping each request to a use case and each result to
// its response. Errors are apperr values, rendered as problems by pkg/httpx.
package http

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/pkg/clock"
	"gerbang/pkg/httpx"
	"gerbang/pkg/idempotency"
	pkgoapi "gerbang/pkg/oapi"
	"gerbang/services/tender/internal/app"
	"gerbang/services/tender/internal/domain"
	"gerbang/services/tender/internal/ocds"
	"gerbang/services/tender/internal/ports/http/oapi"
)

// Options configure the routes.
type Options struct {
	Verifier *auth.Verifier // bearer tokens
	OCDS     ocds.Publisher // the open-data publisher
	Clock    clock.Clock
	// BidsPerMinute bounds bid submissions and replacements per vendor and
	// minute, counted in this process (default DefaultBidsPerMinute).
	BidsPerMinute int
}

// DefaultBidsPerMinute is the default bid rate limit per vendor.
const DefaultBidsPerMinute = 60

// bidLimit refuses a vendor's bids beyond perMinute in a minute (429 with
// Retry-After): a bid rush is many vendors, not one vendor many times.
func bidLimit(perMinute int) fiber.Handler {
	if perMinute <= 0 {
		perMinute = DefaultBidsPerMinute
	}
	return limiter.New(limiter.Config{
		Max:        perMinute,
		Expiration: time.Minute,
		KeyGenerator: func(c *fiber.Ctx) string {
			p, _ := auth.PrincipalFrom(c)
			return "bids:" + p.Org
		},
		LimitReached: func(c *fiber.Ctx) error {
			return apperr.New(apperr.TooManyRequests, "Too many bids from your business in a minute; try again in %s seconds.",
				c.GetRespHeader(fiber.HeaderRetryAfter))
		},
	})
}

// BidBodyLimit is the largest bid body accepted (documents travel inside the seal).
const BidBodyLimit = 8 << 20

// Routes lists every route of the tender API, with the roles each admits.
// Committee membership and object ownership are checked by the use cases.
func Routes(r fiber.Router, svc *app.Service, opts Options) error {
	spec, err := oapi.GetSwagger()
	if err != nil {
		return err
	}
	validate, err := pkgoapi.Validator(spec, pkgoapi.Options{})
	if err != nil {
		return err
	}
	clk := opts.Clock
	if clk == nil {
		clk = clock.System{}
	}
	s := &server{svc: svc, ocds: opts.OCDS, now: clk.Now}
	officer := auth.RequireRoles(auth.RoleProcurementOfficer)
	vendor := auth.RequireRoles(auth.RoleBusiness)
	signedIn := auth.RequireRoles(auth.AllRoles()...)
	v1 := r.Group("/v1", auth.Authenticate(opts.Verifier))

	v1.Get("/committee/tenders", officer)
	v1.Post("/tenders", officer)
	v1.Get("/tenders/:tender_id", signedIn)
	v1.Put("/tenders/:tender_id", officer)
	v1.Post("/tenders/:tender_id/publish", officer)
	v1.Post("/tenders/:tender_id/amendments", officer)
	v1.Post("/tenders/:tender_id/cancel", officer)
	v1.Post("/tenders/:tender_id/fail", officer)
	v1.Post("/tenders/:tender_id/clarifications", vendor)
	v1.Post("/tenders/:tender_id/clarifications/:question_id/answer", officer)
	// The Idempotency-Key of a bid is kept in the bid's own transaction
	// (SubmitBid below), so that a bid costs one commit.
	bidRate := bidLimit(opts.BidsPerMinute)
	v1.Post("/tenders/:tender_id/bids", vendor, bidRate)
	v1.Get("/tenders/:tender_id/bids", vendor)
	v1.Get("/tenders/:tender_id/bids/:bid_id", vendor)
	v1.Put("/tenders/:tender_id/bids/:bid_id", vendor, bidRate)
	v1.Post("/tenders/:tender_id/bids/:bid_id/withdraw", vendor)
	v1.Post("/tenders/:tender_id/opening", officer)
	v1.Put("/tenders/:tender_id/evaluation", officer)
	v1.Post("/tenders/:tender_id/award/propose", officer)
	v1.Post("/tenders/:tender_id/award/announce", officer)
	v1.Post("/tenders/:tender_id/objections", vendor)
	v1.Get("/tenders/:tender_id/objections", auth.RequireRoles(auth.RoleProcurementOfficer, auth.RoleBusiness))
	v1.Get("/tenders/:tender_id/opened-bids", officer)
	v1.Post("/tenders/:tender_id/objections/:objection_id/answer", officer)
	v1.Post("/tenders/:tender_id/contract", officer)
	v1.Use(validate)
	oapi.RegisterHandlers(r, oapi.NewStrictHandler(s, nil))
	return nil
}

// BodyLimits are the per-route body limits of the API, for service.Spec.
func BodyLimits() []httpx.RouteLimit {
	return []httpx.RouteLimit{
		{Method: fiber.MethodPost, Pattern: "/v1/tenders/:tender_id/bids", Bytes: BidBodyLimit},
		{Method: fiber.MethodPut, Pattern: "/v1/tenders/:tender_id/bids/:bid_id", Bytes: BidBodyLimit},
	}
}

type server struct {
	svc  *app.Service
	ocds ocds.Publisher
	now  func() time.Time
}

var _ oapi.StrictServerInterface = (*server)(nil)

func caller(ctx context.Context) app.Caller {
	p, _ := auth.FromContext(ctx)
	return app.Caller{Principal: p, RequestID: httpx.RequestIDFrom(ctx)}
}

// ifMatch reads a version from If-Match ("3", "\"3\"", W/"3"); absent is 0.
func ifMatch(h *string) (int, error) {
	if h == nil || strings.TrimSpace(*h) == "" {
		return 0, nil
	}
	v := strings.Trim(strings.TrimPrefix(strings.TrimSpace(*h), "W/"), `"`)
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, apperr.InvalidFields("If-Match must be the version you read, e.g. \"3\"", apperr.Field("header.If-Match", "is not a version"))
	}
	return n, nil
}

func terms(b *oapi.TenderTerms) domain.Terms {
	t := domain.Terms{
		BuyerAgency: b.BuyerAgency, Title: b.Title, Category: domain.Category(b.Category), HPS: b.Hps.Amount,
		KBLI: b.Kbli, ProcurementMethod: b.ProcurementMethod, BidPeriodStart: b.BidPeriodStart.UTC(),
		BidDeadline: b.BidDeadline.UTC(),
		Evaluation:  domain.EvaluationTerms{Method: domain.EvaluationMethod(b.Evaluation.Method)},
	}
	if b.Description != nil {
		t.Description = *b.Description
	}
	if b.HpsPublic != nil {
		t.HPSPublic = *b.HpsPublic
	}
	if b.BidSecurity != nil {
		t.BidSecurityAmount = b.BidSecurity.Amount
	}
	if b.ObjectionDays != nil {
		t.ObjectionDays = int(*b.ObjectionDays)
	}
	if b.MinBids != nil {
		t.MinBids = int(*b.MinBids)
	}
	if b.Committee != nil {
		t.Committee = append(t.Committee, *b.Committee...)
	}
	e := &t.Evaluation
	if v := b.Evaluation.TechnicalWeight; v != nil {
		e.TechnicalWeight = int(*v)
	}
	if v := b.Evaluation.PriceWeight; v != nil {
		e.PriceWeight = int(*v)
	}
	if v := b.Evaluation.PassingGrade; v != nil {
		e.PassingGrade = int(*v)
	}
	if b.Evaluation.Criteria != nil {
		for _, c := range *b.Evaluation.Criteria {
			e.Criteria = append(e.Criteria, domain.Criterion{Key: c.Key, Weight: int(c.Weight)})
		}
	}
	return t
}

func idr(amount int64) oapi.Money { return oapi.Money{Amount: amount, Currency: oapi.MoneyCurrencyIDR} }

// tenderView renders a tender: the committee view shows the committee and
// a hidden HPS (domain.Terms.HPSShownTo); the public view neither.
func tenderView(t *domain.Tender, committeeView bool) oapi.Tender {
	reader := domain.ActorOther
	if committeeView {
		reader = domain.ActorCommittee
	}
	out := oapi.Tender{
		ID: uuid.MustParse(t.ID), Number: t.Number, State: oapi.TenderState(t.State), Version: int32(t.Version),
		Amendment: int32(t.Amendment), BuyerAgency: t.BuyerAgency, Title: t.Title, Description: t.Description,
		Category: string(t.Category), Kbli: t.KBLI, ProcurementMethod: t.ProcurementMethod,
		BidSecurity: idr(t.BidSecurityAmount), BidPeriodStart: t.BidPeriodStart, BidDeadline: t.BidDeadline,
		ObjectionDays: int32(t.ObjectionDays), MinBids: int32(t.MinBids), PublishedAt: t.PublishedAt,
		OpeningStartedAt: t.OpeningStartedAt, ObjectionEndsAt: t.ObjectionEndsAt,
		Evaluation: oapi.EvaluationTerms{Method: oapi.EvaluationTermsMethod(t.Evaluation.Method)},
	}
	public := t.HPSPublic
	out.HpsPublic = &public
	if t.HPSShownTo(reader) {
		h := idr(t.HPS)
		out.Hps = &h
	}
	if committeeView {
		c := append([]string{}, t.Committee...)
		out.Committee = &c
	}
	if len(t.PublicKey) > 0 {
		k := t.PublicKey
		out.PublicKey = &k
	}
	if t.Reason != "" {
		r := t.Reason
		out.Reason = &r
	}
	e := t.Evaluation
	if e.Method != domain.MethodLowestPrice {
		tw, pw, pg := int32(e.TechnicalWeight), int32(e.PriceWeight), int32(e.PassingGrade)
		out.Evaluation.TechnicalWeight, out.Evaluation.PriceWeight, out.Evaluation.PassingGrade = &tw, &pw, &pg
	}
	if len(e.Criteria) > 0 {
		cs := make([]struct {
			Key    string `json:"key"`
			Weight int32  `json:"weight"`
		}, len(e.Criteria))
		for i, c := range e.Criteria {
			cs[i].Key, cs[i].Weight = c.Key, int32(c.Weight)
		}
		out.Evaluation.Criteria = &cs
	}
	return out
}

func bidView(b domain.Bid, receipts []domain.Receipt) oapi.Bid {
	out := oapi.Bid{ID: uuid.MustParse(b.ID), TenderID: uuid.MustParse(b.TenderID), State: oapi.BidState(b.State),
		Version: int32(b.Version), SealedSha256: hex.EncodeToString(b.SealedSHA256), SubmittedAt: b.SubmittedAt.UTC(),
		ConfirmedAmendment: int32(b.ConfirmedAmendment), WithdrawnAt: b.WithdrawnAt}
	if receipts != nil {
		rs := make([]oapi.Receipt, len(receipts))
		for i, r := range receipts {
			rs[i] = receiptView(r)
		}
		out.Receipts = &rs
	}
	return out
}

func receiptView(r domain.Receipt) oapi.Receipt {
	return oapi.Receipt{TenderID: uuid.MustParse(r.TenderID), BidID: uuid.MustParse(r.BidID), SealedSha256: r.SealedSHA256,
		ReceivedAt: r.ReceivedAt.UTC().Format(time.RFC3339Nano), KeyID: r.KeyID, Signature: r.Signature}
}

func bidContent(b *oapi.BidSubmission) (domain.BidContent, error) {
	if b.Price.Currency != oapi.MoneyCurrencyIDR {
		return domain.BidContent{}, apperr.InvalidFields("prices are in rupiah", apperr.Field("body.price.currency", "must be IDR"))
	}
	c := domain.BidContent{Price: b.Price.Amount, TechnicalOffer: b.TechnicalOffer}
	if b.Documents != nil {
		for _, d := range *b.Documents {
			c.Documents = append(c.Documents, domain.BidDocument{Name: d.Name, Content: d.Content})
		}
	}
	return c, nil
}

func clarificationView(c app.Clarification) oapi.Clarification {
	return oapi.Clarification{ID: uuid.MustParse(c.ID), Question: c.Question, AskedAt: c.AskedAt.UTC(),
		Answer: c.Answer, AnsweredAt: c.AnsweredAt}
}

func openingView(op app.Opening) oapi.OpeningRecord {
	out := oapi.OpeningRecord{TenderID: uuid.MustParse(op.TenderID), OpenedAt: op.OpenedAt.UTC(), ValidBids: int32(op.ValidBids)}
	out.Bids = make([]struct {
		BidID        uuid.UUID   `json:"bid_id"`
		DecryptError *string     `json:"decrypt_error,omitempty"`
		Disqualified string      `json:"disqualified"`
		Price        *oapi.Money `json:"price"`
		SubmittedAt  time.Time   `json:"submitted_at"`
		Vendor       string      `json:"vendor"`
		VendorName   string      `json:"vendor_name"`
	}, len(op.Bids))
	for i, b := range op.Bids {
		o := &out.Bids[i]
		o.BidID, o.DecryptError, o.Disqualified, o.SubmittedAt, o.Vendor = uuid.MustParse(b.BidID), b.DecryptError, b.Disqualified, b.SubmittedAt.UTC(), b.Vendor
		o.VendorName = b.VendorName
		if b.Price != nil {
			m := idr(*b.Price)
			o.Price = &m
		}
	}
	return out
}

// --- tenders ---

func (s *server) CreateTender(ctx context.Context, r oapi.CreateTenderRequestObject) (oapi.CreateTenderResponseObject, error) {
	t, err := s.svc.CreateTender(ctx, caller(ctx), terms(r.Body))
	if err != nil {
		return nil, err
	}
	return oapi.CreateTender201JSONResponse(tenderView(t, true)), nil
}

func (s *server) GetTender(ctx context.Context, r oapi.GetTenderRequestObject) (oapi.GetTenderResponseObject, error) {
	c := caller(ctx)
	t, err := s.svc.Tender(ctx, c, r.TenderID.String())
	if err != nil {
		return nil, err
	}
	if !c.CommitteeView(t) {
		return oapi.GetTender200JSONResponse(tenderView(t, false)), nil
	}
	v, err := s.committeeView(ctx, c, t)
	if err != nil {
		return nil, err
	}
	return oapi.GetTender200JSONResponse(v), nil
}

// committeeView is t as its committee reads it, with the bids that wait to
// be confirmed again after an addendum.
func (s *server) committeeView(ctx context.Context, c app.Caller, t *domain.Tender) (oapi.Tender, error) {
	v := tenderView(t, true)
	if t.Amendment > 0 {
		n, err := s.svc.BidsToConfirm(ctx, c, t)
		if err != nil {
			return oapi.Tender{}, err
		}
		n32 := int32(n)
		v.BidsToConfirm = &n32
	}
	return v, nil
}

func (s *server) EditTender(ctx context.Context, r oapi.EditTenderRequestObject) (oapi.EditTenderResponseObject, error) {
	v, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	t, err := s.svc.EditTender(ctx, caller(ctx), r.TenderID.String(), v, terms(r.Body))
	if err != nil {
		return nil, err
	}
	return oapi.EditTender200JSONResponse(tenderView(t, true)), nil
}

func (s *server) PublishTender(ctx context.Context, r oapi.PublishTenderRequestObject) (oapi.PublishTenderResponseObject, error) {
	v, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	t, err := s.svc.PublishTender(ctx, caller(ctx), r.TenderID.String(), v)
	if err != nil {
		return nil, err
	}
	return oapi.PublishTender200JSONResponse(tenderView(t, true)), nil
}

func (s *server) AmendTender(ctx context.Context, r oapi.AmendTenderRequestObject) (oapi.AmendTenderResponseObject, error) {
	v, err := ifMatch(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	c := caller(ctx)
	t, extended, err := s.svc.AmendTender(ctx, c, r.TenderID.String(), v, terms(r.Body))
	if err != nil {
		return nil, err
	}
	view, err := s.committeeView(ctx, c, t)
	if err != nil {
		return nil, err
	}
	return oapi.AmendTender200JSONResponse{Tender: view, DeadlineExtended: extended}, nil
}

func (s *server) CancelTender(ctx context.Context, r oapi.CancelTenderRequestObject) (oapi.CancelTenderResponseObject, error) {
	t, err := s.svc.CancelTender(ctx, caller(ctx), r.TenderID.String(), r.Body.Reason)
	if err != nil {
		return nil, err
	}
	return oapi.CancelTender200JSONResponse(tenderView(t, true)), nil
}

func (s *server) FailTender(ctx context.Context, r oapi.FailTenderRequestObject) (oapi.FailTenderResponseObject, error) {
	t, err := s.svc.FailTender(ctx, caller(ctx), r.TenderID.String(), r.Body.Reason)
	if err != nil {
		return nil, err
	}
	return oapi.FailTender200JSONResponse(tenderView(t, true)), nil
}

// --- clarifications ---

func (s *server) AskQuestion(ctx context.Context, r oapi.AskQuestionRequestObject) (oapi.AskQuestionResponseObject, error) {
	c, err := s.svc.AskQuestion(ctx, caller(ctx), r.TenderID.String(), r.Body.Question)
	if err != nil {
		return nil, err
	}
	return oapi.AskQuestion201JSONResponse(clarificationView(c)), nil
}

func (s *server) AnswerQuestion(ctx context.Context, r oapi.AnswerQuestionRequestObject) (oapi.AnswerQuestionResponseObject, error) {
	c, err := s.svc.AnswerQuestion(ctx, caller(ctx), r.TenderID.String(), r.QuestionID.String(), r.Body.Answer)
	if err != nil {
		return nil, err
	}
	return oapi.AnswerQuestion200JSONResponse(clarificationView(c)), nil
}

// --- bids ---

func (s *server) SubmitBid(ctx context.Context, r oapi.SubmitBidRequestObject) (oapi.SubmitBidResponseObject, error) {
	content, err := bidContent(r.Body)
	if err != nil {
		return nil, err
	}
	key := r.Params.IdempotencyKey
	if len(key) > idempotency.MaxKeyLength || strings.TrimSpace(key) == "" {
		return nil, apperr.InvalidFields("the Idempotency-Key is empty or too long", apperr.Field("header.Idempotency-Key", "must be 1 to %d characters", idempotency.MaxKeyLength))
	}
	body, err := json.Marshal(r.Body)
	if err != nil {
		return nil, err
	}
	b, receipt, err := s.svc.SubmitBid(ctx, caller(ctx), r.TenderID.String(), content,
		&app.BidKey{Key: strings.Clone(key), Hash: s.svc.BidRequestHash(r.TenderID.String(), body)})
	if err != nil {
		return nil, err
	}
	return oapi.SubmitBid201JSONResponse{Bid: bidView(b, nil), Receipt: receiptView(receipt)}, nil
}

func (s *server) ReplaceBid(ctx context.Context, r oapi.ReplaceBidRequestObject) (oapi.ReplaceBidResponseObject, error) {
	content, err := bidContent(r.Body)
	if err != nil {
		return nil, err
	}
	b, receipt, err := s.svc.ReplaceBid(ctx, caller(ctx), r.TenderID.String(), r.BidID.String(), content)
	if err != nil {
		return nil, err
	}
	return oapi.ReplaceBid200JSONResponse{Bid: bidView(b, nil), Receipt: receiptView(receipt)}, nil
}

func (s *server) WithdrawBid(ctx context.Context, r oapi.WithdrawBidRequestObject) (oapi.WithdrawBidResponseObject, error) {
	b, err := s.svc.WithdrawBid(ctx, caller(ctx), r.TenderID.String(), r.BidID.String())
	if err != nil {
		return nil, err
	}
	return oapi.WithdrawBid200JSONResponse(bidView(b, nil)), nil
}

func (s *server) GetMyBid(ctx context.Context, r oapi.GetMyBidRequestObject) (oapi.GetMyBidResponseObject, error) {
	b, receipts, err := s.svc.Bid(ctx, caller(ctx), r.TenderID.String(), r.BidID.String())
	if err != nil {
		return nil, err
	}
	return oapi.GetMyBid200JSONResponse(bidView(b, receipts)), nil
}

func (s *server) ListMyBids(ctx context.Context, r oapi.ListMyBidsRequestObject) (oapi.ListMyBidsResponseObject, error) {
	bids, err := s.svc.Bids(ctx, caller(ctx), r.TenderID.String())
	if err != nil {
		return nil, err
	}
	out := oapi.ListMyBids200JSONResponse{Items: make([]oapi.Bid, len(bids))}
	for i, b := range bids {
		out.Items[i] = bidView(b, nil)
	}
	return out, nil
}

func (s *server) GetMyBidSecurity(ctx context.Context, r oapi.GetMyBidSecurityRequestObject) (oapi.GetMyBidSecurityResponseObject, error) {
	sec, err := s.svc.BidSecurity(ctx, caller(ctx), r.TenderID.String())
	if err != nil {
		return nil, err
	}
	return oapi.GetMyBidSecurity200JSONResponse{ID: uuid.MustParse(sec.ID), TenderID: uuid.MustParse(sec.TenderID), Amount: idr(sec.Amount),
		State: oapi.BidSecurityState(sec.State), RequestedAt: sec.RequestedAt, HeldAt: sec.HeldAt}, nil
}

func (s *server) OpenBids(ctx context.Context, r oapi.OpenBidsRequestObject) (oapi.OpenBidsResponseObject, error) {
	_, op, err := s.svc.OpenBids(ctx, caller(ctx), r.TenderID.String())
	if err != nil {
		return nil, err
	}
	return oapi.OpenBids200JSONResponse(openingView(op)), nil
}

// --- public ---

func (s *server) GetPublicTender(ctx context.Context, r oapi.GetPublicTenderRequestObject) (oapi.GetPublicTenderResponseObject, error) {
	t, err := s.svc.PublicTender(ctx, r.TenderID.String())
	if err != nil {
		return nil, err
	}
	return oapi.GetPublicTender200JSONResponse(tenderView(t, false)), nil
}

// cursor is the wire form of app.TenderCursor.
type cursor struct {
	At time.Time `json:"at"`
	ID string    `json:"id"`
}

// page reads the limit (default 50) and the opaque cursor of a list.
func page(limit *int32, after *string) (int, *app.TenderCursor, error) {
	n := 50
	if limit != nil {
		n = int(*limit)
	}
	if after == nil || *after == "" {
		return n, nil, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(*after)
	var c cursor
	if err != nil || json.Unmarshal(raw, &c) != nil || uuid.Validate(c.ID) != nil {
		return 0, nil, apperr.InvalidFields("the cursor is not one this API gave", apperr.Field("query.cursor", "is not valid"))
	}
	return n, &app.TenderCursor{PublishedAt: c.At, ID: c.ID}, nil
}

func nextCursor(next *app.TenderCursor) *string {
	if next == nil {
		return nil
	}
	raw, _ := json.Marshal(cursor{At: next.PublishedAt, ID: next.ID})
	c := base64.RawURLEncoding.EncodeToString(raw)
	return &c
}

func (s *server) ListPublicTenders(ctx context.Context, r oapi.ListPublicTendersRequestObject) (oapi.ListPublicTendersResponseObject, error) {
	limit, after, err := page(r.Params.Limit, r.Params.Cursor)
	if err != nil {
		return nil, err
	}
	q := r.Params
	search, err := domain.NewTenderSearch(deref(q.Q), deref(q.Kbli), deref(q.Buyer), string(deref(q.Category)), string(deref(q.State)), q.DeadlineAfter, q.DeadlineBefore)
	if err != nil {
		return nil, err
	}
	list, next, err := s.svc.PublishedTenders(ctx, search, limit, after)
	if err != nil {
		return nil, err
	}
	out := oapi.ListPublicTenders200JSONResponse{Items: make([]oapi.Tender, len(list)), NextCursor: nextCursor(next)}
	for i, t := range list {
		out.Items[i] = tenderView(t, false)
	}
	return out, nil
}

func (s *server) ListPublicClarifications(ctx context.Context, r oapi.ListPublicClarificationsRequestObject) (oapi.ListPublicClarificationsResponseObject, error) {
	list, err := s.svc.Clarifications(ctx, r.TenderID.String())
	if err != nil {
		return nil, err
	}
	out := oapi.ListPublicClarifications200JSONResponse{Items: make([]oapi.Clarification, len(list))}
	for i, c := range list {
		out.Items[i] = clarificationView(c)
	}
	return out, nil
}

func (s *server) GetPublicOpening(ctx context.Context, r oapi.GetPublicOpeningRequestObject) (oapi.GetPublicOpeningResponseObject, error) {
	op, err := s.svc.OpeningRecord(ctx, r.TenderID.String())
	if err != nil {
		return nil, err
	}
	return oapi.GetPublicOpening200JSONResponse(openingView(op)), nil
}

func (s *server) ListReceiptKeys(ctx context.Context, _ oapi.ListReceiptKeysRequestObject) (oapi.ListReceiptKeysResponseObject, error) {
	pub, kid := s.svc.ReceiptKey()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	out := oapi.ListReceiptKeys200JSONResponse{}
	out.Keys = append(out.Keys, struct {
		Algorithm    oapi.ReceiptKeysKeysAlgorithm `json:"algorithm"`
		KeyID        string                        `json:"key_id"`
		PublicKey    string                        `json:"public_key"`
		PublicKeyPem string                        `json:"public_key_pem"`
	}{Algorithm: oapi.ReceiptKeysKeysAlgorithmEd25519, KeyID: kid, PublicKey: base64.StdEncoding.EncodeToString(pub),
		PublicKeyPem: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))})
	return out, nil
}

// deref is *p, or the zero value for nil: an optional parameter left out.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
