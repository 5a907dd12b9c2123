package http

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/pkg/httpx"
	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/internal/domain"
)

// The business's journey to a license: the application as a task list
// (business and activity, each required document, check answers, submit),
// kept by licensing as a draft between visits; the status page of every
// application after that, where a revision is answered; and the fee.

// applicationsPerPage is how many applications the list shows at once.
const applicationsPerPage = 20

// param is the route parameter name, copied out of fiber's memory.
func param(c *fiber.Ctx, name string) string { return strings.Clone(c.Params(name)) }

type applicationsPage struct {
	Items []domain.ApplicationDetail
	Next  string
	Paged bool
}

// Applications is GET /applications: the person's applications, oldest
// first, a page at a time.
func (w *Web) Applications(c *fiber.Ctx) error {
	u, err := w.signedInAs(c, auth.RoleBusiness)
	if err != nil {
		return err
	}
	cursor := strings.Clone(c.Query("cursor"))
	page, err := w.desk.ApplicationPage(c.UserContext(), u.token, applicationsPerPage, cursor)
	if err != nil {
		return err
	}
	return w.page(c, fiber.StatusOK, "apply_list.html", applicationsPage{Items: page.Items, Next: page.NextCursor, Paged: cursor != ""}, "apply.list.title")
}

type newApplicationPage struct {
	Form       form
	Businesses []domain.Business
	Key        string // the Idempotency-Key of this form: sent twice, it makes one draft
}

// newApplicationFields are the fields of the first step, in their order.
var newApplicationFields = []string{"business_id", "kbli", "size"}

// NewApplication is GET /applications/new: which business, which activity.
func (w *Web) NewApplication(c *fiber.Ctx) error {
	u, err := w.signedInAs(c, auth.RoleBusiness)
	if err != nil {
		return err
	}
	biz, err := w.desk.MyBusinesses(c.UserContext(), u.token)
	if err != nil {
		return err
	}
	f := form{Values: url.Values{}}
	if len(biz) == 1 {
		f.Values.Set("business_id", biz[0].ID)
	}
	if k := strings.TrimSpace(c.Query("kbli")); kbliCode.MatchString(k) { // from the license finder
		f.Values.Set("kbli", k)
	}
	return w.page(c, fiber.StatusOK, "apply_new.html", newApplicationPage{Form: f, Businesses: biz, Key: uuid.NewString()}, "apply.new.title")
}

// CreateApplication is POST /applications: the draft, then its task list.
// What is wrong with the form is said on the form, with what was typed.
func (w *Web) CreateApplication(c *fiber.Ctx) error {
	u, err := w.signedInAs(c, auth.RoleBusiness)
	if err != nil {
		return err
	}
	f := formOf(c)
	biz, err := w.desk.MyBusinesses(c.UserContext(), u.token)
	if err != nil {
		return err
	}
	tr := w.tr(c)
	id, kbli := f.Get("business_id"), strings.TrimSpace(f.Get("kbli"))
	i := slices.IndexFunc(biz, func(b domain.Business) bool { return b.ID == id })
	if i < 0 {
		f.Errors = append(f.Errors, fieldError{"business_id", tr.T("apply.error.business_id")})
	}
	switch {
	case !kbliCode.MatchString(kbli):
		f.Errors = append(f.Errors, fieldError{"kbli", tr.T("apply.error.kbli")})
	case i >= 0 && !slices.Contains(biz[i].KBLI, kbli):
		f.Errors = append(f.Errors, fieldError{"kbli", tr.T("apply.error.kbli_not_yours", strings.Join(biz[i].KBLI, ", "))})
	}
	size, serr := strconv.ParseInt(strings.TrimSpace(f.Get("size")), 10, 64)
	if strings.TrimSpace(f.Get("size")) == "" {
		size, serr = 0, nil
	}
	if serr != nil || size < 0 {
		f.Errors = append(f.Errors, fieldError{"size", tr.T("apply.error.size")})
	}
	key := f.Get("key")
	if uuid.Validate(key) != nil {
		key = uuid.NewString()
	}
	again := func(status int) error {
		return w.page(c, status, "apply_new.html", newApplicationPage{Form: f, Businesses: biz, Key: key}, "apply.new.title")
	}
	if len(f.Errors) > 0 {
		return again(fiber.StatusBadRequest)
	}
	a, err := w.desk.CreateApplication(c.UserContext(), u.token, key, id, kbli, size, "")
	if err != nil {
		if w.refuse(c, &f, "apply", newApplicationFields, err) {
			return again(statusOf(err))
		}
		return err
	}
	return c.Redirect("/applications/"+a.ID, fiber.StatusSeeOther)
}

// statusOf is the status of a page that shows err on its form.
func statusOf(err error) int {
	if f := httpx.ProblemFor(err).Status; f >= 400 && f < 500 {
		return f
	}
	return fiber.StatusBadGateway
}

// applicationView is what the task list, the status page and the review
// page show of an application.
type applicationView struct {
	app.ApplicationFile
	Now     time.Time
	Form    form
	Invoice *domain.Invoice
	License *domain.IssuedLicense
}

// Tasks are the task list's rows: one per required document.
func (v applicationView) Tasks() []taskRow {
	out := make([]taskRow, len(v.Requirements))
	for i, r := range v.Requirements {
		d, ok := v.Documents[r.Code]
		out[i] = taskRow{Req: r, Done: ok}
		if ok {
			out[i].Doc = &d
		}
	}
	return out
}

// Ready is whether every document is there: the answers can be checked.
func (v applicationView) Ready() bool { return len(v.Missing()) == 0 }

// Revised is whether the officer's revision request names requirement
// code; RevisionNote is the officer's comment on it.
func (v applicationView) Revised(code string) bool { _, ok := v.App.RevisionOf(code); return ok }

// RevisionNote is the officer's comment on requirement code ("" for none).
func (v applicationView) RevisionNote(code string) string {
	r, _ := v.App.RevisionOf(code)
	return r.Note
}

// historyKeys are the messages of the steps licensing records, by action
// (application.<action>, and document.upload as "upload").
var historyKeys = map[string]string{
	"create":           "apply.history.created",
	"upload":           "apply.history.uploaded",
	"submit":           "apply.history.submitted",
	"start_review":     "apply.history.review_started",
	"request_revision": "apply.history.revision",
	"resubmit":         "apply.history.resubmitted",
	"approve":          "apply.history.approved",
	"reject":           "apply.history.rejected",
	"withdraw":         "apply.history.withdrawn",
	"deem_approve":     "apply.history.deemed_approved",
	"auto_approve":     "apply.history.auto_approved",
	"request_fee":      "apply.history.fee_requested",
	"issue":            "apply.history.issued",
}

// stepAction is a recorded action's name among historyKeys.
func stepAction(action string) string {
	if action == "document.upload" {
		return "upload"
	}
	return strings.TrimPrefix(action, "application.")
}

// Steps are the application's history as licensing recorded it: every
// step, by whom (by role) and when, with the note or reason given, and a
// revision request's comment on each document.
func (v applicationView) Steps() []historyStep {
	files := map[string]string{} // document id -> file name
	for _, d := range v.Uploads {
		files[d.ID] = d.Filename
	}
	steps := make([]historyStep, 0, len(v.Trail))
	for _, st := range v.Trail {
		action := stepAction(st.Action)
		key, ok := historyKeys[action]
		if !ok {
			continue // a step of a kind this portal does not know yet: licensing's API lists it
		}
		h := historyStep{At: st.At, Key: key, Who: st.Actor}
		switch action {
		case "upload":
			h.Arg = files[st.DocumentID]
			if r, ok := v.Requirement(st.Requirement); ok && h.Arg == "" {
				h.Arg = r.Name
			}
		case "issue":
			if v.License != nil {
				h.Arg = v.License.Number
			}
		}
		if len(st.Revisions) > 0 {
			for _, r := range st.Revisions {
				name := r.Requirement
				if req, ok := v.Requirement(r.Requirement); ok {
					name = req.Name
				}
				h.Notes = append(h.Notes, strings.TrimSpace(name+": "+r.Note))
			}
		} else if st.Note != "" {
			h.Notes = []string{st.Note}
		}
		steps = append(steps, h)
	}
	return steps
}

type taskRow struct {
	Req  domain.RequiredDocument
	Doc  *domain.Document
	Done bool
}

type historyStep struct {
	At       time.Time
	Key, Arg string
	Who      string   // applicant, officer, system
	Notes    []string // what the person wrote: a reason, a note, a comment per document
}

// openFor reads application id for the page, with its invoice and
// license where the state has them.
func (w *Web) openFor(c *fiber.Ctx, u *signedIn, id string) (applicationView, error) {
	f, err := app.OpenApplication(c.UserContext(), w.desk, u.token, id)
	if err != nil {
		return applicationView{}, err
	}
	v := applicationView{ApplicationFile: f, Now: w.clock.Now(), Form: form{Values: url.Values{}}}
	if f.App.State == domain.AppIssued {
		l, err := w.desk.ApplicationLicense(c.UserContext(), u.token, id)
		switch {
		case apperr.Is(err, apperr.NotFound):
		case err != nil:
			return applicationView{}, err
		default:
			v.License = &l
		}
	}
	return v, nil
}

// opened is the person signed in holding role and the application of
// the path's :id, as that person may see it.
func (w *Web) opened(c *fiber.Ctx, role string) (*signedIn, applicationView, error) {
	u, err := w.signedInAs(c, role)
	if err != nil {
		return nil, applicationView{}, err
	}
	v, err := w.openFor(c, u, param(c, "id"))
	return u, v, err
}

// Application is GET /applications/:id: a draft's task list, else its status.
func (w *Web) Application(c *fiber.Ctx) error {
	_, v, err := w.opened(c, auth.RoleBusiness)
	if err != nil {
		return err
	}
	return w.showApplication(c, fiber.StatusOK, v)
}

func (w *Web) showApplication(c *fiber.Ctx, status int, v applicationView) error {
	if v.App.State == domain.AppDraft {
		return w.page(c, status, "apply_tasks.html", v, "apply.tasks.title", v.LicenseName)
	}
	return w.page(c, status, "apply_status.html", v, "apply.status.title", v.LicenseName)
}

type uploadPage struct {
	applicationView
	Req domain.RequiredDocument
	Doc *domain.Document
}

// DocumentForm is GET /applications/:id/documents/:requirement: the upload
// of one document (a new version replaces the one shown).
func (w *Web) DocumentForm(c *fiber.Ctx) error {
	_, p, err := w.uploadPageOf(c)
	if err != nil {
		return err
	}
	return w.page(c, fiber.StatusOK, "apply_upload.html", p, "apply.upload.title", p.Req.Name)
}

func (w *Web) uploadPageOf(c *fiber.Ctx) (*signedIn, uploadPage, error) {
	u, v, err := w.opened(c, auth.RoleBusiness)
	if err != nil {
		return nil, uploadPage{}, err
	}
	req, ok := v.Requirement(param(c, "requirement"))
	if !ok {
		return nil, uploadPage{}, apperr.New(apperr.NotFound, "the application has no such requirement")
	}
	p := uploadPage{applicationView: v, Req: req}
	if d, ok := v.Documents[req.Code]; ok {
		p.Doc = &d
	}
	return u, p, nil
}

// UploadDocument is POST /applications/:id/documents/:requirement, a
// multipart form (with htmx, sent by XHR so the page shows its progress).
// Licensing sniffs the file: a wrong type or size is said beside the field.
func (w *Web) UploadDocument(c *fiber.Ctx) error {
	u, p, err := w.uploadPageOf(c)
	if err != nil {
		return err
	}
	tr := w.tr(c)
	p.Form = formOf(c)
	fh, ferr := c.FormFile("file")
	var content []byte
	if ferr == nil {
		content, ferr = readPart(fh.Open)
	}
	switch {
	case ferr != nil || fh.Size == 0:
		p.Form.Errors = append(p.Form.Errors, fieldError{"file", tr.T("apply.error.no_file")})
	default:
		_, err = w.desk.Upload(c.UserContext(), u.token, p.App.ID, p.Req.Code, strings.Clone(fh.Filename), content)
		switch {
		case err == nil:
			back := "/applications/" + p.App.ID
			if c.Get("HX-Request") == "true" {
				c.Set("HX-Redirect", back)
				return c.SendStatus(fiber.StatusNoContent)
			}
			return c.Redirect(back, fiber.StatusSeeOther)
		case apperr.Is(err, apperr.TooLarge):
			p.Form.Errors = append(p.Form.Errors, fieldError{"file", tr.T("apply.error.too_large", fileSize(fh.Size), megabytes(p.Req.MaxBytes))})
		case apperr.Is(err, apperr.Unsupported):
			p.Form.Errors = append(p.Form.Errors, fieldError{"file", tr.T("apply.error.type", tr.T("apply.kind."+p.Req.ContentType))})
		case apperr.Is(err, apperr.Conflict):
			p.Form.Errors = append(p.Form.Errors, fieldError{"", tr.T("apply.error.closed")})
		case !w.refuse(c, &p.Form, "apply", []string{"file"}, err):
			return err
		}
	}
	status := statusOf(err)
	if err == nil {
		status = fiber.StatusBadRequest
	}
	if c.Get("HX-Request") == "true" {
		status = fiber.StatusOK // htmx swaps only a 2xx answer: the form with its errors
	}
	return w.page(c, status, "apply_upload.html", p, "apply.upload.title", p.Req.Name)
}

// readPart reads an uploaded file whole.
func readPart(open func() (multipart.File, error)) ([]byte, error) {
	f, err := open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// fileSize writes a file's size as people read it: 1.8 MB, 12 KB.
func fileSize(n int64) string {
	if n < 1<<20 {
		return strconv.FormatInt((n+1023)/1024, 10) + " KB"
	}
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
}

// CheckAnswers is GET /applications/:id/check: everything on one page, a
// Change link per row, and the button that submits.
func (w *Web) CheckAnswers(c *fiber.Ctx) error {
	_, v, err := w.opened(c, auth.RoleBusiness)
	if err != nil {
		return err
	}
	if v.App.State != domain.AppDraft { // submitted already: going back says so
		return c.Redirect("/applications/"+v.App.ID, fiber.StatusSeeOther)
	}
	return w.page(c, fiber.StatusOK, "apply_check.html", v, "apply.check.title", v.LicenseName)
}

// Submit is POST /applications/:id/submit; Resubmit is POST
// /applications/:id/resubmit, the answer to a revision. Both carry the
// version the person saw; a second press, or one from a page left open
// after the application moved, shows where it stands.
func (w *Web) Submit(c *fiber.Ctx) error {
	return w.applicantMove(c, app.MoveSubmit, "apply_check.html")
}
func (w *Web) Resubmit(c *fiber.Ctx) error {
	return w.applicantMove(c, app.MoveResubmit, "apply_status.html")
}

// maxNote is the longest note or comment licensing keeps (its contract's
// maxLength), in characters.
const maxNote = 2000

func (w *Web) applicantMove(c *fiber.Ctx, action, again string) error {
	u, v, err := w.opened(c, auth.RoleBusiness)
	if err != nil {
		return err
	}
	if from := map[string]domain.ApplicationState{app.MoveSubmit: domain.AppDraft, app.MoveResubmit: domain.AppRevisionRequested}[action]; v.App.State != from {
		return c.Redirect("/applications/"+v.App.ID, fiber.StatusSeeOther) // done already: the status says what happened
	}
	v.Form = formOf(c)
	if action == app.MoveSubmit && len(v.Missing()) > 0 {
		// Licensing reviews a high-risk application's completeness only after
		// submission; the portal asks for every document before it.
		w.moveRefused(c, &v.Form, apperr.New(apperr.Unprocessable, "documents missing"), v.ApplicationFile)
		return w.page(c, fiber.StatusUnprocessableEntity, again, v, "apply.check.title", v.LicenseName)
	}
	var in app.MoveInput
	if action == app.MoveResubmit {
		in.Note = strings.TrimSpace(v.Form.Get("note"))
		if utf8.RuneCountInString(in.Note) > maxNote {
			v.Form.Errors = append(v.Form.Errors, fieldError{"note", w.tr(c).T("apply.error.note_long", maxNote)})
			return w.page(c, fiber.StatusBadRequest, again, v, "apply.status.title", v.LicenseName)
		}
	}
	version, _ := strconv.Atoi(v.Form.Get("version"))
	_, err = w.desk.Move(c.UserContext(), u.token, v.App.ID, action, version, in)
	if err == nil {
		return c.Redirect("/applications/"+v.App.ID, fiber.StatusSeeOther)
	}
	if !w.moveRefused(c, &v.Form, err, v.ApplicationFile) {
		return err
	}
	return w.page(c, statusOf(err), again, v, "apply.check.title", v.LicenseName)
}

// moveRefused puts a refused move on its form: the documents missing, a
// version gone stale, a state that no longer allows it.
func (w *Web) moveRefused(c *fiber.Ctx, f *form, err error, file app.ApplicationFile) bool {
	tr := w.tr(c)
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return w.refuse(c, f, "apply", nil, err)
	}
	switch ae.Code {
	case apperr.Unprocessable:
		for _, code := range file.Missing() {
			r, _ := file.Requirement(code)
			f.Errors = append(f.Errors, fieldError{"doc-" + code, tr.T("apply.error.missing", r.Name)})
		}
		if len(f.Errors) == 0 {
			f.Errors = append(f.Errors, fieldError{"", ae.Message})
		}
		return true
	case apperr.PreconditionFailed:
		f.Errors = append(f.Errors, fieldError{"", tr.T("apply.error.stale")})
		return true
	case apperr.Conflict:
		f.Errors = append(f.Errors, fieldError{"", tr.T("apply.error.state")})
		return true
	}
	return w.refuse(c, f, "apply", nil, err)
}

// DocumentFile is GET /applications/:id/documents/:doc/file (and the same
// under /review): the document as uploaded, shown by the browser itself
// (PDF and images inline), with nothing of it able to run.
func (w *Web) DocumentFile(c *fiber.Ctx) error {
	u := w.session(c)
	if u == nil {
		return apperr.New(apperr.Unauthenticated, "sign in first")
	}
	ct, body, err := w.desk.DocumentContent(c.UserContext(), u.token, param(c, "id"), param(c, "doc"))
	if err != nil {
		return err
	}
	disposition := "inline"
	switch ct {
	case "application/pdf", "image/png", "image/jpeg":
	default: // licensing sniffs every upload to one of those; anything else is only saved
		ct, disposition = "application/octet-stream", "attachment"
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Set(fiber.HeaderContentDisposition, disposition)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	// Nothing in the file may load or run anything; a sandbox would also
	// stop the browser's own PDF viewer, so none is set.
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'")
	return c.Send(body)
}

// feePage is the invoice of an approved application and how to pay it.
type feePage struct {
	applicationView
	Waiting bool // payment has not issued the invoice yet
}

// Fee is GET /applications/:id/fee: the invoice with its billing code,
// amount and expiry, how to pay, and in the sandbox a "pay now" button.
// It waits for the payment by itself (htmx asks /fee/status); a reload
// does the same. Once the license is issued it moves on to the status.
func (w *Web) Fee(c *fiber.Ctx) error {
	_, p, err := w.feePageOf(c)
	if err != nil {
		return err
	}
	if p.App.State != domain.AppAwaitingPayment {
		return c.Redirect("/applications/"+p.App.ID, fiber.StatusSeeOther)
	}
	return w.page(c, fiber.StatusOK, "apply_fee.html", p, "apply.fee.title", p.LicenseName)
}

func (w *Web) feePageOf(c *fiber.Ctx) (*signedIn, feePage, error) {
	u, v, err := w.opened(c, auth.RoleBusiness)
	if err != nil {
		return nil, feePage{}, err
	}
	p := feePage{applicationView: v}
	if v.App.State != domain.AppAwaitingPayment {
		return u, p, nil
	}
	inv, err := app.InvoiceFor(c.UserContext(), w.fees, u.token, v.App.ID)
	switch {
	case apperr.Is(err, apperr.NotFound):
		p.Waiting = true
	case err != nil:
		return nil, feePage{}, err
	default:
		p.Invoice = &inv
	}
	return u, p, nil
}

// FeeStatus is GET /applications/:id/fee/status, what the fee page's htmx
// asks every few seconds: nothing (204) while it waits, a redirect to the
// page that now applies once the invoice or the license is there.
func (w *Web) FeeStatus(c *fiber.Ctx) error {
	u, err := w.signedInAs(c, auth.RoleBusiness)
	if err != nil {
		return err
	}
	id := param(c, "id")
	a, err := w.desk.Application(c.UserContext(), u.token, id)
	if err != nil {
		return err
	}
	since := c.Query("state")
	if a.State != domain.AppAwaitingPayment {
		c.Set("HX-Redirect", "/applications/"+a.ID)
		return c.SendStatus(fiber.StatusNoContent)
	}
	inv, err := app.InvoiceFor(c.UserContext(), w.fees, u.token, id)
	switch {
	case apperr.Is(err, apperr.NotFound):
		inv.State = ""
	case err != nil:
		return err
	}
	if inv.State != since {
		c.Set("HX-Redirect", "/applications/"+a.ID+"/fee")
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// PayFee is POST /applications/:id/fee/pay: the sandbox gateway pays the
// invoice the way a bank would. Pressed again (back, reload), it pays
// nothing twice: an invoice no longer pending is only shown.
func (w *Web) PayFee(c *fiber.Ctx) error {
	u, p, err := w.feePageOf(c)
	if err != nil {
		return err
	}
	back := "/applications/" + p.App.ID + "/fee"
	if p.Invoice == nil || p.Invoice.State != domain.InvoicePending {
		return c.Redirect(back, fiber.StatusSeeOther)
	}
	p.Form = formOf(c)
	err = w.fees.SandboxPay(c.UserContext(), u.token, p.Invoice.BillingCode)
	switch {
	case err == nil:
		return c.Redirect(back, fiber.StatusSeeOther)
	case apperr.Is(err, apperr.NotFound):
		p.Form.Errors = append(p.Form.Errors, fieldError{"", w.tr(c).T("apply.fee.no_sandbox")})
	case !w.refuse(c, &p.Form, "apply", nil, err):
		return err
	}
	return w.page(c, statusOf(err), "apply_fee.html", p, "apply.fee.title", p.LicenseName)
}

// fmtDays writes a number of working days with one decimal where it has one.
func fmtDays(d float64) string {
	if d == float64(int(d)) {
		return strconv.Itoa(int(d))
	}
	return fmt.Sprintf("%.1f", d)
}

// FeeAmount is the license's fee, for {{rupiah}}.
func (v applicationView) FeeAmount() *domain.Money { return &v.Fee }

// InvoiceAmount is the invoice's amount, for {{rupiah}}.
func (v applicationView) InvoiceAmount() *domain.Money {
	if v.Invoice == nil {
		return nil
	}
	return &v.Invoice.Amount
}

// Turn is whose turn it is, as the catalogue says it (apply.turn.<who>).
func (v applicationView) Turn() string {
	if v.App.WhoseTurn == "" {
		return "none"
	}
	return v.App.WhoseTurn
}

// UploadBodyLimit lets a document through the upload page: as much as the
// proxy lets through to licensing, which enforces each requirement's own
// limit (and is answered beside the field).
var UploadBodyLimit = httpx.RouteLimit{Method: fiber.MethodPost, Pattern: "/applications/:id/documents/:requirement", Bytes: 25 << 20}
