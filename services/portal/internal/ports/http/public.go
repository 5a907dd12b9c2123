package http

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"gerbang/pkg/apperr"
	"gerbang/pkg/httpx"
	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/internal/domain"
)

// The public pages (no login): license verification, which the QR code on
// every certificate opens, and tender announcements. They read the
// services' public APIs; when a service is down they say so with a 502 (504
// when it is too slow), never a 500 and never "not found".

// tendersPerPage is how many tenders the list shows at once.
const tendersPerPage = 20

// failure is what a public page shows instead of its content.
type failure struct {
	Status  int
	Message string
}

type verifyPage struct {
	layout
	Number   string // as typed, normalised
	NotFound bool
	Failure  *failure
	License  *licenseView
}

type licenseView struct {
	V     domain.LicenseVerification
	Label licenseLabel // of the status shown (domain.LicenseVerification.StatusAt)
}

// Genuine is whether licensing vouches for the license.
func (l licenseView) Genuine() bool { return l.V.Genuine }

const verifyTitle = "Verifikasi izin / License verification — Gerbang"

// VerifyForm is GET /verify: the form, or with ?number= (the form sent) a
// redirect to the number's own page, the one QR codes open.
func (w *Web) VerifyForm(c *fiber.Ctx) error {
	if n := strings.TrimSpace(c.Query("number")); n != "" {
		norm, _ := domain.NormalizeLicenseNumber(n)
		return c.Redirect("/verify/"+url.PathEscape(norm), fiber.StatusSeeOther)
	}
	return w.send(c, fiber.StatusOK, "verify.html", verifyPage{layout: w.layoutOf(verifyTitle)})
}

// Verify is GET /verify/:number: whether the license is genuine and its live
// status; 404 for a number no license has.
func (w *Web) Verify(c *fiber.Ctx) error {
	raw, err := url.PathUnescape(c.Params("number"))
	if err != nil {
		raw = c.Params("number")
	}
	number, _ := domain.NormalizeLicenseNumber(raw)
	p := verifyPage{layout: w.layoutOf(number + " — " + verifyTitle), Number: strings.Clone(number)}
	v, err := app.VerifyLicense(c.UserContext(), w.licenses, number)
	switch {
	case apperr.Is(err, apperr.NotFound):
		p.NotFound = true
		return w.send(c, fiber.StatusNotFound, "verify.html", p)
	case err != nil:
		if p.Failure, err = w.failureOf(c, err); err != nil {
			return err
		}
		return w.send(c, p.Failure.Status, "verify.html", p)
	}
	p.License = &licenseView{V: v, Label: licenseLabelOf(v.StatusAt(w.clock.Now()))}
	return w.send(c, fiber.StatusOK, "verify.html", p)
}

type tendersPage struct {
	layout
	Tenders []domain.Tender
	Next    string // cursor of the next page
	Paged   bool   // not the first page
	Failure *failure
}

// Tenders is GET /tenders: published tenders, newest first, a page at a
// time (?cursor= from the previous page).
func (w *Web) Tenders(c *fiber.Ctx) error {
	cursor := strings.Clone(c.Query("cursor"))
	p := tendersPage{layout: w.layoutOf("Tender — Gerbang"), Paged: cursor != ""}
	page, err := w.tenders.PublicTenders(c.UserContext(), tendersPerPage, cursor)
	if err != nil {
		if p.Failure, err = w.failureOf(c, err); err != nil {
			return err
		}
		return w.send(c, p.Failure.Status, "tenders.html", p)
	}
	p.Tenders, p.Next = page.Items, page.NextCursor
	return w.send(c, fiber.StatusOK, "tenders.html", p)
}

type tenderPage struct {
	layout
	Detail  *app.TenderDetail
	Failure *failure
}

// Tender is GET /tenders/:id: the announcement, the opening record once the
// bids are opened, and links to its OCDS data.
func (w *Web) Tender(c *fiber.Ctx) error {
	d, err := app.GetTenderDetail(c.UserContext(), w.tenders, strings.Clone(c.Params("id")))
	if err != nil {
		p := tenderPage{layout: w.layoutOf("Tender — Gerbang")}
		if p.Failure, err = w.failureOf(c, err); err != nil {
			return err
		}
		return w.send(c, p.Failure.Status, "tender.html", p)
	}
	return w.send(c, fiber.StatusOK, "tender.html", tenderPage{layout: w.layoutOf(d.Tender.Title + " — Gerbang"), Detail: &d})
}

// failureOf says what a public page answers for err: 404 and 400 as the
// service said them, 502 for a service down or failing, 504 for one too
// slow. Any other error is returned, for the platform to answer.
func (w *Web) failureOf(c *fiber.Ctx, err error) (*failure, error) {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return nil, err
	}
	switch ae.Code {
	case apperr.NotFound:
		return &failure{fiber.StatusNotFound, ae.Message}, nil
	case apperr.Invalid:
		return &failure{fiber.StatusBadRequest, ae.Message}, nil
	case apperr.Unavailable:
		w.log.WarnContext(c.UserContext(), "public page: service unavailable", "path", c.Path(), "request_id", httpx.RequestID(c), "error", err.Error())
		if errors.Is(err, context.DeadlineExceeded) {
			return &failure{fiber.StatusGatewayTimeout, ae.Message}, nil
		}
		return &failure{fiber.StatusBadGateway, ae.Message}, nil
	}
	return nil, err
}
