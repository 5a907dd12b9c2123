package http

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"gerbang/pkg/apperr"
	"gerbang/pkg/httpx"
	"gerbang/services/portal/internal/app"
)

// The one way a failure becomes a page. A service's RFC 9457 problem about
// a form's fields becomes an error summary at the top of the form, linking
// to each field, with its message beside the field and what was typed kept
// (form). A service that is down or too slow becomes a page, or a message
// above the form, that says so (failure). Nothing becomes a stack trace or
// a blank page.

// failure is what a page shows instead of, or above, its content: a
// catalogue key with its arguments, and the status the page answers with.
type failure struct {
	Status int
	Key    string
	Args   []any
}

// Outage is whether the failure is a service that cannot answer now.
func (f failure) Outage() bool { return f.Status >= 500 }

// failureOf says what a page answers for err: a service down or failing is
// 502, one too slow 504, a record not found 404, a request refused as
// invalid 400; notFound is the key that says what was not found. Any other
// error is returned, for the platform to answer.
func (w *Web) failureOf(c *fiber.Ctx, err error, notFound string) (*failure, error) {
	var out *app.Outage
	if errors.As(err, &out) {
		w.log.WarnContext(c.UserContext(), "page: service unavailable", "path", c.Path(), "request_id", httpx.RequestID(c), "error", err.Error())
		if errors.Is(err, context.DeadlineExceeded) {
			return &failure{fiber.StatusGatewayTimeout, "error.slow", []any{w.tr(c).T("service." + out.Service)}}, nil
		}
		return &failure{fiber.StatusBadGateway, "error.down", []any{w.tr(c).T("service." + out.Service)}}, nil
	}
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return nil, err
	}
	switch ae.Code {
	case apperr.NotFound:
		return &failure{Status: fiber.StatusNotFound, Key: notFound}, nil
	case apperr.Invalid:
		return &failure{Status: fiber.StatusBadRequest, Key: "error.invalid"}, nil
	}
	return nil, err
}

// errorPage is the page of a refused request (error.html).
type errorPage struct {
	Failure failure
}

// HTMLErrors renders the failures of the routes after it as a page for
// people using a browser (a form whose CSRF token is stale, a rate limit, a
// session that has ended), keeping the status (and Retry-After).
func (w *Web) HTMLErrors(c *fiber.Ctx) error {
	err := c.Next()
	if err == nil {
		return nil
	}
	if f, ferr := w.failureOf(c, err, "error.not_found"); ferr == nil {
		return w.page(c, f.Status, "error.html", errorPage{*f}, "error.title")
	}
	p := httpx.ProblemFor(err)
	if p.Status >= 500 {
		return err // logged and answered by the platform
	}
	key := "error.refused"
	switch {
	case errors.Is(err, errCSRF):
		key = "error.csrf"
	case p.Status == fiber.StatusTooManyRequests:
		key = "error.too_many"
	case p.Status == fiber.StatusUnauthorized:
		key = "error.signed_out"
	case p.Status == fiber.StatusForbidden:
		key = "error.forbidden"
	}
	return w.page(c, p.Status, "error.html", errorPage{failure{Status: p.Status, Key: key}}, "error.title")
}

// form is what a person typed into a form and what was wrong with it.
type form struct {
	Values url.Values
	// Errors are in the order of the form's fields; Field is the id of the
	// input they concern ("" for one about the whole form).
	Errors []fieldError
	// Failure is a service that could not take the form: nothing was saved.
	Failure *failure
}

// fieldError is one line of the error summary.
type fieldError struct {
	Field   string
	Message string
}

// formOf is the form the request sent, its strings copied out of fiber's
// reused memory.
func formOf(c *fiber.Ctx) form {
	values := url.Values{}
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		values.Add(string(k), string(v))
	})
	if mf, err := c.MultipartForm(); err == nil {
		for k, vs := range mf.Value {
			for _, v := range vs {
				values.Add(strings.Clone(k), strings.Clone(v))
			}
		}
	}
	values.Del(csrfField)
	return form{Values: values}
}

// Get is the value typed into the field name.
func (f form) Get(name string) string { return f.Values.Get(name) }

// List is every value of the field name (checkboxes, a multiple select).
func (f form) List(name string) []string { return f.Values[name] }

// Error is the message of the field name, if any.
func (f form) Error(name string) string {
	for _, e := range f.Errors {
		if e.Field == name {
			return e.Message
		}
	}
	return ""
}

// Failed is whether the page shows the form again with errors.
func (f form) Failed() bool { return len(f.Errors) > 0 || f.Failure != nil }

// formField is the form field a service's problem names: the domain says
// kbli[2], the contract check body.kbli.2; both are the field kbli; a
// search's query.kbli is the field kbli too.
func formField(field string) string {
	field = strings.TrimPrefix(strings.TrimPrefix(field, "body."), "query.")
	if i := strings.IndexAny(field, ".["); i >= 0 {
		field = field[:i]
	}
	return field
}

// refuse puts err, a service's answer to the form, into the form and says
// whether it did. A problem listing fields puts each message under the
// field it names, in the catalogue's words (<prefix>.error.<field>) where
// there are some, else in the service's; a field the form does not have
// goes at the top. A service down or slow is the form's Failure. Other
// errors are not the form's (false).
func (w *Web) refuse(c *fiber.Ctx, f *form, prefix string, fields []string, err error) bool {
	tr := w.tr(c)
	var out *app.Outage
	if errors.As(err, &out) {
		fl, _ := w.failureOf(c, err, "")
		f.Failure = fl
		return true
	}
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != apperr.Invalid && ae.Code != apperr.Unprocessable && ae.Code != apperr.Conflict && ae.Code != apperr.PreconditionFailed {
		return false
	}
	seen := map[string]bool{}
	for _, fe := range ae.Fields {
		name := formField(fe.Field)
		if !slices.Contains(fields, name) {
			f.Errors = append(f.Errors, fieldError{Message: fe.Message})
			continue
		}
		if seen[name] {
			continue // one message per field: the catalogue's says it all
		}
		seen[name] = true
		msg := fe.Message
		if k := prefix + ".error." + name; w.catalogue.has(k) {
			msg = tr.T(k)
		}
		f.Errors = append(f.Errors, fieldError{Field: name, Message: msg})
	}
	slices.SortStableFunc(f.Errors, func(a, b fieldError) int {
		return slices.Index(fields, a.Field) - slices.Index(fields, b.Field)
	})
	if len(ae.Fields) == 0 {
		key := prefix + ".error." + string(ae.Code)
		if !w.catalogue.has(key) {
			key = "error.refused"
		}
		f.Errors = append(f.Errors, fieldError{Message: tr.T(key)})
	}
	return true
}

// fieldView is one input of a form for the "field" templates: its name
// (also its id), the catalogue keys of its label and hint, what was typed,
// and its error.
type fieldView struct {
	Name, Label, Hint string
	Value             string
	Values            []string
	Error             string
}

// fieldOf is {{field .Form "name" "prefix"}}: the field name of the form,
// labelled by prefix.name.label and hinted by prefix.name.hint.
func fieldOf(f form, name, prefix string) fieldView {
	return fieldView{
		Name: name, Label: prefix + "." + name + ".label", Hint: prefix + "." + name + ".hint",
		Value: f.Get(name), Values: f.List(name), Error: f.Error(name),
	}
}
