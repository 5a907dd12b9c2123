package http

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/services/tender/internal/app"
	"gerbang/services/tender/internal/domain"
	"gerbang/services/tender/internal/ocds"
	"gerbang/services/tender/internal/ports/http/oapi"
)

// resultView is the evaluation result on the wire.
func resultView(r *domain.Result) oapi.EvaluationResult {
	out := oapi.EvaluationResult{Method: string(r.Method), Reserves: append([]string{}, r.Reserves...), TieBreakRule: r.TieBreakRule}
	out.Ranking = make([]struct {
		Below80PercentHps bool   `json:"below_80_percent_hps"`
		BidID             string `json:"bid_id"`
		Price             int64  `json:"price"`
		PriceScore        int64  `json:"price_score"`
		Rank              int32  `json:"rank"`
		TechnicalScore    int64  `json:"technical_score"`
		Total             int64  `json:"total"`
		Vendor            string `json:"vendor"`
	}, len(r.Ranking))
	for i, k := range r.Ranking {
		o := &out.Ranking[i]
		o.Below80PercentHps, o.BidID, o.Price, o.PriceScore = k.BelowEightyPercentHPS, k.BidID, k.Price, int64(k.PriceScore)
		o.Rank, o.TechnicalScore, o.Total, o.Vendor = int32(k.Rank), int64(k.TechnicalScore), int64(k.Total), k.Vendor
	}
	out.Disqualified = make([]struct {
		BidID  string `json:"bid_id"`
		Reason string `json:"reason"`
		Vendor string `json:"vendor"`
	}, len(r.Disqualified))
	for i, d := range r.Disqualified {
		out.Disqualified[i].BidID, out.Disqualified[i].Reason, out.Disqualified[i].Vendor = d.BidID, d.Reason, d.Vendor
	}
	if r.Winner != "" {
		w := r.Winner
		out.Winner = &w
	}
	return out
}

// ocdsPackage is an OCDS package on the wire: the contract leaves its shape
// to the OCDS schema (package ocds), so it travels as a JSON object.
func ocdsPackage(pkg any) (oapi.OCDSPackage, error) {
	raw, err := json.Marshal(pkg)
	if err != nil {
		return nil, err
	}
	var out oapi.OCDSPackage
	return out, json.Unmarshal(raw, &out)
}

// ocdsProcess maps a tender's open data to what package ocds publishes.
func ocdsProcess(p app.OpenProcess) ocds.Process {
	pr := ocds.Process{Tender: p.Tender}
	for _, a := range p.Addenda {
		pr.Addenda = append(pr.Addenda, ocds.Addendum{Number: a.Number, At: a.PublishedAt, DeadlineExtended: a.DeadlineExtended})
	}
	if op := p.Opening; op != nil {
		o := &ocds.Opening{At: op.OpenedAt}
		for _, b := range op.Bids {
			o.Tenderers = append(o.Tenderers, b.Vendor)
		}
		pr.Opening = o
	}
	if a := p.Award; a != nil {
		pr.Award = &ocds.Award{BidID: a.BidID, Vendor: a.Vendor, Value: a.Price, AnnouncedAt: a.AnnouncedAt, FinalisedAt: a.FinalisedAt}
	}
	if c := p.Contract; c != nil {
		pr.Contract = &ocds.Contract{ID: c.ID, Number: c.Number, Vendor: c.Vendor, Value: c.Value, SignedAt: c.SignedAt}
	}
	return pr
}

func (s *server) SubmitEvaluation(ctx context.Context, r oapi.SubmitEvaluationRequestObject) (oapi.SubmitEvaluationResponseObject, error) {
	var assessments []domain.Assessment
	var scores []app.Score
	if r.Body.Assessments != nil {
		for _, a := range *r.Body.Assessments {
			d := domain.Assessment{BidID: a.BidID.String(), AdministrativePass: a.AdministrativePass, TechnicalPass: a.TechnicalPass}
			if a.Reasons != nil {
				d.Reasons = *a.Reasons
			}
			assessments = append(assessments, d)
		}
	}
	if r.Body.Scores != nil {
		for _, sc := range *r.Body.Scores {
			scores = append(scores, app.Score{BidID: sc.BidID.String(), Criterion: sc.Criterion, Points: int(sc.Points)})
		}
	}
	if err := s.svc.SubmitEvaluation(ctx, caller(ctx), r.TenderID.String(), assessments, scores); err != nil {
		return nil, err
	}
	return oapi.SubmitEvaluation204Response{}, nil
}

func (s *server) ProposeAward(ctx context.Context, r oapi.ProposeAwardRequestObject) (oapi.ProposeAwardResponseObject, error) {
	t, res, err := s.svc.ProposeAward(ctx, caller(ctx), r.TenderID.String())
	if err != nil {
		return nil, err
	}
	return oapi.ProposeAward200JSONResponse{Tender: tenderView(t, true), Result: resultView(res)}, nil
}

func (s *server) AnnounceAward(ctx context.Context, r oapi.AnnounceAwardRequestObject) (oapi.AnnounceAwardResponseObject, error) {
	t, err := s.svc.AnnounceAward(ctx, caller(ctx), r.TenderID.String())
	if err != nil {
		return nil, err
	}
	return oapi.AnnounceAward200JSONResponse(tenderView(t, true)), nil
}

func (s *server) FileObjection(ctx context.Context, r oapi.FileObjectionRequestObject) (oapi.FileObjectionResponseObject, error) {
	var evidence []string
	if r.Body.Evidence != nil {
		evidence = *r.Body.Evidence
	}
	o, err := s.svc.FileObjection(ctx, caller(ctx), r.TenderID.String(), r.Body.Arguments, evidence)
	if err != nil {
		return nil, err
	}
	return oapi.FileObjection201JSONResponse{ID: uuid.MustParse(o.ID), TenderID: uuid.MustParse(o.TenderID),
		Arguments: o.Arguments, FiledAt: o.FiledAt.UTC()}, nil
}

func (s *server) AnswerObjection(ctx context.Context, r oapi.AnswerObjectionRequestObject) (oapi.AnswerObjectionResponseObject, error) {
	t, err := s.svc.AnswerObjection(ctx, caller(ctx), r.TenderID.String(), r.ObjectionID.String(), r.Body.Answer, string(r.Body.Outcome))
	if err != nil {
		return nil, err
	}
	return oapi.AnswerObjection200JSONResponse(tenderView(t, true)), nil
}

func (s *server) RecordContract(ctx context.Context, r oapi.RecordContractRequestObject) (oapi.RecordContractResponseObject, error) {
	_, c, err := s.svc.RecordContract(ctx, caller(ctx), r.TenderID.String(), r.Body.Number, r.Body.SignedAt)
	if err != nil {
		return nil, err
	}
	return oapi.RecordContract201JSONResponse{ID: uuid.MustParse(c.ID), TenderID: uuid.MustParse(c.TenderID), Number: c.Number,
		Vendor: c.Vendor, Value: idr(c.Value), SignedAt: c.SignedAt.UTC()}, nil
}

func (s *server) GetPublicResult(ctx context.Context, r oapi.GetPublicResultRequestObject) (oapi.GetPublicResultResponseObject, error) {
	_, res, err := s.svc.Result(ctx, r.TenderID.String())
	if err != nil {
		return nil, err
	}
	return oapi.GetPublicResult200JSONResponse(resultView(res)), nil
}

func (s *server) GetOCDSReleases(ctx context.Context, r oapi.GetOCDSReleasesRequestObject) (oapi.GetOCDSReleasesResponseObject, error) {
	pr, err := s.svc.OpenProcess(ctx, r.TenderID.String())
	if err != nil {
		return nil, err
	}
	pkg, err := s.ocds.ReleasePackage(ocdsProcess(pr), s.now())
	if err != nil {
		return nil, err
	}
	out, err := ocdsPackage(pkg)
	return oapi.GetOCDSReleases200JSONResponse(out), err
}

func (s *server) GetOCDSRecord(ctx context.Context, r oapi.GetOCDSRecordRequestObject) (oapi.GetOCDSRecordResponseObject, error) {
	pr, err := s.svc.OpenProcess(ctx, r.TenderID.String())
	if err != nil {
		return nil, err
	}
	pkg, err := s.ocds.RecordPackage(ocdsProcess(pr), s.now())
	if err != nil {
		return nil, err
	}
	out, err := ocdsPackage(pkg)
	return oapi.GetOCDSRecord200JSONResponse(out), err
}

// ListOCDSReleases pages over published tenders, newest first, and returns
// the releases of the page as one package with links.next; the page is
// read in a fixed number of queries (app.Service.OpenProcesses).
func (s *server) ListOCDSReleases(ctx context.Context, r oapi.ListOCDSReleasesRequestObject) (oapi.ListOCDSReleasesResponseObject, error) {
	limit, after, err := page(r.Params.Limit, r.Params.Cursor)
	if err != nil {
		return nil, err
	}
	processes, next, err := s.svc.OpenProcesses(ctx, limit, after)
	if err != nil {
		return nil, err
	}
	pkg := ocds.ReleasePackage{URI: s.ocds.BaseURL + "/v1/public/ocds/releases", Version: ocds.Version,
		Publisher: ocds.PubInfo{Name: s.ocds.Name}, License: s.ocds.License, PublishedDate: s.now().UTC().Format("2006-01-02T15:04:05Z")}
	for _, pr := range processes {
		rs, err := s.ocds.Releases(ocdsProcess(pr))
		if err != nil {
			return nil, err
		}
		pkg.Releases = append(pkg.Releases, rs...)
	}
	if len(pkg.Releases) == 0 {
		return nil, apperr.New(apperr.NotFound, "no tender is published on this page")
	}
	out, err := ocdsPackage(pkg)
	if err != nil {
		return nil, err
	}
	if c := nextCursor(next); c != nil {
		q := url.Values{"cursor": {*c}}
		if r.Params.Limit != nil {
			q.Set("limit", strconv.Itoa(int(*r.Params.Limit)))
		}
		out["links"] = map[string]any{"next": s.ocds.BaseURL + "/v1/public/ocds/releases?" + q.Encode()}
	}
	return oapi.ListOCDSReleases200JSONResponse(out), nil
}

func (s *server) ListObjections(ctx context.Context, r oapi.ListObjectionsRequestObject) (oapi.ListObjectionsResponseObject, error) {
	list, err := s.svc.Objections(ctx, caller(ctx), r.TenderID.String())
	if err != nil {
		return nil, err
	}
	var out oapi.ListObjections200JSONResponse
	out.Items = make([]struct {
		Answer     *string                         `json:"answer"`
		AnsweredAt *time.Time                      `json:"answered_at"`
		Arguments  string                          `json:"arguments"`
		Evidence   []string                        `json:"evidence"`
		FiledAt    time.Time                       `json:"filed_at"`
		ID         uuid.UUID                       `json:"id"`
		Outcome    *oapi.ObjectionListItemsOutcome `json:"outcome"`
		Vendor     string                          `json:"vendor"`
	}, len(list))
	for i, o := range list {
		it := &out.Items[i]
		it.Answer, it.AnsweredAt, it.Arguments, it.Evidence = o.Answer, o.AnsweredAt, o.Arguments, append([]string{}, o.Evidence...)
		it.FiledAt, it.ID, it.Vendor = o.FiledAt.UTC(), uuid.MustParse(o.ID), o.Vendor
		if o.Outcome != nil {
			v := oapi.ObjectionListItemsOutcome(*o.Outcome)
			it.Outcome = &v
		}
	}
	return out, nil
}

func (s *server) ListOpenedBids(ctx context.Context, r oapi.ListOpenedBidsRequestObject) (oapi.ListOpenedBidsResponseObject, error) {
	op, err := s.svc.OpenedBids(ctx, caller(ctx), r.TenderID.String())
	if err != nil {
		return nil, err
	}
	var out oapi.ListOpenedBids200JSONResponse
	out.Items = make([]struct {
		BidID        uuid.UUID `json:"bid_id"`
		DecryptError *string   `json:"decrypt_error,omitempty"`
		Disqualified string    `json:"disqualified"`
		Documents    *[]struct {
			Content []byte `json:"content"`
			Name    string `json:"name"`
		} `json:"documents,omitempty"`
		Price          *oapi.Money `json:"price"`
		SubmittedAt    time.Time   `json:"submitted_at"`
		TechnicalOffer *string     `json:"technical_offer,omitempty"`
		Vendor         string      `json:"vendor"`
	}, len(op.Bids))
	for i, b := range op.Bids {
		it := &out.Items[i]
		it.BidID, it.DecryptError, it.Disqualified, it.SubmittedAt = uuid.MustParse(b.BidID), b.DecryptError, b.Disqualified, b.SubmittedAt.UTC()
		it.TechnicalOffer, it.Vendor = b.TechnicalOffer, b.Vendor
		if b.Price != nil {
			m := idr(*b.Price)
			it.Price = &m
		}
		if len(b.Documents) > 0 {
			docs := make([]struct {
				Content []byte `json:"content"`
				Name    string `json:"name"`
			}, len(b.Documents))
			for j, d := range b.Documents {
				docs[j].Content, docs[j].Name = d.Content, d.Name
			}
			it.Documents = &docs
		}
	}
	return out, nil
}
