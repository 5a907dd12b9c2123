package services

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/services/portal/internal/adapters/services/licensingapi"
	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/internal/domain"
)

// Licensing calls the licensing service through the client generated from
// api/licensing.yaml (licensingapi), as the signed-in person: each call
// carries that person's token, and licensing decides what they may see.
type Licensing struct {
	c   client
	api *licensingapi.Client
}

var _ app.Licensing = (*Licensing)(nil)

// pageSize is how many records the portal asks for at once (the API's most).
const pageSize = 100

// NewLicensing returns a client of the licensing service at baseURL whose
// calls last at most timeout.
func NewLicensing(baseURL string, timeout time.Duration) *Licensing {
	c := newClient("licensing", "perizinan", baseURL, timeout)
	api, err := licensingapi.NewClient(c.base, licensingapi.WithHTTPClient(c.http))
	if err != nil {
		panic(fmt.Sprintf("licensing client for %q: %v", baseURL, err)) // only a malformed base URL, checked at start
	}
	return &Licensing{c: c, api: api}
}

// call runs one request of the generated client as the person with token,
// bounded by the timeout, and decodes a want answer into out; any other
// answer is an apperr error (see answer).
func (l *Licensing) call(ctx context.Context, token string, want int, out any, do func(context.Context, licensingapi.RequestEditorFn) (*http.Response, error)) error {
	ctx, cancel := context.WithTimeout(ctx, l.c.timeout)
	defer cancel()
	resp, err := do(ctx, licensingapi.RequestEditorFn(asPerson(token)))
	if err != nil {
		return l.c.unavailable(err)
	}
	return l.c.answer(resp, want, out)
}

// answer reads resp: the want status decodes into out; an RFC 9457 problem
// becomes the apperr error of its status, with its fields; a 5xx or an
// answer that is not what the contract says is an outage.
func (c client) answer(resp *http.Response, want int, out any) error {
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return c.unavailable(fmt.Errorf("read %s: %w", resp.Request.URL.Path, err))
	}
	if resp.StatusCode == want {
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(body, out); err != nil {
			return c.unavailable(fmt.Errorf("%s: decode: %w", resp.Request.URL.Path, err))
		}
		return nil
	}
	code, ok := problemCodes[resp.StatusCode]
	if !ok {
		return c.unavailable(fmt.Errorf("%s: status %d: %.200s", resp.Request.URL.Path, resp.StatusCode, body))
	}
	var p licensingapi.Problem
	_ = json.Unmarshal(body, &p) // a problem without a body is still its status
	e := &apperr.Error{Code: code, Message: p.Title, Err: fmt.Errorf("%s: %d", resp.Request.URL.Path, resp.StatusCode)}
	if p.Detail != nil {
		e.Message = *p.Detail
	}
	if p.Errors != nil {
		for _, f := range *p.Errors {
			e.Fields = append(e.Fields, apperr.FieldError{Field: f.Field, Message: f.Message})
		}
	}
	return e
}

// problemCodes are the statuses a service answers a person's request with,
// as the portal's error codes (pkg/httpx's table, read backwards).
var problemCodes = map[int]apperr.Code{
	http.StatusBadRequest:            apperr.Invalid,
	http.StatusUnauthorized:          apperr.Unauthenticated,
	http.StatusForbidden:             apperr.Forbidden,
	http.StatusNotFound:              apperr.NotFound,
	http.StatusConflict:              apperr.Conflict,
	http.StatusPreconditionFailed:    apperr.PreconditionFailed,
	http.StatusRequestEntityTooLarge: apperr.TooLarge,
	http.StatusUnsupportedMediaType:  apperr.Unsupported,
	http.StatusUnprocessableEntity:   apperr.Unprocessable,
	http.StatusTooManyRequests:       apperr.TooManyRequests,
}

// VerifyLicense is GET /v1/public/licenses/{number}.
func (l *Licensing) VerifyLicense(ctx context.Context, number string) (domain.LicenseVerification, error) {
	var v licensingapi.LicenseVerification
	err := l.call(ctx, "", http.StatusOK, &v, func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
		return l.api.VerifyLicense(ctx, number, e)
	})
	if apperr.Is(err, apperr.NotFound) || apperr.Is(err, apperr.Invalid) {
		return domain.LicenseVerification{}, apperr.New(apperr.NotFound, app.LicenseNotFound)
	}
	if err != nil {
		return domain.LicenseVerification{}, err
	}
	return domain.LicenseVerification{
		Genuine: v.Genuine, Number: v.Number, HolderName: v.HolderName, NIB: v.Nib, KBLI: v.Kbli,
		LicenseName: v.LicenseName, Status: domain.LicenseStatus(v.Status), ValidFrom: v.ValidFrom, ValidUntil: v.ValidUntil,
	}, nil
}

func businessOf(b licensingapi.Business) domain.Business {
	return domain.Business{
		ID: b.ID.String(), NIB: b.Nib, Name: b.Name, NPWP: b.Npwp, Address: b.Address,
		Scale: string(b.Scale), KBLI: b.Kbli, Version: int(b.Version),
	}
}

// MyBusinesses is GET /v1/businesses (the first hundred).
func (l *Licensing) MyBusinesses(ctx context.Context, token string) ([]domain.Business, error) {
	var page licensingapi.BusinessPage
	limit := int32(pageSize)
	if err := l.call(ctx, token, http.StatusOK, &page, func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
		return l.api.ListMyBusinesses(ctx, &licensingapi.ListMyBusinessesParams{Limit: &limit}, e)
	}); err != nil {
		return nil, err
	}
	out := make([]domain.Business, len(page.Items))
	for i, b := range page.Items {
		out[i] = businessOf(b)
	}
	return out, nil
}

// notFound is the error of an id that is no UUID: no business has it.
func notFound(id string) error {
	return &apperr.Error{Code: apperr.NotFound, Message: "not found", Err: fmt.Errorf("%q is no UUID", id)}
}

// Business is GET /v1/businesses/{id}.
func (l *Licensing) Business(ctx context.Context, token, id string) (domain.Business, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return domain.Business{}, notFound(id)
	}
	var b licensingapi.Business
	if err := l.call(ctx, token, http.StatusOK, &b, func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
		return l.api.GetBusiness(ctx, uid, e)
	}); err != nil {
		return domain.Business{}, err
	}
	return businessOf(b), nil
}

// RegisterBusiness is POST /v1/businesses with an Idempotency-Key.
func (l *Licensing) RegisterBusiness(ctx context.Context, token, key string, in domain.BusinessInput) (domain.Business, error) {
	var b licensingapi.Business
	body := licensingapi.BusinessInput{Name: in.Name, Npwp: in.NPWP, Address: in.Address, Scale: licensingapi.Scale(in.Scale), Kbli: in.KBLI}
	if body.Kbli == nil {
		body.Kbli = []string{}
	}
	if err := l.call(ctx, token, http.StatusCreated, &b, func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
		return l.api.RegisterBusiness(ctx, &licensingapi.RegisterBusinessParams{IdempotencyKey: &key}, body, e)
	}); err != nil {
		return domain.Business{}, err
	}
	return businessOf(b), nil
}

// UpdateBusiness is PATCH /v1/businesses/{id} with If-Match the version
// the person saw.
func (l *Licensing) UpdateBusiness(ctx context.Context, token, id string, version int, in domain.BusinessInput) (domain.Business, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return domain.Business{}, notFound(id)
	}
	scale := licensingapi.Scale(in.Scale)
	kbli := in.KBLI
	if kbli == nil {
		kbli = []string{}
	}
	body := licensingapi.BusinessPatch{Name: &in.Name, Address: &in.Address, Scale: &scale, Kbli: &kbli}
	match := strconv.Quote(strconv.Itoa(version))
	var b licensingapi.Business
	if err := l.call(ctx, token, http.StatusOK, &b, func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
		return l.api.UpdateBusiness(ctx, uid, &licensingapi.UpdateBusinessParams{IfMatch: &match}, body, e)
	}); err != nil {
		return domain.Business{}, err
	}
	return businessOf(b), nil
}

// KBLIRules is GET /v1/catalog/kbli.
func (l *Licensing) KBLIRules(ctx context.Context) ([]domain.KBLIRule, error) {
	var list licensingapi.KbliRuleList
	if err := l.call(ctx, "", http.StatusOK, &list, func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
		return l.api.ListKbliRules(ctx, e)
	}); err != nil {
		return nil, err
	}
	out := make([]domain.KBLIRule, len(list.Items))
	for i, r := range list.Items {
		out[i] = domain.KBLIRule{Code: r.Kbli, Title: r.Title, Sector: r.Sector, SizeMetric: r.SizeMetric}
	}
	return out, nil
}

// Requirements is GET /v1/catalog/requirements.
func (l *Licensing) Requirements(ctx context.Context, kbli, scale string, size int64) (domain.Requirements, error) {
	var r licensingapi.Requirements
	if err := l.call(ctx, "", http.StatusOK, &r, func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
		return l.api.GetRequirements(ctx, &licensingapi.GetRequirementsParams{Kbli: kbli, Scale: licensingapi.Scale(scale), Size: &size}, e)
	}); err != nil {
		return domain.Requirements{}, err
	}
	t := r.LicenseType
	docs := make([]domain.RequiredDocument, len(t.Requirements))
	for i, d := range t.Requirements {
		docs[i] = domain.RequiredDocument{Code: d.Code, Name: d.Name, MaxBytes: d.MaxBytes, ContentType: string(d.ContentType)}
	}
	return domain.Requirements{
		KBLI: r.Kbli, Title: r.Title, Sector: r.Sector, Scale: string(r.Scale), Size: r.Size, SizeMetric: r.SizeMetric,
		Risk: string(r.Risk), NeedsReview: r.NeedsReview,
		LicenseType: domain.LicenseType{
			Code: t.Code, Name: t.Name, Risk: string(t.Risk), Fee: domain.Money{Amount: t.Fee.Amount, Currency: string(t.Fee.Currency)},
			SLADays: int(t.SLADays), ValidityMonths: int(t.ValidityMonths), Documents: docs,
		},
	}, nil
}

func applicationsOf(items []licensingapi.Application) []domain.Application {
	out := make([]domain.Application, len(items))
	for i, a := range items {
		out[i] = domain.Application{
			ID: a.ID.String(), BusinessID: a.BusinessID.String(), KBLI: a.Kbli, State: string(a.State),
			TurnDueAt: a.TurnDueAt, UpdatedAt: a.UpdatedAt,
		}
		if a.Terms != nil {
			out[i].LicenseName = a.Terms.LicenseName
		}
		if a.WhoseTurn != nil {
			out[i].WhoseTurn = string(*a.WhoseTurn)
		}
	}
	return out
}

// applications is the first page of a list of applications.
func (l *Licensing) applications(ctx context.Context, token string, list func(context.Context, *int32, licensingapi.RequestEditorFn) (*http.Response, error)) ([]domain.Application, error) {
	var page licensingapi.ApplicationPage
	limit := int32(pageSize)
	if err := l.call(ctx, token, http.StatusOK, &page, func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
		return list(ctx, &limit, e)
	}); err != nil {
		return nil, err
	}
	return applicationsOf(page.Items), nil
}

// MyApplications is GET /v1/applications (the first hundred).
func (l *Licensing) MyApplications(ctx context.Context, token string) ([]domain.Application, error) {
	return l.applications(ctx, token, func(ctx context.Context, limit *int32, e licensingapi.RequestEditorFn) (*http.Response, error) {
		return l.api.ListMyApplications(ctx, &licensingapi.ListMyApplicationsParams{Limit: limit}, e)
	})
}

// MyLicenses is GET /v1/licenses (the first hundred).
func (l *Licensing) MyLicenses(ctx context.Context, token string) ([]domain.IssuedLicense, error) {
	var page licensingapi.LicensePage
	limit := int32(pageSize)
	if err := l.call(ctx, token, http.StatusOK, &page, func(ctx context.Context, e licensingapi.RequestEditorFn) (*http.Response, error) {
		return l.api.ListMyLicenses(ctx, &licensingapi.ListMyLicensesParams{Limit: &limit}, e)
	}); err != nil {
		return nil, err
	}
	out := make([]domain.IssuedLicense, len(page.Items))
	for i, x := range page.Items {
		out[i] = issuedLicenseOf(x)
	}
	return out, nil
}
