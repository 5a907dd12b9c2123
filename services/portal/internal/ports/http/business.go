package http

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/services/portal/internal/domain"
)

// The business's profile: register a business and see its NIB at once;
// read and change the profile. Every call goes to licensing as the person
// signed in, and licensing's answer about a field comes back beside that
// field (failures.go).

// businessFields are the fields of the business form, in its order.
var businessFields = []string{"name", "npwp", "address", "scale", "kbli"}

type businessesPage struct {
	Businesses []domain.Business
	Failure    *failure
}

type businessFormPage struct {
	Form     form
	Business *domain.Business // nil when registering
}

// businessNotices say what just happened to the business (?done=).
var businessNotices = map[string]string{"registered": "business.done_registered", "updated": "business.done_updated"}

type businessPage struct {
	Business domain.Business
	Notice   string // catalogue key of what just happened (registered, updated)
}

// signedInAs is the person signed in holding role, or an error page's error.
func (w *Web) signedInAs(c *fiber.Ctx, role string) (*signedIn, error) {
	u := w.session(c)
	if u == nil {
		return nil, apperr.New(apperr.Unauthenticated, "sign in first")
	}
	if !u.Has(role) {
		return nil, apperr.New(apperr.Forbidden, "this page is for another role")
	}
	return u, nil
}

// Businesses is GET /businesses: the person's businesses by name and NIB.
func (w *Web) Businesses(c *fiber.Ctx) error {
	u, err := w.signedInAs(c, auth.RoleBusiness)
	if err != nil {
		return err
	}
	var p businessesPage
	p.Businesses, err = w.licenses.MyBusinesses(c.UserContext(), u.token)
	if err != nil {
		if p.Failure, err = w.failureOf(c, err, "error.not_found"); err != nil {
			return err
		}
		return w.page(c, p.Failure.Status, "businesses.html", p, "business.list_title")
	}
	return w.page(c, fiber.StatusOK, "businesses.html", p, "business.list_title")
}

// NewBusiness is GET /businesses/new: the registration form. It carries an
// idempotency key, so that sending it twice (a double click, the back
// button) registers one business.
func (w *Web) NewBusiness(c *fiber.Ctx) error {
	if _, err := w.signedInAs(c, auth.RoleBusiness); err != nil {
		return err
	}
	key, err := randomToken()
	if err != nil {
		return err
	}
	f := form{Values: url.Values{"idempotency_key": {key}}}
	if k := c.Query("kbli"); kbliCode.MatchString(k) {
		f.Values.Set("kbli", k) // from the finder
	}
	return w.page(c, fiber.StatusOK, "business_form.html", businessFormPage{Form: f}, "business.new_title")
}

// RegisterBusiness is POST /businesses: on success, the business's page
// with its NIB; refused, the form again with what licensing said.
func (w *Web) RegisterBusiness(c *fiber.Ctx) error {
	u, err := w.signedInAs(c, auth.RoleBusiness)
	if err != nil {
		return err
	}
	f := formOf(c)
	key := f.Get("idempotency_key")
	if key == "" {
		if key, err = randomToken(); err != nil {
			return err
		}
		f.Values.Set("idempotency_key", key)
	}
	b, err := w.licenses.RegisterBusiness(c.UserContext(), u.token, key, businessInput(f))
	if err != nil {
		if !w.refuse(c, &f, "business", businessFields, err) {
			return err
		}
		return w.page(c, formStatus(f), "business_form.html", businessFormPage{Form: f}, "business.new_title")
	}
	return c.Redirect("/businesses/"+url.PathEscape(b.ID)+"?done=registered", fiber.StatusSeeOther)
}

// Business is GET /businesses/:id: the profile and its NIB.
func (w *Web) Business(c *fiber.Ctx) error {
	u, err := w.signedInAs(c, auth.RoleBusiness)
	if err != nil {
		return err
	}
	b, err := w.licenses.Business(c.UserContext(), u.token, strings.Clone(c.Params("id")))
	if err != nil {
		return err // HTMLErrors: not found, or licensing down
	}
	p := businessPage{Business: b}
	p.Notice = businessNotices[c.Query("done")]
	return w.page(c, fiber.StatusOK, "business.html", p, "business.title", b.Name)
}

// EditBusiness is GET /businesses/:id/edit: the form filled with the profile.
func (w *Web) EditBusiness(c *fiber.Ctx) error {
	u, err := w.signedInAs(c, auth.RoleBusiness)
	if err != nil {
		return err
	}
	b, err := w.licenses.Business(c.UserContext(), u.token, strings.Clone(c.Params("id")))
	if err != nil {
		return err
	}
	f := form{Values: url.Values{
		"name": {b.Name}, "address": {b.Address}, "scale": {b.Scale}, "kbli": {strings.Join(b.KBLI, ", ")},
		"version": {strconv.Itoa(b.Version)},
	}}
	return w.page(c, fiber.StatusOK, "business_form.html", businessFormPage{Form: f, Business: &b}, "business.edit_title", b.Name)
}

// UpdateBusiness is POST /businesses/:id/edit: the change, checked by
// licensing against the version the form was filled with (412: someone
// changed it meanwhile, said at the top of the form).
func (w *Web) UpdateBusiness(c *fiber.Ctx) error {
	u, err := w.signedInAs(c, auth.RoleBusiness)
	if err != nil {
		return err
	}
	id := strings.Clone(c.Params("id"))
	b, err := w.licenses.Business(c.UserContext(), u.token, id)
	if err != nil {
		return err
	}
	f := formOf(c)
	version, _ := strconv.Atoi(f.Get("version"))
	updated, err := w.licenses.UpdateBusiness(c.UserContext(), u.token, id, version, businessInput(f))
	if err != nil {
		if !w.refuse(c, &f, "business", businessFields, err) {
			return err
		}
		return w.page(c, formStatus(f), "business_form.html", businessFormPage{Form: f, Business: &b}, "business.edit_title", b.Name)
	}
	return c.Redirect("/businesses/"+url.PathEscape(updated.ID)+"?done=updated", fiber.StatusSeeOther)
}

// kbliCode is a KBLI code as the catalogue writes it.
var kbliCode = regexp.MustCompile(`^[0-9]{5}$`)

// kbliList reads the codes a person typed: separated by commas, spaces or
// lines, each kept as typed for licensing to judge.
func kbliList(s string) []string {
	var out []string
	for _, k := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

func businessInput(f form) domain.BusinessInput {
	return domain.BusinessInput{
		Name: strings.TrimSpace(f.Get("name")), NPWP: strings.TrimSpace(f.Get("npwp")), Address: strings.TrimSpace(f.Get("address")),
		Scale: f.Get("scale"), KBLI: kbliList(f.Get("kbli")),
	}
}

// formStatus is the status of a form shown again: 502/504 when a service
// could not take it, 400 when it was refused.
func formStatus(f form) int {
	if f.Failure != nil {
		return f.Failure.Status
	}
	return fiber.StatusBadRequest
}
