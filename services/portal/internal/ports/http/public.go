package http

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"gerbang/pkg/apperr"
	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/internal/domain"
)

// The public pages (no login): license verification, which the QR code on
// every certificate opens, and tender announcements. They read the
// services' public APIs; when a service is down they say so with a 502 (504
// when it is too slow), never a 500 and never "not found".

// tendersPerPage is how many tenders the list shows at once.
const tendersPerPage = 20

type verifyPage struct {
	Number   string // as typed, normalised
	NotFound bool
	Failure  *failure
	License  *licenseView
}

type licenseView struct {
	V      domain.LicenseVerification
	Status string // the status shown (domain.LicenseVerification.StatusAt)
}

// Genuine is whether licensing vouches for the license.
func (l licenseView) Genuine() bool { return l.V.Genuine }

// Tone is the colour of the status's badge.
func (l licenseView) Tone() string { return toneOf("license.status", l.Status) }

// Box is the class of the box that says what the status means.
func (l licenseView) Box() string { return boxes[l.Tone()] }

// VerifyForm is GET /verify: the form, or with ?number= (the form sent) a
// redirect to the number's own page, the one QR codes open.
func (w *Web) VerifyForm(c *fiber.Ctx) error {
	if n := strings.TrimSpace(c.Query("number")); n != "" {
		norm, _ := domain.NormalizeLicenseNumber(n)
		return c.Redirect("/verify/"+url.PathEscape(norm), fiber.StatusSeeOther)
	}
	return w.page(c, fiber.StatusOK, "verify.html", verifyPage{}, "verify.title")
}

// Verify is GET /verify/:number: whether the license is genuine and its live
// status; 404 for a number no license has.
func (w *Web) Verify(c *fiber.Ctx) error {
	raw, err := url.PathUnescape(c.Params("number"))
	if err != nil {
		raw = c.Params("number")
	}
	number, _ := domain.NormalizeLicenseNumber(raw)
	number = strings.Clone(number)
	p := verifyPage{Number: number}
	v, err := app.VerifyLicense(c.UserContext(), w.licenses, number)
	switch {
	case apperr.Is(err, apperr.NotFound):
		p.NotFound = true
		return w.page(c, fiber.StatusNotFound, "verify.html", p, "verify.title_number", number)
	case err != nil:
		if p.Failure, err = w.failureOf(c, err, "verify.not_found"); err != nil {
			return err
		}
		return w.page(c, p.Failure.Status, "verify.html", p, "verify.title_number", number)
	}
	p.License = &licenseView{V: v, Status: string(v.StatusAt(w.clock.Now()))}
	return w.page(c, fiber.StatusOK, "verify.html", p, "verify.title_number", number)
}

type tendersPage struct {
	Tenders []domain.Tender
	Next    string // cursor of the next page
	Paged   bool   // not the first page
	Failure *failure
}

// Tenders is GET /tenders: published tenders, newest first, a page at a
// time (?cursor= from the previous page).
func (w *Web) Tenders(c *fiber.Ctx) error {
	cursor := strings.Clone(c.Query("cursor"))
	p := tendersPage{Paged: cursor != ""}
	page, err := w.tenders.PublicTenders(c.UserContext(), tendersPerPage, cursor)
	if err != nil {
		if p.Failure, err = w.failureOf(c, err, "tenders.not_found"); err != nil {
			return err
		}
		return w.page(c, p.Failure.Status, "tenders.html", p, "tenders.title")
	}
	p.Tenders, p.Next = page.Items, page.NextCursor
	return w.page(c, fiber.StatusOK, "tenders.html", p, "tenders.title")
}

type tenderPage struct {
	Detail  *app.TenderDetail
	Failure *failure
}
