package http

import (
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/internal/domain"
)

// The business's licenses: "my licenses" with status and expiry, and each
// license's page, keyed by the application it was issued on (licensing
// hands out a license's certificate and signed JSON by that id), with the
// downloads and, near its end, the renewal.

// heldLicense is a license as its holder's pages show it at Now.
type heldLicense struct {
	domain.IssuedLicense
	Now time.Time
}

// Shown is the status to show (an active license past its end is expired).
func (l heldLicense) Shown() string { return string(l.StatusAt(l.Now)) }

// Tone is the colour of the status's badge.
func (l heldLicense) Tone() string { return toneOf("license.status", l.Shown()) }

// Box is the class of the box that says what the status means.
func (l heldLicense) Box() string { return boxes[l.Tone()] }

// CanRenew is whether the holder may apply to renew it now.
func (l heldLicense) CanRenew() bool { return l.Renewable(l.Now) }

// RenewalLeadDays is how many days before its end a license can be renewed.
func (heldLicense) RenewalLeadDays() int { return int(domain.RenewalLead / (24 * time.Hour)) }

// Withdrawn is whether an officer took the license away (suspended or revoked).
func (l heldLicense) Withdrawn() bool {
	s := domain.LicenseStatus(l.Shown())
	return s == domain.LicenseSuspended || s == domain.LicenseRevoked
}

type licensesPage struct {
	Items []heldLicense
}

// Licenses is GET /licenses: the business's licenses, with status and expiry.
func (w *Web) Licenses(c *fiber.Ctx) error {
	u, err := w.signedInAs(c, auth.RoleBusiness)
	if err != nil {
		return err
	}
	ls, err := w.licenses.MyLicenses(c.UserContext(), u.token)
	if err != nil {
		return err
	}
	now := w.clock.Now()
	p := licensesPage{Items: make([]heldLicense, len(ls))}
	for i, l := range ls {
		p.Items[i] = heldLicense{IssuedLicense: l, Now: now}
	}
	return w.page(c, fiber.StatusOK, "licenses.html", p, "licenses.title")
}

type licensePage struct {
	License heldLicense
	Renewal *domain.ApplicationDetail // an application renewing it, the newest
	Form    form
	Key     string // the Idempotency-Key of the renewal form: sent twice, one application
}

// RenewalOpen is whether the renewal is still on its way (not yet decided).
func (p licensePage) RenewalOpen() bool { return p.Renewal != nil && p.Renewal.Open() }

// License is GET /applications/:id/license: the license issued on
// application :id, its downloads and its renewal.
func (w *Web) License(c *fiber.Ctx) error {
	p, _, err := w.licensePageOf(c)
	if err != nil {
		return err
	}
	return w.page(c, fiber.StatusOK, "license.html", p, "licenses.license_title", p.License.Number)
}

// licensePageOf reads the license of the path's application, and the
// newest application renewing it, as the signed-in business.
func (w *Web) licensePageOf(c *fiber.Ctx) (licensePage, *signedIn, error) {
	u, err := w.signedInAs(c, auth.RoleBusiness)
	if err != nil {
		return licensePage{}, nil, err
	}
	ctx := c.UserContext()
	l, err := w.desk.ApplicationLicense(ctx, u.token, param(c, "id"))
	if err != nil {
		return licensePage{}, nil, err
	}
	p := licensePage{License: heldLicense{IssuedLicense: l, Now: w.clock.Now()}, Form: form{Values: url.Values{}}, Key: uuid.NewString()}
	apps, err := w.desk.ApplicationPage(ctx, u.token, 100, "")
	if err != nil {
		return licensePage{}, nil, err
	}
	for _, a := range apps.Items {
		if a.RenewalOf == l.ID && a.State != domain.AppWithdrawn && a.State != domain.AppRejected {
			a := a
			p.Renewal = &a // oldest first: the last one is the newest
		}
	}
	return p, u, nil
}

// licenseFiles are the downloads of a license: the form, its content type
// and the file's name after the license number.
var licenseFiles = map[string]struct {
	form        app.LicenseForm
	contentType string
	ext         string
}{
	"certificate.pdf": {app.Certificate, "application/pdf", ".pdf"},
	"signed.json":     {app.SignedLicense, fiber.MIMEApplicationJSON, ".json"},
}

// LicenseFile is GET /applications/:id/license/:file (certificate.pdf,
// signed.json): fetched from licensing as the holder and handed over as
// a download named after the license number.
func (w *Web) LicenseFile(c *fiber.Ctx) error {
	u, err := w.signedInAs(c, auth.RoleBusiness)
	if err != nil {
		return err
	}
	f, ok := licenseFiles[c.Params("file")]
	if !ok {
		return apperr.New(apperr.NotFound, "no such download")
	}
	id := param(c, "id")
	l, err := w.desk.ApplicationLicense(c.UserContext(), u.token, id)
	if err != nil {
		return err
	}
	_, body, err := w.desk.LicenseFile(c.UserContext(), u.token, id, f.form)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, f.contentType)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+l.Number+f.ext+`"`)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	return c.Send(body)
}

// RenewLicense is POST /applications/:id/license/renew: a renewal is a new
// application for the same business and activity naming the license
// (licensing links it); the person goes on to its task list. Refused
// (not yet near its end, suspended, licensing says no), the license page
// says why.
func (w *Web) RenewLicense(c *fiber.Ctx) error {
	p, u, err := w.licensePageOf(c)
	if err != nil {
		return err
	}
	p.Form = formOf(c)
	if k := p.Form.Get("key"); uuid.Validate(k) == nil {
		p.Key = k
	}
	if p.RenewalOpen() { // pressed again (back, reload): the renewal already on its way
		return c.Redirect("/applications/"+p.Renewal.ID, fiber.StatusSeeOther)
	}
	tr := w.tr(c)
	status := fiber.StatusConflict
	if !p.License.CanRenew() {
		p.Form.Errors = append(p.Form.Errors, fieldError{"", tr.T("licenses.error.not_renewable")})
	} else {
		ctx := c.UserContext()
		var a domain.ApplicationDetail
		if a, err = w.desk.Application(ctx, u.token, p.License.ApplicationID); err == nil {
			a, err = w.desk.CreateApplication(ctx, u.token, p.Key, p.License.BusinessID, p.License.KBLI, a.Size, p.License.ID)
		}
		if err == nil {
			return c.Redirect("/applications/"+a.ID, fiber.StatusSeeOther)
		}
		if apperr.Is(err, apperr.Invalid) { // licensing's word on renewal_of: not this license, business or activity
			p.Form.Errors = append(p.Form.Errors, fieldError{"", tr.T("licenses.error.renewal_of")})
		} else if !w.refuse(c, &p.Form, "licenses", nil, err) {
			return err
		}
		status = statusOf(err)
	}
	return w.page(c, status, "license.html", p, "licenses.license_title", p.License.Number)
}
