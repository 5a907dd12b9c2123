package http

import (
	"errors"
	"html/template"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
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
	Form    form   // the search, as typed
	Query   string // the search as a query string, for the next page's link
	Next    string // cursor of the next page
	Paged   bool   // not the first page
	Failure *failure
	// Vendor is whether a business is signed in; Licensed holds the KBLIs
	// it holds an active license for: each tender says whether it may bid.
	Vendor   bool
	Licensed map[string]bool
}

// NextHref is the next page's address, with the same search.
func (p tendersPage) NextHref() template.URL {
	v, _ := url.ParseQuery(p.Query)
	v.Set("cursor", p.Next)
	return template.URL("/tenders?" + v.Encode())
}

// FirstHref is the first page's address, with the same search.
func (p tendersPage) FirstHref() template.URL {
	if p.Query == "" {
		return "/tenders"
	}
	return template.URL("/tenders?" + p.Query)
}

// Filtered is whether the reader narrowed the list by more than words:
// the other filters are shown open.
func (p tendersPage) Filtered() bool {
	for _, k := range tenderSearchFields[1:] {
		if p.Form.Get(k) != "" {
			return true
		}
	}
	return false
}

// Searched is whether the reader narrowed the list.
func (p tendersPage) Searched() bool { return p.Query != "" }

// searchRefused is whether tender refused the search itself (a field of
// the form at fault), not the page or the cursor.
func searchRefused(err error) bool {
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.Invalid {
		return false
	}
	return slices.ContainsFunc(ae.Fields, func(f apperr.FieldError) bool { return slices.Contains(tenderSearchFields, formField(f.Field)) })
}

// tenderSearchFields are the search form's fields, in the order shown.
var tenderSearchFields = []string{"q", "kbli", "buyer", "category", "state", "from", "to"}

// Tenders is GET /tenders: published tenders, newest first, a page at a
// time (?cursor= from the previous page), narrowed by the search form
// (words, KBLI, buyer, category, state, deadline from and to, dates in
// WIB); for a signed-in business, whether it may bid on each.
func (w *Web) Tenders(c *fiber.Ctx) error {
	cursor := strings.Clone(c.Query("cursor"))
	p := tendersPage{Paged: cursor != "", Form: form{Values: url.Values{}}}
	for _, k := range tenderSearchFields {
		if v := strings.TrimSpace(c.Query(k)); v != "" {
			p.Form.Values.Set(k, strings.Clone(v))
		}
	}
	p.Query = p.Form.Values.Encode()
	search := domain.TenderSearch{Words: p.Form.Get("q"), KBLI: p.Form.Get("kbli"), Buyer: p.Form.Get("buyer"),
		Category: p.Form.Get("category"), State: p.Form.Get("state")}
	tr := w.tr(c)
	for _, d := range []struct {
		field string
		to    **time.Time
		next  bool // the day after: "to" includes its whole day
	}{{"from", &search.DeadlineFrom, false}, {"to", &search.DeadlineTo, true}} {
		v := p.Form.Get(d.field)
		if v == "" {
			continue
		}
		day, err := time.ParseInLocation("2006-01-02", v, WIB) // as <input type=date> sends it
		if err != nil {
			day, err = time.ParseInLocation("02-01-2006", v, WIB) // as people write it
		}
		if err != nil {
			p.Form.Errors = append(p.Form.Errors, fieldError{d.field, tr.T("tenders.error.date")})
			continue
		}
		if d.next {
			day = day.AddDate(0, 0, 1)
		}
		*d.to = &day
	}
	if search.DeadlineFrom != nil && search.DeadlineTo != nil && !search.DeadlineTo.After(*search.DeadlineFrom) {
		p.Form.Errors = append(p.Form.Errors, fieldError{"to", tr.T("tenders.error.to")})
	}
	status := fiber.StatusOK
	if !p.Form.Failed() {
		page, err := w.tenders.PublicTenders(c.UserContext(), search, tendersPerPage, cursor)
		switch {
		case err == nil:
			p.Tenders, p.Next = page.Items, page.NextCursor
		case searchRefused(err) && w.refuse(c, &p.Form, "tenders", tenderSearchFields, err):
			status = statusOf(err)
		default: // a bad cursor, or tender down or slow: a page saying so
			if p.Failure, err = w.failureOf(c, err, "tenders.not_found"); err != nil {
				return err
			}
			return w.page(c, p.Failure.Status, "tenders.html", p, "tenders.title")
		}
	} else {
		status = fiber.StatusBadRequest
	}
	if u := w.session(c); u != nil && u.Has(auth.RoleBusiness) && len(p.Tenders) > 0 {
		ls, err := w.licenses.MyLicenses(c.UserContext(), u.token)
		if err != nil {
			return err
		}
		p.Vendor, p.Licensed = true, map[string]bool{}
		now := w.clock.Now()
		for _, l := range ls {
			if l.StatusAt(now) == domain.LicenseActive {
				p.Licensed[l.KBLI] = true
			}
		}
	}
	return w.page(c, status, "tenders.html", p, "tenders.title")
}

type tenderPage struct {
	Detail  *app.TenderDetail
	Failure *failure
}
