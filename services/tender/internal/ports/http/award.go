package http

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/services/tender/internal/app"
	"gerbang/services/tender/internal/domain"
	"gerbang/services/tender/internal/ocds"
	"gerbang/services/tender/internal/ports/http/oapi"
)

// via converts between two JSON-shaped values (domain results and packages
// to their generated API types).
func via[T any](v any) (T, error) {
	var out T
	raw, err := json.Marshal(v)
	if err != nil {
		return out, err
	}
	err = json.Unmarshal(raw, &out)
	return out, err
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
	out, err := via[oapi.EvaluationResult](res)
	if err != nil {
		return nil, err
	}
	return oapi.ProposeAward200JSONResponse{Tender: tenderView(t, true), Result: out}, nil
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
	out, err := via[oapi.GetPublicResult200JSONResponse](res)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *server) GetOCDSReleases(ctx context.Context, r oapi.GetOCDSReleasesRequestObject) (oapi.GetOCDSReleasesResponseObject, error) {
	pr, err := s.svc.OCDSProcess(ctx, r.TenderID.String())
	if err != nil {
		return nil, err
	}
	pkg, err := s.ocds.ReleasePackage(pr, s.now())
	if err != nil {
		return nil, err
	}
	return via[oapi.GetOCDSReleases200JSONResponse](pkg)
}

func (s *server) GetOCDSRecord(ctx context.Context, r oapi.GetOCDSRecordRequestObject) (oapi.GetOCDSRecordResponseObject, error) {
	pr, err := s.svc.OCDSProcess(ctx, r.TenderID.String())
	if err != nil {
		return nil, err
	}
	pkg, err := s.ocds.RecordPackage(pr, s.now())
	if err != nil {
		return nil, err
	}
	return via[oapi.GetOCDSRecord200JSONResponse](pkg)
}

// ListOCDSReleases pages over published tenders, newest first, and returns
// the releases of the page as one package with links.next.
func (s *server) ListOCDSReleases(ctx context.Context, r oapi.ListOCDSReleasesRequestObject) (oapi.ListOCDSReleasesResponseObject, error) {
	page, err := s.ListPublicTenders(ctx, oapi.ListPublicTendersRequestObject{Params: oapi.ListPublicTendersParams{Limit: r.Params.Limit, Cursor: r.Params.Cursor}})
	if err != nil {
		return nil, err
	}
	tenders := page.(oapi.ListPublicTenders200JSONResponse)
	pkg := ocds.ReleasePackage{URI: s.ocds.BaseURL + "/v1/public/ocds/releases", Version: ocds.Version,
		Publisher: ocds.PubInfo{Name: s.ocds.Name}, License: s.ocds.License, PublishedDate: s.now().UTC().Format("2006-01-02T15:04:05Z")}
	for _, t := range tenders.Items {
		pr, err := s.svc.OCDSProcess(ctx, t.ID.String())
		if err != nil {
			return nil, err
		}
		rs, err := s.ocds.Releases(pr)
		if err != nil {
			return nil, err
		}
		pkg.Releases = append(pkg.Releases, rs...)
	}
	if len(pkg.Releases) == 0 {
		return nil, apperr.New(apperr.NotFound, "no tender is published on this page")
	}
	out, err := via[map[string]any](pkg)
	if err != nil {
		return nil, err
	}
	if tenders.NextCursor != nil {
		q := url.Values{"cursor": {*tenders.NextCursor}}
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
	items := make([]map[string]any, 0, len(list))
	for _, o := range list {
		var evidence []string
		if err := json.Unmarshal(o.Evidence, &evidence); err != nil {
			return nil, err
		}
		items = append(items, map[string]any{"id": o.ID, "vendor": o.Vendor, "arguments": o.Arguments,
			"evidence": append([]string{}, evidence...), "filed_at": o.FiledAt.UTC(), "answer": o.Answer,
			"outcome": o.Outcome, "answered_at": o.AnsweredAt})
	}
	return via[oapi.ListObjections200JSONResponse](map[string]any{"items": items})
}

func (s *server) ListOpenedBids(ctx context.Context, r oapi.ListOpenedBidsRequestObject) (oapi.ListOpenedBidsResponseObject, error) {
	op, err := s.svc.OpenedBids(ctx, caller(ctx), r.TenderID.String())
	if err != nil {
		return nil, err
	}
	items := make([]map[string]any, 0, len(op.Bids))
	for _, b := range op.Bids {
		item := map[string]any{"bid_id": b.BidID, "vendor": b.Vendor, "submitted_at": b.SubmittedAt.UTC(),
			"price": nil, "disqualified": b.Disqualified, "technical_offer": b.TechnicalOffer}
		if b.Price != nil {
			item["price"] = idr(*b.Price)
		}
		if b.DecryptError != nil {
			item["decrypt_error"] = *b.DecryptError
		}
		if len(b.Documents) > 0 {
			item["documents"] = json.RawMessage(b.Documents)
		}
		items = append(items, item)
	}
	return via[oapi.ListOpenedBids200JSONResponse](map[string]any{"items": items})
}
