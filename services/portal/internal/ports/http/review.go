package http

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/internal/domain"
)

// The licensing officer's work: the review queue, soonest deadline first,
// and the review page of an application with the actions its state allows.

// queuePerPage is how many applications the queue shows at once.
const queuePerPage = 20

type queuePage struct {
	Form   form
	States []domain.ApplicationState
	app.QueuePage
	Paged bool
	Query string // the filter, for the next page's link
}

// queueFields are the queue filter's fields, in their order.
var queueFields = []string{"state", "kbli", "due", "overdue"}

// Queue is GET /review: the queue, filtered by state, KBLI, due within N
// working days or overdue (a form sent by GET: the filter is in the
// address, so back and reload keep it), with how many are due today.
func (w *Web) Queue(c *fiber.Ctx) error {
	u, err := w.signedInAs(c, auth.RoleLicensingOfficer)
	if err != nil {
		return err
	}
	tr := w.tr(c)
	p := queuePage{Form: form{Values: url.Values{}}, States: domain.QueueStates}
	for _, k := range queueFields {
		if v := strings.TrimSpace(c.Query(k)); v != "" {
			p.Form.Values.Set(k, strings.Clone(v))
		}
	}
	var f app.QueueFilter
	if s := p.Form.Get("state"); s != "" {
		if !slices.Contains(domain.QueueStates, domain.ApplicationState(s)) {
			p.Form.Errors = append(p.Form.Errors, fieldError{"state", tr.T("review.error.state")})
		}
		f.State = domain.ApplicationState(s)
	}
	if k := p.Form.Get("kbli"); k != "" {
		if !kbliCode.MatchString(k) {
			p.Form.Errors = append(p.Form.Errors, fieldError{"kbli", tr.T("review.error.kbli")})
		}
		f.KBLI = k
	}
	if d := p.Form.Get("due"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 60 {
			p.Form.Errors = append(p.Form.Errors, fieldError{"due", tr.T("review.error.due")})
		}
		f.DueDays = n
	}
	f.Overdue = p.Form.Get("overdue") != ""
	if p.Form.Failed() {
		return w.page(c, fiber.StatusBadRequest, "review_queue.html", p, "review.queue.title")
	}
	cursor := strings.Clone(c.Query("cursor"))
	if p.QueuePage, err = app.ReviewQueue(c.UserContext(), w.desk, u.token, f, queuePerPage, cursor); err != nil {
		return err
	}
	p.Paged, p.Query = cursor != "", p.Form.Values.Encode()
	return w.page(c, fiber.StatusOK, "review_queue.html", p, "review.queue.title")
}

// Review is GET /review/:id: the business, the application, every
// document with its hash (PDF and images open in the browser), the
// checklist of requirements, and the actions the state allows.
func (w *Web) Review(c *fiber.Ctx) error {
	_, v, err := w.opened(c, auth.RoleLicensingOfficer)
	if err != nil {
		return err
	}
	return w.page(c, fiber.StatusOK, "review_application.html", v, "review.title", v.LicenseName)
}

// reviewActions are the officer's moves by the path's action, with the
// fields each one's form has.
var reviewActions = map[string]struct {
	move   string
	fields []string
}{
	"start":    {app.MoveStartReview, nil},
	"approve":  {app.MoveApprove, nil},
	"reject":   {app.MoveReject, []string{"reason"}},
	"revision": {app.MoveRequestRevision, nil}, // one note per document: note-<code>
}

// Decide is POST /review/:id/:action (start, approve, reject, revision),
// from the version the officer read. A refused one shows the review page
// again with the error summary and what was typed.
func (w *Web) Decide(c *fiber.Ctx) error {
	u, v, err := w.opened(c, auth.RoleLicensingOfficer)
	if err != nil {
		return err
	}
	act, ok := reviewActions[c.Params("action")]
	if !ok {
		return apperr.New(apperr.NotFound, "no such action")
	}
	tr := w.tr(c)
	v.Form = formOf(c)
	v.Form.Values.Set("action", act.move)
	version, _ := strconv.Atoi(v.Form.Get("version"))
	var in app.MoveInput
	switch act.move {
	case app.MoveReject:
		in.Reason = strings.TrimSpace(v.Form.Get("reason"))
		if in.Reason == "" {
			v.Form.Errors = append(v.Form.Errors, fieldError{"reason", tr.T("review.error.reason")})
		}
	case app.MoveRequestRevision:
		in.Revisions = revisionsOf(v.Form, v.Requirements)
		if len(in.Revisions) == 0 {
			field := ""
			if len(v.Requirements) > 0 {
				field = "note-" + v.Requirements[0].Code
			}
			v.Form.Errors = append(v.Form.Errors, fieldError{field, tr.T("review.error.note")})
		}
		for _, r := range in.Revisions {
			if utf8.RuneCountInString(r.Note) > maxNote {
				v.Form.Errors = append(v.Form.Errors, fieldError{"note-" + r.Requirement, tr.T("apply.error.note_long", maxNote)})
			}
		}
	}
	if !v.Form.Failed() {
		_, err = w.desk.Move(c.UserContext(), u.token, v.App.ID, act.move, version, in)
		if err == nil {
			return c.Redirect("/review/"+v.App.ID, fiber.StatusSeeOther)
		}
		if !w.moveRefused(c, &v.Form, err, v.ApplicationFile) {
			return err
		}
	}
	status := fiber.StatusBadRequest
	if err != nil {
		status = statusOf(err)
	}
	return w.page(c, status, "review_application.html", v, "review.title", v.LicenseName)
}

// revisionsOf reads the officer's comment per document (note-<code>):
// every document commented on is to be revised, with its comment.
func revisionsOf(f form, reqs []domain.RequiredDocument) []domain.Revision {
	var out []domain.Revision
	for _, r := range reqs {
		if n := strings.TrimSpace(f.Get("note-" + r.Code)); n != "" {
			out = append(out, domain.Revision{Requirement: r.Code, Note: n})
		}
	}
	return out
}

// ChangeLicense is POST /review/:id/license/:action (suspend, reinstate,
// revoke), with a reason.
func (w *Web) ChangeLicense(c *fiber.Ctx) error {
	u, v, err := w.opened(c, auth.RoleLicensingOfficer)
	if err != nil {
		return err
	}
	action := param(c, "action")
	if !slices.Contains(app.LicenseActions, action) {
		return apperr.New(apperr.NotFound, "no such action")
	}
	if v.License == nil {
		return apperr.New(apperr.NotFound, "the application has no license")
	}
	v.Form = formOf(c)
	v.Form.Values.Set("action", action)
	reason := strings.TrimSpace(v.Form.Get("license_reason"))
	if reason == "" {
		v.Form.Errors = append(v.Form.Errors, fieldError{"license_reason", w.tr(c).T("review.error.reason")})
		return w.page(c, fiber.StatusBadRequest, "review_application.html", v, "review.title", v.LicenseName)
	}
	if _, err = w.desk.ChangeLicense(c.UserContext(), u.token, v.License.ID, action, reason); err != nil {
		if apperr.Is(err, apperr.Conflict) {
			v.Form.Errors = append(v.Form.Errors, fieldError{"", w.tr(c).T("review.error.license_state")})
		} else if !w.refuse(c, &v.Form, "review", []string{"license_reason"}, err) {
			return err
		}
		return w.page(c, statusOf(err), "review_application.html", v, "review.title", v.LicenseName)
	}
	return c.Redirect("/review/"+v.App.ID, fiber.StatusSeeOther)
}
