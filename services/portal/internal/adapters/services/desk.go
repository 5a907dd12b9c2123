package services

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"gerbang/services/portal/internal/adapters/services/licensingapi"
	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/internal/domain"
)

// Licensing's applications and their review, for the application and
// review pages, as the signed-in person (app.LicensingDesk).

var _ app.LicensingDesk = (*Licensing)(nil)

func licenseTypeOf(t licensingapi.Terms) *domain.LicenseType {
	docs := make([]domain.RequiredDocument, len(t.Requirements))
	for i, d := range t.Requirements {
		docs[i] = domain.RequiredDocument{Code: d.Code, Name: d.Name, MaxBytes: d.MaxBytes, ContentType: string(d.ContentType)}
	}
	return &domain.LicenseType{
		Code: t.LicenseType, Name: t.LicenseName, Risk: string(t.Risk), Fee: domain.Money{Amount: t.Fee.Amount, Currency: string(t.Fee.Currency)},
		SLADays: int(t.SLADays), ValidityMonths: int(t.ValidityMonths), Documents: docs,
	}
}

func applicationOf(a licensingapi.Application) domain.ApplicationDetail {
	out := domain.ApplicationDetail{
		ID: a.ID.String(), BusinessID: a.BusinessID.String(), KBLI: a.Kbli, Scale: string(a.Scale), Size: a.Size,
		State:     domain.ApplicationState(a.State),
		SLA:       domain.SLA{Days: int(a.SLA.Days), UsedSeconds: a.SLA.UsedSeconds, Running: a.SLA.Running, DueAt: a.SLA.DueAt},
		TurnDueAt: a.TurnDueAt, SubmittedAt: a.SubmittedAt, DecidedAt: a.DecidedAt, Version: int(a.Version),
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
	}
	if a.Terms != nil {
		out.Terms = licenseTypeOf(*a.Terms)
	}
	if a.WhoseTurn != nil {
		out.WhoseTurn = string(*a.WhoseTurn)
	}
	if a.RenewalOf != nil {
		out.RenewalOf = a.RenewalOf.String()
	}
	out.Revisions = revisionsOf(a.Revisions)
	for _, s := range []struct {
		to   *string
		from *string
	}{{&out.Reason, a.Reason}, {&out.RevisionRequirement, a.RevisionRequirement}, {&out.RevisionNote, a.RevisionNote}} {
		if s.from != nil {
			*s.to = *s.from
		}
	}
	return out
}

func pageOf(p licensingapi.ApplicationPage) domain.ApplicationPage {
	out := domain.ApplicationPage{Items: make([]domain.ApplicationDetail, len(p.Items))}
	for i, a := range p.Items {
		out.Items[i] = applicationOf(a)
	}
	if p.NextCursor != nil {
		out.NextCursor = *p.NextCursor
	}
	return out
}

func documentOf(d licensingapi.Document) domain.Document {
	return domain.Document{
		ID: d.ID.String(), Requirement: d.Requirement, Filename: d.Filename, ContentType: string(d.ContentType),
		Size: d.SizeBytes, SHA256: d.Sha256, UploadedAt: d.UploadedAt,
	}
}

func issuedLicenseOf(l licensingapi.License) domain.IssuedLicense {
	out := domain.IssuedLicense{
		ID: l.ID.String(), Number: l.Number, ApplicationID: l.ApplicationID.String(), BusinessID: l.BusinessID.String(), Status: string(l.Status),
		HolderName: l.HolderName, NIB: l.Nib, KBLI: l.Kbli, LicenseType: l.LicenseType, LicenseName: l.LicenseName, Risk: string(l.Risk),
		IssuedAt: l.IssuedAt, ValidFrom: l.ValidFrom, ValidUntil: l.ValidUntil,
	}
	if l.StatusReason != nil {
		out.StatusReason = *l.StatusReason
	}
	return out
}

// page is a page's limit and cursor as the generated parameters take them.
func page(limit int, cursor string) (*int32, *string) {
	l := int32(limit)
	if cursor == "" {
		return &l, nil
	}
	return &l, &cursor
}

// ifMatch is the If-Match of version.
func ifMatch(version int) *string {
	s := strconv.Quote(strconv.Itoa(version))
	return &s
}

// CreateApplication is POST /v1/applications with an Idempotency-Key;
// renewalOf names the license a renewal renews ("" for a first license).
func (l *Licensing) CreateApplication(ctx context.Context, token, key, businessID, kbli string, size int64, renewalOf string) (domain.ApplicationDetail, error) {
	bid, err := uuid.Parse(businessID)
	if err != nil {
		return domain.ApplicationDetail{}, notFound(businessID)
	}
	var a licensingapi.Application
	body := licensingapi.ApplicationInput{BusinessID: bid, Kbli: kbli, Size: &size}
	if renewalOf != "" {
		lid, err := uuid.Parse(renewalOf)
		if err != nil {
			return domain.ApplicationDetail{}, notFound(renewalOf)
		}
		body.RenewalOf = &lid
	}
	if err := l.call(ctx, token, http.StatusCreated, &a, func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
		return l.api.CreateApplication(ctx, &licensingapi.CreateApplicationParams{IdempotencyKey: key}, body, e)
	}); err != nil {
		return domain.ApplicationDetail{}, err
	}
	return applicationOf(a), nil
}

// ApplicationPage is GET /v1/applications, a page.
func (l *Licensing) ApplicationPage(ctx context.Context, token string, limit int, cursor string) (domain.ApplicationPage, error) {
	var p licensingapi.ApplicationPage
	lim, cur := page(limit, cursor)
	if err := l.call(ctx, token, http.StatusOK, &p, func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
		return l.api.ListMyApplications(ctx, &licensingapi.ListMyApplicationsParams{Limit: lim, Cursor: cur}, e)
	}); err != nil {
		return domain.ApplicationPage{}, err
	}
	return pageOf(p), nil
}

// QueuePage is GET /v1/review-queue with the filter, a page and the
// counts of the whole queue.
func (l *Licensing) QueuePage(ctx context.Context, token string, f app.QueueFilter, limit int, cursor string) (app.QueuePage, error) {
	var p licensingapi.ReviewQueuePage
	params := queueParams(f)
	params.Limit, params.Cursor = page(limit, cursor)
	if err := l.call(ctx, token, http.StatusOK, &p, func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
		return l.api.GetReviewQueue(ctx, &params, e)
	}); err != nil {
		return app.QueuePage{}, err
	}
	items := pageOf(licensingapi.ApplicationPage{Items: p.Items, NextCursor: p.NextCursor})
	return app.QueuePage{Items: items.Items, NextCursor: items.NextCursor, DueToday: int(p.DueToday), Overdue: int(p.Overdue)}, nil
}

// queueParams are the query parameters of a queue filter; a field left
// zero is not sent.
func queueParams(f app.QueueFilter) licensingapi.GetReviewQueueParams {
	var p licensingapi.GetReviewQueueParams
	if f.State != "" {
		st := licensingapi.ReviewQueueState(f.State)
		p.State = &st
	}
	if f.KBLI != "" {
		p.Kbli = &f.KBLI
	}
	if f.DueDays > 0 {
		d := int32(f.DueDays)
		p.DueWithinDays = &d
	}
	if f.Overdue {
		p.Overdue = &f.Overdue
	}
	return p
}

// Application is GET /v1/applications/{id}.
func (l *Licensing) Application(ctx context.Context, token, id string) (domain.ApplicationDetail, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return domain.ApplicationDetail{}, notFound(id)
	}
	var a licensingapi.Application
	if err := l.call(ctx, token, http.StatusOK, &a, func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
		return l.api.GetApplication(ctx, uid, e)
	}); err != nil {
		return domain.ApplicationDetail{}, err
	}
	return applicationOf(a), nil
}

// Documents is GET /v1/applications/{id}/documents.
func (l *Licensing) Documents(ctx context.Context, token, id string) ([]domain.Document, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return nil, notFound(id)
	}
	var list licensingapi.DocumentList
	if err := l.call(ctx, token, http.StatusOK, &list, func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
		return l.api.ListDocuments(ctx, uid, e)
	}); err != nil {
		return nil, err
	}
	out := make([]domain.Document, len(list.Items))
	for i, d := range list.Items {
		out[i] = documentOf(d)
	}
	return out, nil
}

// History is GET /v1/applications/{id}/history.
func (l *Licensing) History(ctx context.Context, token, id string) ([]domain.HistoryStep, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return nil, notFound(id)
	}
	var h licensingapi.ApplicationHistory
	if err := l.call(ctx, token, http.StatusOK, &h, func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
		return l.api.GetApplicationHistory(ctx, uid, e)
	}); err != nil {
		return nil, err
	}
	out := make([]domain.HistoryStep, len(h.Items))
	for i, st := range h.Items {
		out[i] = domain.HistoryStep{At: st.At, Action: st.Action, Actor: string(st.Actor), Note: deref(st.Note), Requirement: deref(st.Requirement), Revisions: revisionsOf(st.Revisions)}
		if st.State != nil {
			out[i].State = domain.ApplicationState(*st.State)
		}
		if st.DocumentID != nil {
			out[i].DocumentID = st.DocumentID.String()
		}
	}
	return out, nil
}

func revisionsOf(rs *[]licensingapi.Revision) []domain.Revision {
	if rs == nil {
		return nil
	}
	out := make([]domain.Revision, len(*rs))
	for i, r := range *rs {
		out[i] = domain.Revision{Requirement: r.Requirement, Note: deref(r.Note)}
	}
	return out
}

// Upload is POST /v1/applications/{id}/documents, a multipart form whose
// file licensing sniffs (the part's own type says nothing).
func (l *Licensing) Upload(ctx context.Context, token, id, requirement, filename string, content []byte) (domain.Document, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return domain.Document{}, notFound(id)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := mw.WriteField("requirement", requirement); err != nil {
		return domain.Document{}, err
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, strings.ReplaceAll(filename, `"`, "'")))
	h.Set("Content-Type", "application/octet-stream")
	part, err := mw.CreatePart(h)
	if err != nil {
		return domain.Document{}, err
	}
	if _, err := part.Write(content); err != nil {
		return domain.Document{}, err
	}
	if err := mw.Close(); err != nil {
		return domain.Document{}, err
	}
	var d licensingapi.Document
	if err := l.call(ctx, token, http.StatusCreated, &d, func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
		return l.api.UploadDocumentWithBody(ctx, uid, mw.FormDataContentType(), &body, e)
	}); err != nil {
		return domain.Document{}, err
	}
	return documentOf(d), nil
}

// maxDocument bounds a document read back: more than any requirement takes.
const maxDocument = 32 << 20

// DocumentContent is GET /v1/applications/{id}/documents/{document_id}/content.
func (l *Licensing) DocumentContent(ctx context.Context, token, id, documentID string) (string, []byte, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return "", nil, notFound(id)
	}
	did, err := uuid.Parse(documentID)
	if err != nil {
		return "", nil, notFound(documentID)
	}
	return l.file(ctx, token, func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
		return l.api.GetDocumentContent(ctx, uid, did, e)
	})
}

// file is a file licensing answers (a document, a certificate): its
// content type and bytes; any other answer is an error as call says.
func (l *Licensing) file(ctx context.Context, token string, get func(context.Context, licensingapi.RequestEditorFn) (*http.Response, error)) (string, []byte, error) {
	var ct string
	var content []byte
	err := l.call(ctx, token, http.StatusOK, nil, func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
		resp, err := get(ctx, e)
		if err != nil || resp.StatusCode != http.StatusOK {
			return resp, err
		}
		defer resp.Body.Close()
		if content, err = io.ReadAll(io.LimitReader(resp.Body, maxDocument)); err != nil {
			return nil, err
		}
		ct = resp.Header.Get("Content-Type")
		resp.Body = io.NopCloser(strings.NewReader("")) // read here; answer sees only the status
		return resp, nil
	})
	return ct, content, err
}

// LicenseFile is the certificate (GET /v1/applications/{id}/license/certificate,
// a PDF) or the signed JSON (.../license/signed) of an application's license.
func (l *Licensing) LicenseFile(ctx context.Context, token, id string, form app.LicenseForm) (string, []byte, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return "", nil, notFound(id)
	}
	get := l.api.GetLicenseCertificate
	if form == app.SignedLicense {
		get = l.api.GetSignedLicense
	}
	return l.file(ctx, token, func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
		return get(ctx, uid, e)
	})
}

// Move is POST /v1/applications/{id}/{action} with If-Match the version the
// person saw, carrying in's reason (reject), note (resubmit) or documents
// with their comments (request-revision).
func (l *Licensing) Move(ctx context.Context, token, id, action string, version int, in app.MoveInput) (domain.ApplicationDetail, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return domain.ApplicationDetail{}, notFound(id)
	}
	m := ifMatch(version)
	moves := map[string]func(context.Context, licensingapi.RequestEditorFn) (*http.Response, error){
		app.MoveSubmit: func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
			return l.api.SubmitApplication(ctx, uid, &licensingapi.SubmitApplicationParams{IfMatch: m}, e)
		},
		app.MoveResubmit: func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
			body := licensingapi.ResubmitInput{}
			if in.Note != "" {
				body.Note = &in.Note
			}
			return l.api.ResubmitApplication(ctx, uid, &licensingapi.ResubmitApplicationParams{IfMatch: m}, body, e)
		},
		app.MoveWithdraw: func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
			return l.api.WithdrawApplication(ctx, uid, &licensingapi.WithdrawApplicationParams{IfMatch: m}, e)
		},
		app.MoveStartReview: func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
			return l.api.StartReview(ctx, uid, &licensingapi.StartReviewParams{IfMatch: m}, e)
		},
		app.MoveApprove: func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
			return l.api.ApproveApplication(ctx, uid, &licensingapi.ApproveApplicationParams{IfMatch: m}, e)
		},
		app.MoveReject: func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
			return l.api.RejectApplication(ctx, uid, &licensingapi.RejectApplicationParams{IfMatch: m}, licensingapi.ReasonInput{Reason: in.Reason}, e)
		},
		app.MoveRequestRevision: func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
			docs := make([]licensingapi.Revision, len(in.Revisions))
			for i, r := range in.Revisions {
				docs[i] = licensingapi.Revision{Requirement: r.Requirement, Note: &r.Note}
			}
			return l.api.RequestRevision(ctx, uid, &licensingapi.RequestRevisionParams{IfMatch: m}, licensingapi.RevisionInput{Documents: &docs}, e)
		},
	}
	do, ok := moves[action]
	if !ok {
		return domain.ApplicationDetail{}, fmt.Errorf("licensing: no move %q", action)
	}
	var a licensingapi.Application
	if err := l.call(ctx, token, http.StatusOK, &a, do); err != nil {
		return domain.ApplicationDetail{}, err
	}
	return applicationOf(a), nil
}

// ApplicationLicense is GET /v1/applications/{id}/license.
func (l *Licensing) ApplicationLicense(ctx context.Context, token, id string) (domain.IssuedLicense, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return domain.IssuedLicense{}, notFound(id)
	}
	var x licensingapi.License
	if err := l.call(ctx, token, http.StatusOK, &x, func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
		return l.api.GetApplicationLicense(ctx, uid, e)
	}); err != nil {
		return domain.IssuedLicense{}, err
	}
	return issuedLicenseOf(x), nil
}

// ChangeLicense is POST /v1/licenses/{id}/{action} with a reason.
func (l *Licensing) ChangeLicense(ctx context.Context, token, id, action, reason string) (domain.IssuedLicense, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return domain.IssuedLicense{}, notFound(id)
	}
	var x licensingapi.License
	if err := l.call(ctx, token, http.StatusOK, &x, func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
		return l.api.ChangeLicenseStatus(ctx, uid, licensingapi.ChangeLicenseStatusParamsAction(action), licensingapi.ReasonInput{Reason: reason}, e)
	}); err != nil {
		return domain.IssuedLicense{}, err
	}
	return issuedLicenseOf(x), nil
}
