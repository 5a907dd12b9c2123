package http

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/internal/domain"
)

// The procurement officer's (Pokja's) pages: "my tenders" with what waits
// on each and by when, and a tender's page for its committee, where a
// draft is written, changed and published.

// committeePerPage is how many tenders "my tenders" reads at once (the
// API's most): they are shown grouped by state.
const committeePerPage = 100

type committeeListPage struct {
	Form   form
	States []string
	Groups []app.StateGroup
	Next   string
	Paged  bool
	Now    time.Time
}

// MyTenders is GET /committee?state=: the tenders whose committee names
// the officer, grouped by state, each with what waits for them and by when.
func (w *Web) MyTenders(c *fiber.Ctx) error {
	u, err := w.signedInAs(c, auth.RoleProcurementOfficer)
	if err != nil {
		return err
	}
	p := committeeListPage{Form: form{Values: url.Values{}}, States: app.TenderStates, Now: w.clock.Now()}
	state := strings.TrimSpace(c.Query("state"))
	if state != "" {
		p.Form.Values.Set("state", strings.Clone(state))
		if !slices.Contains(app.TenderStates, state) {
			p.Form.Errors = append(p.Form.Errors, fieldError{"state", w.tr(c).T("committee.error.state")})
			return w.page(c, fiber.StatusBadRequest, "committee_list.html", p, "committee.list.title")
		}
	}
	cursor := strings.Clone(c.Query("cursor"))
	list, err := w.committee.CommitteeTenders(c.UserContext(), u.token, state, committeePerPage, cursor)
	if err != nil {
		return err
	}
	p.Groups, p.Next, p.Paged = app.GroupByState(list.Items), list.NextCursor, cursor != ""
	return w.page(c, fiber.StatusOK, "committee_list.html", p, "committee.list.title")
}

// tenderFields are the tender form's fields, in their order on the page.
var tenderFields = []string{
	"buyer_agency", "title", "description", "category", "hps", "hps_public", "kbli", "procurement_method",
	"evaluation_method", "technical_weight", "price_weight", "passing_grade", "criteria",
	"bid_security", "bid_period_start", "bid_deadline", "objection_days", "min_bids", "committee",
}

// ProcurementMethods are the methods the form offers (Perpres 16/2018):
// tender for goods, works and other services, seleksi for consultants.
var procurementMethods = []string{"tender", "tender_cepat", "seleksi"}

type tenderFormPage struct {
	Form       form
	Tender     *app.CommitteeTender // nil: a new tender
	Categories []string
	Methods    []string
	Evals      []string
	Now        time.Time
}

func (w *Web) tenderForm(c *fiber.Ctx, status int, p tenderFormPage) error {
	p.Categories, p.Methods, p.Evals, p.Now = app.TenderCategories, procurementMethods, app.EvaluationMethods, w.clock.Now()
	title := "committee.new.title"
	if p.Tender != nil {
		return w.page(c, status, "committee_form.html", p, "committee.edit.title", p.Tender.Title)
	}
	return w.page(c, status, "committee_form.html", p, title)
}

// NewTender is GET /committee/tenders/new: the form of a new tender.
func (w *Web) NewTender(c *fiber.Ctx) error {
	if _, err := w.signedInAs(c, auth.RoleProcurementOfficer); err != nil {
		return err
	}
	f := form{Values: url.Values{"procurement_method": {"tender"}, "evaluation_method": {app.EvalLowestPrice}, "objection_days": {"5"}, "min_bids": {"1"}}}
	return w.tenderForm(c, fiber.StatusOK, tenderFormPage{Form: f})
}

// CreateTender is POST /committee/tenders: saves the draft, or shows the
// form again with what was wrong and what was typed.
func (w *Web) CreateTender(c *fiber.Ctx) error {
	u, err := w.signedInAs(c, auth.RoleProcurementOfficer)
	if err != nil {
		return err
	}
	p := tenderFormPage{Form: formOf(c)}
	terms := w.readTerms(c, &p.Form)
	if p.Form.Failed() {
		return w.tenderForm(c, fiber.StatusBadRequest, p)
	}
	t, err := w.committee.CreateTender(c.UserContext(), u.token, terms)
	if err != nil {
		if !w.tenderRefused(c, &p.Form, err) {
			return err
		}
		return w.tenderForm(c, statusOf(err), p)
	}
	return c.Redirect("/committee/tenders/"+t.ID, fiber.StatusSeeOther)
}

// committeeTender reads the tender of the path as the signed-in officer.
func (w *Web) committeeTender(c *fiber.Ctx) (*signedIn, app.CommitteeTender, error) {
	u, err := w.signedInAs(c, auth.RoleProcurementOfficer)
	if err != nil {
		return nil, app.CommitteeTender{}, err
	}
	t, err := w.committee.CommitteeTender(c.UserContext(), u.token, param(c, "id"))
	if err == nil && !slices.Contains(t.Committee, u.ID.String()) {
		err = apperr.New(apperr.NotFound, app.TenderNotFound) // a published tender read by an officer of another committee
	}
	return u, t, err
}

// EditTenderForm is GET /committee/tenders/:id/edit: the draft's form.
func (w *Web) EditTenderForm(c *fiber.Ctx) error {
	u, t, err := w.committeeTender(c)
	if err != nil {
		return err
	}
	if !t.Draft() {
		return c.Redirect("/committee/tenders/"+t.ID, fiber.StatusSeeOther)
	}
	return w.tenderForm(c, fiber.StatusOK, tenderFormPage{Form: w.formOfTender(c, u, t), Tender: &t})
}

// EditTender is POST /committee/tenders/:id/edit, from the version read.
func (w *Web) EditTender(c *fiber.Ctx) error {
	u, t, err := w.committeeTender(c)
	if err != nil {
		return err
	}
	p := tenderFormPage{Form: formOf(c), Tender: &t}
	terms := w.readTerms(c, &p.Form)
	if p.Form.Failed() {
		return w.tenderForm(c, fiber.StatusBadRequest, p)
	}
	version, _ := strconv.Atoi(p.Form.Get("version"))
	if _, err := w.committee.EditTender(c.UserContext(), u.token, t.ID, version, terms); err != nil {
		if !w.tenderRefused(c, &p.Form, err) {
			return err
		}
		return w.tenderForm(c, statusOf(err), p)
	}
	return c.Redirect("/committee/tenders/"+t.ID, fiber.StatusSeeOther)
}

// member is an officer on a tender's committee, as the page names them.
type member struct {
	Name, Email string
}

type committeeTenderPage struct {
	app.CommitteeTender
	Members   []member
	Form      form
	Now       time.Time
	Questions []app.Question // unanswered first
	Opening   *openingView   // once the bids are opened
	Addendum  string         // "extended" or "kept" right after an addendum
	AmendForm form           // the addendum's form: what was typed, or the terms as they are
	AnswerMax int
}

// CommitteeTenderPage is GET /committee/tenders/:id: the terms, the
// committee, what waits, the questions to answer, the addendum, the
// opening, and the actions the state allows.
func (w *Web) CommitteeTenderPage(c *fiber.Ctx) error {
	u, t, err := w.committeeTender(c)
	if err != nil {
		return err
	}
	p := committeeTenderPage{CommitteeTender: t}
	if a := c.Query("addendum"); a == "extended" || a == "kept" {
		p.Addendum = strings.Clone(a)
	}
	return w.showCommitteeTender(c, fiber.StatusOK, u, p)
}

// showCommitteeTender fills p (whose CommitteeTender and forms are set)
// with what the page shows beside the tender, and shows it.
func (w *Web) showCommitteeTender(c *fiber.Ctx, status int, u *signedIn, p committeeTenderPage) error {
	t := p.CommitteeTender
	p.Now, p.AnswerMax = w.clock.Now(), app.AnswerMaxRunes
	for _, id := range t.Committee {
		m := member{Name: id}
		if uid, err := uuid.Parse(id); err == nil {
			if a, err := w.accounts.ByID(c.UserContext(), uid); err == nil {
				m = member{Name: a.DisplayName, Email: a.Email}
			}
		}
		p.Members = append(p.Members, m)
	}
	if !t.Draft() {
		qs, err := w.committee.Questions(c.UserContext(), u.token, t.ID)
		if err != nil {
			return err
		}
		p.Questions = app.UnansweredFirst(qs)
		p.Waiting.UnansweredQuestions = 0 // tender counts them only in the list; here they are all read
		for _, q := range qs {
			if !q.Answered() {
				p.Waiting.UnansweredQuestions++
			}
		}
	}
	if t.OpeningStarted() {
		op, err := w.committee.Opening(c.UserContext(), t.ID)
		if err != nil && !apperr.Is(err, apperr.NotFound) {
			return err
		}
		if err == nil {
			v := disqualificationsOf(w.tr(c), op)
			p.Opening = &v
		}
	}
	if p.AmendForm.Values == nil {
		p.AmendForm = form{Values: url.Values{"amend_description": {t.Description}, "amend_deadline": {formDate(t.BidDeadline)}}}
	}
	return w.page(c, status, "committee_tender.html", p, "committee.tender.title", t.Title)
}

// PublishTender is POST /committee/tenders/:id/publish, from the version
// read. Pressed again (the back button), it shows the tender as it is.
func (w *Web) PublishTender(c *fiber.Ctx) error {
	u, t, err := w.committeeTender(c)
	if err != nil {
		return err
	}
	if !t.Draft() {
		return c.Redirect("/committee/tenders/"+t.ID, fiber.StatusSeeOther)
	}
	f := formOf(c)
	version, _ := strconv.Atoi(f.Get("version"))
	if _, err := w.committee.PublishTender(c.UserContext(), u.token, t.ID, version); err != nil {
		if !w.tenderRefused(c, &f, err) {
			return err
		}
		return w.showCommitteeTender(c, statusOf(err), u, committeeTenderPage{CommitteeTender: t, Form: f})
	}
	return c.Redirect("/committee/tenders/"+t.ID, fiber.StatusSeeOther)
}

// tenderRefused puts tender's refusal of the form into it: a stale version
// or a state that no longer allows it said plainly, a problem about fields
// beside each field.
func (w *Web) tenderRefused(c *fiber.Ctx, f *form, err error) bool {
	if w.staleOrConflict(c, f, err) {
		return true
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		for i, fe := range ae.Fields { // the service's names, as the form calls them
			ae.Fields[i].Field = serviceFields.Replace(strings.TrimPrefix(fe.Field, "body."))
		}
	}
	return w.refuse(c, f, "committee", tenderFields, err)
}

// staleOrConflict says plainly, in f, that tender refused a committee's
// form because the tender changed since it was read (a stale version) or
// its state no longer allows the step.
func (w *Web) staleOrConflict(c *fiber.Ctx, f *form, err error) bool {
	tr := w.tr(c)
	switch {
	case apperr.Is(err, apperr.PreconditionFailed):
		f.Errors = append(f.Errors, fieldError{"", tr.T("committee.error.stale")})
		return true
	case apperr.Is(err, apperr.Conflict):
		f.Errors = append(f.Errors, fieldError{"", tr.T("committee.error.conflict")})
		return true
	}
	return false
}

// serviceFields renames tender's fields to the form's.
var serviceFields = strings.NewReplacer(
	"evaluation.method", "evaluation_method", "evaluation.technical_weight", "technical_weight",
	"evaluation.price_weight", "price_weight", "evaluation.passing_grade", "passing_grade",
	"evaluation.criteria", "criteria", "bid_security_amount", "bid_security", "hps.amount", "hps",
	"bid_security.amount", "bid_security",
)

// dateLayouts are how the form's times may be typed, in WIB: as the pages
// write them, or as a datetime-local input sends them.
var dateLayouts = []string{"02-01-2006 15:04", "2006-01-02T15:04", "2006-01-02 15:04"}

// formDate is how the form writes a time back, in WIB.
func formDate(t time.Time) string { return t.In(WIB).Format(dateLayouts[0]) }

// rupiahOf reads an amount of whole rupiah as people type it:
// "1.500.000", "Rp 1.500.000", "1500000".
func rupiahOf(s string) (int64, bool) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "Rp"))
	s = strings.NewReplacer(".", "", " ", "").Replace(s)
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n >= 0
}

// readTerms reads the tender form into terms, putting what cannot be read
// into f's errors (the service judges the rest).
func (w *Web) readTerms(c *fiber.Ctx, f *form) app.TenderTerms {
	tr := w.tr(c)
	bad := func(field string) { f.Errors = append(f.Errors, fieldError{field, tr.T("committee.error." + field)}) }
	get := func(k string) string { return strings.TrimSpace(f.Get(k)) }
	t := app.TenderTerms{
		BuyerAgency: get("buyer_agency"), Title: get("title"), Description: strings.TrimSpace(f.Get("description")),
		Category: get("category"), HPSPublic: f.Get("hps_public") != "", KBLI: get("kbli"),
		ProcurementMethod: get("procurement_method"), Evaluation: app.EvaluationTerms{Method: get("evaluation_method")},
	}
	for _, k := range []string{"buyer_agency", "title"} {
		if get(k) == "" {
			bad(k)
		}
	}
	if !slices.Contains(app.TenderCategories, t.Category) {
		bad("category")
	}
	if n, ok := rupiahOf(get("hps")); !ok || n == 0 {
		bad("hps")
	} else {
		t.HPS = n
	}
	if !kbliCode.MatchString(t.KBLI) {
		bad("kbli")
	}
	if !slices.Contains(procurementMethods, t.ProcurementMethod) {
		bad("procurement_method")
	}
	if !slices.Contains(app.EvaluationMethods, t.Evaluation.Method) {
		bad("evaluation_method")
	}
	number := func(field string, to *int, lo, hi int) {
		s := get(field)
		if s == "" {
			return
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			bad(field)
			return
		}
		*to = n
	}
	if t.Evaluation.Method != app.EvalLowestPrice {
		number("technical_weight", &t.Evaluation.TechnicalWeight, 0, 100)
		number("price_weight", &t.Evaluation.PriceWeight, 0, 100)
		number("passing_grade", &t.Evaluation.PassingGrade, 0, 100)
	}
	if t.Evaluation.Method == app.EvalMeritPoints {
		criteria, ok := criteriaOf(f.Get("criteria"))
		if !ok {
			bad("criteria")
		}
		t.Evaluation.Criteria = criteria
	}
	if s := get("bid_security"); s != "" {
		if n, ok := rupiahOf(s); ok {
			t.BidSecurity = n
		} else {
			bad("bid_security")
		}
	}
	for _, d := range []struct {
		field string
		to    *time.Time
	}{{"bid_period_start", &t.BidPeriodStart}, {"bid_deadline", &t.BidDeadline}} {
		v, ok := timeOf(get(d.field))
		if !ok {
			f.Errors = append(f.Errors, fieldError{d.field, tr.T("committee.error.date")})
			continue
		}
		*d.to = v
	}
	number("objection_days", &t.ObjectionDays, 1, 30)
	number("min_bids", &t.MinBids, 1, 1000)
	u := w.session(c)
	for _, line := range strings.FieldsFunc(f.Get("committee"), func(r rune) bool { return r == '\n' || r == ',' || r == '\r' }) {
		email := strings.ToLower(strings.TrimSpace(line))
		if email == "" {
			continue
		}
		a, err := w.accounts.ByEmail(c.UserContext(), email)
		if err != nil || !slices.Contains(a.Roles, auth.RoleProcurementOfficer) {
			f.Errors = append(f.Errors, fieldError{"committee", tr.T("committee.error.member", email)})
			continue
		}
		if id := a.ID.String(); !slices.Contains(t.Committee, id) {
			t.Committee = append(t.Committee, id)
		}
	}
	if u != nil && !slices.Contains(t.Committee, u.ID.String()) {
		t.Committee = append(t.Committee, u.ID.String())
	}
	slices.SortStableFunc(f.Errors, func(a, b fieldError) int {
		return slices.Index(tenderFields, a.Field) - slices.Index(tenderFields, b.Field)
	})
	return t
}

// timeOf reads a time typed in WIB.
func timeOf(s string) (time.Time, bool) {
	for _, l := range dateLayouts {
		if t, err := time.ParseInLocation(l, s, WIB); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// criteriaOf reads merit points' criteria, one "name = weight" a line.
func criteriaOf(s string) ([]app.Criterion, bool) {
	var out []app.Criterion
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if !ok || strings.TrimSpace(k) == "" || err != nil || n < 1 || n > 100 {
			return nil, false
		}
		out = append(out, app.Criterion{Key: strings.TrimSpace(k), Weight: n})
	}
	return out, len(out) > 0
}

// formOfTender is the form of a draft as it is: what the edit page starts from.
func (w *Web) formOfTender(c *fiber.Ctx, u *signedIn, t app.CommitteeTender) form {
	v := url.Values{}
	set := func(k, s string) { v.Set(k, s) }
	set("version", strconv.Itoa(t.Version))
	set("buyer_agency", t.BuyerAgency)
	set("title", t.Title)
	set("description", t.Description)
	set("category", t.Category)
	set("hps", rupiahDigits(t.HPS))
	if t.HPSPublic {
		set("hps_public", "1")
	}
	set("kbli", t.KBLI)
	set("procurement_method", t.ProcurementMethod)
	set("evaluation_method", t.Evaluation.Method)
	for k, n := range map[string]int{"technical_weight": t.Evaluation.TechnicalWeight, "price_weight": t.Evaluation.PriceWeight,
		"passing_grade": t.Evaluation.PassingGrade, "objection_days": t.ObjectionDays, "min_bids": t.MinBids} {
		if n != 0 {
			set(k, strconv.Itoa(n))
		}
	}
	var crit []string
	for _, cr := range t.Evaluation.Criteria {
		crit = append(crit, cr.Key+" = "+strconv.Itoa(cr.Weight))
	}
	set("criteria", strings.Join(crit, "\n"))
	if t.BidSecurity > 0 {
		set("bid_security", rupiahDigits(t.BidSecurity))
	}
	set("bid_period_start", formDate(t.BidPeriodStart))
	set("bid_deadline", formDate(t.BidDeadline))
	var emails []string
	for _, id := range t.Committee {
		if id == u.ID.String() {
			continue
		}
		if uid, err := uuid.Parse(id); err == nil {
			if a, err := w.accounts.ByID(c.UserContext(), uid); err == nil {
				emails = append(emails, a.Email)
			}
		}
	}
	set("committee", strings.Join(emails, "\n"))
	return form{Values: v}
}

// rupiahDigits writes an amount as the form's field shows it: 1.500.000.
func rupiahDigits(n int64) string {
	return strings.TrimPrefix(rupiah(&domain.Money{Amount: n}), "Rp ")
}

// selectView is a select of codes for the "committee-select" template: the
// field, its codes, and the catalogue prefix that says each.
type selectView struct {
	Field  fieldView
	Codes  []string
	Prefix string
}

// choicesOf is {{choices (field .Form "name" "prefix") .Codes "tender.category"}}.
func choicesOf(f fieldView, codes []string, prefix string) selectView {
	return selectView{Field: f, Codes: codes, Prefix: prefix}
}
