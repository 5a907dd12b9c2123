// Package http implements the licensing API: the strict server generated
// from api/licensing.yaml (package oapi), each operation mapping its request
// to a use case of package app and the result back to the contract's types.
package http

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"gerbang/pkg/auth"
	"gerbang/pkg/caller"
	"gerbang/pkg/etag"
	"gerbang/pkg/idempotency"
	"gerbang/pkg/keyset"
	pkgoapi "gerbang/pkg/oapi"
	"gerbang/services/licensing/internal/app"
	"gerbang/services/licensing/internal/domain"
	"gerbang/services/licensing/internal/ports/http/oapi"
)

// Mount adds the licensing API to a: bearer authentication, the roles of
// each operation (x-roles in the contract) and validation against it, the
// Idempotency-Key on creates (kept by the use case in its transaction), and
// the operations.
func Mount(a *fiber.App, svc *app.Service, verifier *auth.Verifier) error {
	spec, err := oapi.GetSwagger()
	if err != nil {
		return err
	}
	validate, err := pkgoapi.Validator(spec, pkgoapi.Options{SkipMultipartBody: true, EnforceRoles: true})
	if err != nil {
		return err
	}
	a.Use("/v1", auth.Authenticate(verifier), validate)
	a.Post("/v1/applications", idempotency.Keyed(idempotency.Options{Required: true}))
	a.Post("/v1/businesses", idempotency.Keyed(idempotency.Options{}))
	handler := oapi.NewStrictHandler(&Server{svc: svc}, nil)
	oapi.RegisterHandlers(a, handler)
	return nil
}

// Server implements the strict server.
type Server struct {
	svc *app.Service
}

var _ oapi.StrictServerInterface = (*Server)(nil)

// expected reads the version an If-Match names (0: no check); a header
// that names no version is a 400.
func expected(ifMatch *string) (int, error) { return etag.IfMatch(ifMatch) }

func nextCursor(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// --- businesses

func toBusiness(b app.BusinessRecord) oapi.Business {
	return oapi.Business{
		ID: mustUUID(b.ID), Nib: string(b.NIB), Name: b.Name, Npwp: string(b.NPWP), Address: b.Address,
		Scale: oapi.Scale(b.Scale), Kbli: b.KBLI, CreatedAt: b.CreatedAt.UTC(), Version: int32(b.Version),
	}
}

func (s *Server) RegisterBusiness(ctx context.Context, r oapi.RegisterBusinessRequestObject) (oapi.RegisterBusinessResponseObject, error) {
	b, err := s.svc.RegisterBusiness(ctx, caller.From(ctx), idempotency.KeyFrom(ctx), domain.BusinessInput{
		Name: r.Body.Name, NPWP: r.Body.Npwp, Address: r.Body.Address, Scale: string(r.Body.Scale), KBLI: r.Body.Kbli,
	})
	if err != nil {
		return nil, err
	}
	return oapi.RegisterBusiness201JSONResponse(toBusiness(b)), nil
}

func (s *Server) ListMyBusinesses(ctx context.Context, r oapi.ListMyBusinessesRequestObject) (oapi.ListMyBusinessesResponseObject, error) {
	bs, next, err := s.svc.MyBusinesses(ctx, caller.From(ctx), keyset.Of(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := oapi.ListMyBusinesses200JSONResponse{Items: make([]oapi.Business, len(bs)), NextCursor: nextCursor(next)}
	for i, b := range bs {
		out.Items[i] = toBusiness(b)
	}
	return out, nil
}

func (s *Server) GetBusiness(ctx context.Context, r oapi.GetBusinessRequestObject) (oapi.GetBusinessResponseObject, error) {
	b, err := s.svc.Business(ctx, caller.From(ctx), r.ID.String())
	if err != nil {
		return nil, err
	}
	return oapi.GetBusiness200JSONResponse{Body: toBusiness(b), Headers: oapi.GetBusiness200ResponseHeaders{ETag: etag.Ptr(b.Version)}}, nil
}

func (s *Server) UpdateBusiness(ctx context.Context, r oapi.UpdateBusinessRequestObject) (oapi.UpdateBusinessResponseObject, error) {
	p := domain.BusinessPatch{Name: r.Body.Name, Address: r.Body.Address}
	if r.Body.Scale != nil {
		sc := string(*r.Body.Scale)
		p.Scale = &sc
	}
	if r.Body.Kbli != nil {
		p.KBLI = *r.Body.Kbli
	}
	version, err := expected(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	b, err := s.svc.UpdateBusiness(ctx, caller.From(ctx), r.ID.String(), version, p)
	if err != nil {
		return nil, err
	}
	return oapi.UpdateBusiness200JSONResponse{Body: toBusiness(b), Headers: oapi.UpdateBusiness200ResponseHeaders{ETag: etag.Ptr(b.Version)}}, nil
}

// --- catalog

func toRequirements(rs []domain.Requirement) []oapi.Requirement {
	out := make([]oapi.Requirement, len(rs))
	for i, r := range rs {
		out[i] = oapi.Requirement{Code: r.Code, Name: r.Name, MaxBytes: r.MaxBytes, ContentType: oapi.RequirementContentType(r.ContentType)}
	}
	return out
}

func idr(amount int64) oapi.Money { return oapi.Money{Amount: amount, Currency: oapi.MoneyCurrencyIDR} }

func toLicenseType(lt domain.LicenseType) oapi.LicenseType {
	return oapi.LicenseType{
		Code: lt.Code, Version: int32(lt.Version), EffectiveFrom: lt.EffectiveFrom.UTC(), Name: lt.Name, Risk: oapi.RiskLevel(lt.Risk),
		Fee: idr(lt.Fee), SLADays: int32(lt.SLADays), ValidityMonths: int32(lt.ValidityMonths), Requirements: toRequirements(lt.Requirements),
	}
}

func (s *Server) ListLicenseTypes(ctx context.Context, _ oapi.ListLicenseTypesRequestObject) (oapi.ListLicenseTypesResponseObject, error) {
	lts, err := s.svc.LicenseTypes(ctx)
	if err != nil {
		return nil, err
	}
	out := oapi.ListLicenseTypes200JSONResponse{Items: make([]oapi.LicenseType, len(lts))}
	for i, lt := range lts {
		out.Items[i] = toLicenseType(lt)
	}
	return out, nil
}

func (s *Server) ListKbliRules(ctx context.Context, _ oapi.ListKbliRulesRequestObject) (oapi.ListKbliRulesResponseObject, error) {
	rules, err := s.svc.KBLIRules(ctx)
	if err != nil {
		return nil, err
	}
	out := oapi.ListKbliRules200JSONResponse{Items: make([]oapi.KbliRule, len(rules))}
	for i, r := range rules {
		k := oapi.KbliRule{Kbli: r.KBLI, Version: int32(r.Version), Title: r.Title, Sector: r.Sector, SizeMetric: r.SizeMetric, Bands: make([]oapi.RiskBand, len(r.Bands))}
		for j, b := range r.Bands {
			band := oapi.RiskBand{Risk: oapi.RiskLevel(b.Risk), LicenseType: b.LicenseType}
			if b.MinScale != "" {
				sc := oapi.Scale(b.MinScale)
				band.MinScale = &sc
			}
			if b.MinSize > 0 {
				n := b.MinSize
				band.MinSize = &n
			}
			k.Bands[j] = band
		}
		out.Items[i] = k
	}
	return out, nil
}

func (s *Server) GetRequirements(ctx context.Context, r oapi.GetRequirementsRequestObject) (oapi.GetRequirementsResponseObject, error) {
	var size int64
	if r.Params.Size != nil {
		size = *r.Params.Size
	}
	d, err := s.svc.Requirements(ctx, r.Params.Kbli, domain.Scale(r.Params.Scale), size, nil)
	if err != nil {
		return nil, err
	}
	return oapi.GetRequirements200JSONResponse{
		Kbli: d.Rule.KBLI, Title: d.Rule.Title, Sector: d.Rule.Sector, Scale: r.Params.Scale, Size: size, SizeMetric: d.Rule.SizeMetric,
		Risk: oapi.RiskLevel(d.Band.Risk), NeedsReview: d.Band.Risk.NeedsReview(), RuleVersion: int32(d.Rule.Version),
		LicenseType: toLicenseType(d.LicenseType),
	}, nil
}

// --- applications

func toApplication(rec app.ApplicationRecord) oapi.Application {
	a := rec.Application
	out := oapi.Application{
		ID: mustUUID(a.ID), BusinessID: mustUUID(a.BusinessID), Kbli: a.KBLI, Scale: oapi.Scale(a.Scale), Size: a.Size,
		State: oapi.ApplicationState(a.State), Reason: strPtr(a.Reason), RevisionRequirement: strPtr(a.RevisionRequirement),
		RevisionNote: strPtr(a.RevisionNote), SubmittedAt: utcPtr(a.SubmittedAt), DecidedAt: utcPtr(a.DecidedAt),
		Version: int32(a.Version), CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC(),
		SLA: oapi.SLA{Days: int32(a.SLA.Days), UsedSeconds: int64(a.SLA.Used / time.Second), Running: a.SLA.RunningSince != nil, DueAt: utcPtr(a.SLA.DueAt)},
	}
	if a.State == domain.StateRevisionRequested {
		out.Revisions = revisionsOut(a.Revisions)
	}
	if a.RenewalOf != "" {
		id := mustUUID(a.RenewalOf)
		out.RenewalOf = &id
	}
	if t := a.Terms; t != nil {
		out.Terms = &oapi.Terms{
			LicenseType: t.LicenseType, LicenseName: t.LicenseName, TypeVersion: int32(t.TypeVersion), RuleVersion: int32(t.RuleVersion),
			Risk: oapi.RiskLevel(t.Risk), Fee: idr(t.Fee), SLADays: int32(t.SLADays), ValidityMonths: int32(t.ValidityMonths),
			Requirements: toRequirements(t.Requirements),
		}
	}
	if turn, due := a.WhoseTurn(); turn != "" {
		w := oapi.ApplicationWhoseTurn(turn)
		out.WhoseTurn, out.TurnDueAt = &w, utcPtr(due)
	}
	return out
}

func toApplicationPage(recs []app.ApplicationRecord, next string) oapi.ApplicationPage {
	out := oapi.ApplicationPage{Items: make([]oapi.Application, len(recs)), NextCursor: nextCursor(next)}
	for i, r := range recs {
		out.Items[i] = toApplication(r)
	}
	return out
}

func (s *Server) CreateApplication(ctx context.Context, r oapi.CreateApplicationRequestObject) (oapi.CreateApplicationResponseObject, error) {
	var size int64
	if r.Body.Size != nil {
		size = *r.Body.Size
	}
	renewal := ""
	if r.Body.RenewalOf != nil {
		renewal = r.Body.RenewalOf.String()
	}
	a, err := s.svc.CreateApplication(ctx, caller.From(ctx), idempotency.KeyFrom(ctx), r.Body.BusinessID.String(), r.Body.Kbli, size, renewal)
	if err != nil {
		return nil, err
	}
	return oapi.CreateApplication201JSONResponse(toApplication(app.ApplicationRecord{Application: a})), nil
}

func (s *Server) ListMyApplications(ctx context.Context, r oapi.ListMyApplicationsRequestObject) (oapi.ListMyApplicationsResponseObject, error) {
	recs, next, err := s.svc.MyApplications(ctx, caller.From(ctx), keyset.Of(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return oapi.ListMyApplications200JSONResponse(toApplicationPage(recs, next)), nil
}

func (s *Server) GetApplication(ctx context.Context, r oapi.GetApplicationRequestObject) (oapi.GetApplicationResponseObject, error) {
	rec, err := s.svc.Application(ctx, caller.From(ctx), r.ID.String())
	if err != nil {
		return nil, err
	}
	return oapi.GetApplication200JSONResponse{Body: toApplication(rec), Headers: oapi.GetApplication200ResponseHeaders{ETag: etag.Ptr(rec.Version)}}, nil
}

func (s *Server) GetApplicationHistory(ctx context.Context, r oapi.GetApplicationHistoryRequestObject) (oapi.GetApplicationHistoryResponseObject, error) {
	steps, err := s.svc.History(ctx, caller.From(ctx), r.ID.String())
	if err != nil {
		return nil, err
	}
	out := oapi.GetApplicationHistory200JSONResponse{Items: make([]oapi.HistoryStep, len(steps))}
	for i, st := range steps {
		h := oapi.HistoryStep{At: st.At.UTC(), Action: st.Action, Actor: oapi.HistoryStepActor(st.Actor), Note: strPtr(st.Note), Requirement: strPtr(st.Requirement)}
		if st.State != "" {
			state := oapi.ApplicationState(st.State)
			h.State = &state
		}
		if st.DocumentID != "" {
			id := mustUUID(st.DocumentID)
			h.DocumentID = &id
		}
		h.Revisions = revisionsOut(st.Revisions)
		out.Items[i] = h
	}
	return out, nil
}

// revisionsOf is the revision request's documents: the list, or the one
// named by requirement and note.
func revisionsOf(in oapi.RevisionInput) []domain.Revision {
	var out []domain.Revision
	if in.Requirement != nil {
		out = append(out, domain.Revision{Requirement: *in.Requirement, Note: deref(in.Note)})
	}
	if in.Documents != nil {
		for _, d := range *in.Documents {
			out = append(out, domain.Revision{Requirement: d.Requirement, Note: deref(d.Note)})
		}
	}
	return out
}

func revisionsOut(rs []domain.Revision) *[]oapi.Revision {
	if len(rs) == 0 {
		return nil
	}
	out := make([]oapi.Revision, len(rs))
	for i, r := range rs {
		out[i] = oapi.Revision{Requirement: r.Requirement, Note: strPtr(r.Note)}
	}
	return &out
}

func (s *Server) GetReviewQueue(ctx context.Context, r oapi.GetReviewQueueRequestObject) (oapi.GetReviewQueueResponseObject, error) {
	var state, kbli string
	var dueWithin int
	var overdue bool
	if r.Params.State != nil {
		state = string(*r.Params.State)
	}
	if r.Params.Kbli != nil {
		kbli = *r.Params.Kbli
	}
	if r.Params.DueWithinDays != nil {
		dueWithin = int(*r.Params.DueWithinDays)
	}
	if r.Params.Overdue != nil {
		overdue = *r.Params.Overdue
	}
	f, err := domain.NewQueueFilter(state, kbli, dueWithin, overdue)
	if err != nil {
		return nil, err
	}
	q, err := s.svc.ReviewQueue(ctx, caller.From(ctx), f, keyset.Of(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	page := toApplicationPage(q.Items, q.NextCursor)
	return oapi.GetReviewQueue200JSONResponse{Items: page.Items, NextCursor: page.NextCursor,
		DueToday: int32(q.Counts.DueToday), Overdue: int32(q.Counts.Overdue)}, nil
}

// moved runs a transition use case and returns the application after it.
func moved(rec app.ApplicationRecord, err error) (oapi.ApplicationMovedJSONResponse, error) {
	if err != nil {
		return oapi.ApplicationMovedJSONResponse{}, err
	}
	return oapi.ApplicationMovedJSONResponse{Body: toApplication(rec), Headers: oapi.ApplicationMovedResponseHeaders{ETag: etag.Ptr(rec.Version)}}, nil
}

func (s *Server) SubmitApplication(ctx context.Context, r oapi.SubmitApplicationRequestObject) (oapi.SubmitApplicationResponseObject, error) {
	version, err := expected(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	out, err := moved(s.svc.Submit(ctx, caller.From(ctx), r.ID.String(), version))
	if err != nil {
		return nil, err
	}
	return oapi.SubmitApplication200JSONResponse{ApplicationMovedJSONResponse: out}, nil
}

func (s *Server) WithdrawApplication(ctx context.Context, r oapi.WithdrawApplicationRequestObject) (oapi.WithdrawApplicationResponseObject, error) {
	version, err := expected(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	out, err := moved(s.svc.Withdraw(ctx, caller.From(ctx), r.ID.String(), version))
	if err != nil {
		return nil, err
	}
	return oapi.WithdrawApplication200JSONResponse{ApplicationMovedJSONResponse: out}, nil
}

func (s *Server) ResubmitApplication(ctx context.Context, r oapi.ResubmitApplicationRequestObject) (oapi.ResubmitApplicationResponseObject, error) {
	version, err := expected(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	note := ""
	if r.Body != nil && r.Body.Note != nil {
		note = *r.Body.Note
	}
	out, err := moved(s.svc.Resubmit(ctx, caller.From(ctx), r.ID.String(), version, note))
	if err != nil {
		return nil, err
	}
	return oapi.ResubmitApplication200JSONResponse{ApplicationMovedJSONResponse: out}, nil
}

func (s *Server) StartReview(ctx context.Context, r oapi.StartReviewRequestObject) (oapi.StartReviewResponseObject, error) {
	version, err := expected(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	out, err := moved(s.svc.StartReview(ctx, caller.From(ctx), r.ID.String(), version))
	if err != nil {
		return nil, err
	}
	return oapi.StartReview200JSONResponse{ApplicationMovedJSONResponse: out}, nil
}

func (s *Server) ApproveApplication(ctx context.Context, r oapi.ApproveApplicationRequestObject) (oapi.ApproveApplicationResponseObject, error) {
	version, err := expected(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	out, err := moved(s.svc.Approve(ctx, caller.From(ctx), r.ID.String(), version))
	if err != nil {
		return nil, err
	}
	return oapi.ApproveApplication200JSONResponse{ApplicationMovedJSONResponse: out}, nil
}

func (s *Server) RejectApplication(ctx context.Context, r oapi.RejectApplicationRequestObject) (oapi.RejectApplicationResponseObject, error) {
	version, err := expected(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	out, err := moved(s.svc.Reject(ctx, caller.From(ctx), r.ID.String(), version, r.Body.Reason))
	if err != nil {
		return nil, err
	}
	return oapi.RejectApplication200JSONResponse{ApplicationMovedJSONResponse: out}, nil
}

func (s *Server) RequestRevision(ctx context.Context, r oapi.RequestRevisionRequestObject) (oapi.RequestRevisionResponseObject, error) {
	version, err := expected(r.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	out, err := moved(s.svc.RequestRevision(ctx, caller.From(ctx), r.ID.String(), version, revisionsOf(*r.Body)))
	if err != nil {
		return nil, err
	}
	return oapi.RequestRevision200JSONResponse{ApplicationMovedJSONResponse: out}, nil
}

// --- licenses

func toLicense(l app.LicenseRecord) oapi.License {
	return oapi.License{
		ID: mustUUID(l.ID), Number: l.Number, ApplicationID: mustUUID(l.ApplicationID), BusinessID: mustUUID(l.BusinessID),
		HolderName: l.HolderName, Nib: string(l.NIB), Kbli: l.KBLI, LicenseType: l.LicenseType, LicenseName: l.LicenseName,
		Risk: oapi.RiskLevel(l.Risk), Status: oapi.LicenseStatus(l.Status), StatusReason: strPtr(l.StatusReason),
		IssuedAt: l.IssuedAt.UTC(), ValidFrom: l.ValidFrom.UTC(), ValidUntil: utcPtr(l.ValidUntil),
	}
}

func (s *Server) GetApplicationLicense(ctx context.Context, r oapi.GetApplicationLicenseRequestObject) (oapi.GetApplicationLicenseResponseObject, error) {
	l, err := s.svc.LicenseOfApplication(ctx, caller.From(ctx), r.ID.String())
	if err != nil {
		return nil, err
	}
	return oapi.GetApplicationLicense200JSONResponse(toLicense(l)), nil
}

func (s *Server) ListMyLicenses(ctx context.Context, r oapi.ListMyLicensesRequestObject) (oapi.ListMyLicensesResponseObject, error) {
	ls, next, err := s.svc.MyLicenses(ctx, caller.From(ctx), keyset.Of(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := oapi.ListMyLicenses200JSONResponse{Items: make([]oapi.License, len(ls)), NextCursor: nextCursor(next)}
	for i, l := range ls {
		out.Items[i] = toLicense(l)
	}
	return out, nil
}

func (s *Server) ChangeLicenseStatus(ctx context.Context, r oapi.ChangeLicenseStatusRequestObject) (oapi.ChangeLicenseStatusResponseObject, error) {
	l, err := s.svc.ChangeLicense(ctx, caller.From(ctx), r.ID.String(), domain.LicenseAction(r.Action), r.Body.Reason)
	if err != nil {
		return nil, err
	}
	return oapi.ChangeLicenseStatus200JSONResponse(toLicense(l)), nil
}

func (s *Server) VerifyLicense(ctx context.Context, r oapi.VerifyLicenseRequestObject) (oapi.VerifyLicenseResponseObject, error) {
	l, err := s.svc.VerifyLicense(ctx, r.Number)
	if err != nil {
		return nil, err
	}
	return oapi.VerifyLicense200JSONResponse{
		Genuine: true, Number: l.Number, HolderName: l.HolderName, Nib: string(l.NIB), Kbli: l.KBLI, LicenseName: l.LicenseName,
		Status: oapi.LicenseStatus(l.Status), ValidFrom: l.ValidFrom.UTC(), ValidUntil: utcPtr(l.ValidUntil),
	}, nil
}
