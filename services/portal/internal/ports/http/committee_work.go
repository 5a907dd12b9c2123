package http

import (
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"gerbang/pkg/apperr"
	"gerbang/services/portal/internal/app"
	"gerbang/services/portal/internal/domain"
)

// The committee's work on a published tender, on its page: answering the
// vendors' questions, publishing an addendum, and opening the bids after
// the deadline. Each form posts to its own address and comes back to the
// tender's page; refused, the page shows what was wrong with what was
// typed kept.

// descriptionMaxRunes is how long tender lets a tender's description be.
const descriptionMaxRunes = 20000

// AnswerQuestion is POST /committee/tenders/:id/questions/:qid/answer.
// An answer already given (the back button) is not given again.
func (w *Web) AnswerQuestion(c *fiber.Ctx) error {
	u, t, err := w.committeeTender(c)
	if err != nil {
		return err
	}
	qid := param(c, "qid")
	qs, err := w.committee.Questions(c.UserContext(), u.token, t.ID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(qs, func(q app.Question) bool { return q.ID == qid })
	if i < 0 {
		return apperr.New(apperr.NotFound, "no such question")
	}
	if qs[i].Answered() {
		return c.Redirect("/committee/tenders/"+t.ID+"#questions", fiber.StatusSeeOther)
	}
	f := formOf(c)
	f.Values.Set("question_id", qid)
	field := "answer-" + qid
	answer := strings.TrimSpace(f.Get("answer"))
	tr := w.tr(c)
	if answer == "" || utf8.RuneCountInString(answer) > app.AnswerMaxRunes {
		f.Errors = append(f.Errors, fieldError{field, tr.T("committee.error.answer", app.AnswerMaxRunes)})
	}
	if !f.Failed() {
		_, err = w.committee.AnswerQuestion(c.UserContext(), u.token, t.ID, qid, answer)
		if err == nil {
			return c.Redirect("/committee/tenders/"+t.ID+"#questions", fiber.StatusSeeOther)
		}
		var ae *apperr.Error
		if errors.As(err, &ae) {
			for i := range ae.Fields { // tender's "answer" is this question's field
				ae.Fields[i].Field = field
			}
		}
		if !w.refuse(c, &f, "committee", []string{field}, err) {
			return err
		}
		if f.Error(field) != "" {
			f.Errors = []fieldError{{field, tr.T("committee.error.answer", app.AnswerMaxRunes)}}
		}
	}
	status := fiber.StatusBadRequest
	if err != nil {
		status = statusOf(err)
	}
	return w.showCommitteeTender(c, status, u, committeeTenderPage{CommitteeTender: t, Form: f})
}

// amendFields are the addendum form's fields, in their order on the page.
var amendFields = []string{"amend_description", "amend_deadline"}

// AmendTender is POST /committee/tenders/:id/amendments: the addendum, with
// the terms it does not change kept as they are, from the version read.
// Published, the page says whether tender moved the deadline and how many
// bids must be confirmed again.
func (w *Web) AmendTender(c *fiber.Ctx) error {
	u, t, err := w.committeeTender(c)
	if err != nil {
		return err
	}
	f := formOf(c)
	tr := w.tr(c)
	terms := t.TenderTerms
	terms.Description = strings.TrimSpace(f.Get("amend_description"))
	if terms.Description == "" || utf8.RuneCountInString(terms.Description) > descriptionMaxRunes {
		f.Errors = append(f.Errors, fieldError{"amend_description", tr.T("committee.error.amend_description")})
	}
	if s := strings.TrimSpace(f.Get("amend_deadline")); s != "" {
		d, ok := timeOf(s)
		if !ok {
			f.Errors = append(f.Errors, fieldError{"amend_deadline", tr.T("committee.error.date")})
		}
		terms.BidDeadline = d
	}
	if !t.Amendable(w.clock.Now()) {
		f.Errors = append(f.Errors, fieldError{"", tr.T("committee.error.conflict")})
	}
	if f.Failed() {
		return w.showCommitteeTender(c, fiber.StatusBadRequest, u, committeeTenderPage{CommitteeTender: t, Form: f, AmendForm: f})
	}
	version, _ := strconv.Atoi(f.Get("version"))
	a, err := w.committee.AmendTender(c.UserContext(), u.token, t.ID, version, terms)
	if err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) {
			for i, fe := range ae.Fields {
				switch formField(fe.Field) {
				case "description":
					ae.Fields[i].Field = "amend_description"
				case "bid_deadline":
					ae.Fields[i].Field = "amend_deadline"
				}
			}
		}
		if !w.staleOrConflict(c, &f, err) && !w.refuse(c, &f, "committee", amendFields, err) {
			return err
		}
		return w.showCommitteeTender(c, statusOf(err), u, committeeTenderPage{CommitteeTender: t, Form: f, AmendForm: f})
	}
	moved := "kept"
	if a.DeadlineExtended || !a.Tender.BidDeadline.Equal(t.BidDeadline) {
		moved = "extended"
	}
	return c.Redirect("/committee/tenders/"+t.ID+"?addendum="+moved+"#addendum", fiber.StatusSeeOther)
}

// OpenBids is POST /committee/tenders/:id/opening: refused, with the
// deadline and the server's time, before the bidding has closed; pressed
// again after the opening (the back button), it shows the record.
func (w *Web) OpenBids(c *fiber.Ctx) error {
	u, t, err := w.committeeTender(c)
	if err != nil {
		return err
	}
	if t.OpeningStarted() {
		return c.Redirect("/committee/tenders/"+t.ID+"#opening", fiber.StatusSeeOther)
	}
	f := formOf(c)
	tr := w.tr(c)
	now := w.clock.Now()
	if !t.CanOpen() {
		msg := tr.T("committee.error.open_closing")
		if !now.After(t.BidDeadline) {
			msg = tr.T("committee.error.open_early", wib(t.BidDeadline), wib(now))
		}
		f.Errors = append(f.Errors, fieldError{"", msg})
		return w.showCommitteeTender(c, fiber.StatusConflict, u, committeeTenderPage{CommitteeTender: t, Form: f})
	}
	if _, err := w.committee.OpenBids(c.UserContext(), u.token, t.ID); err != nil {
		if !w.tenderRefused(c, &f, err) {
			return err
		}
		return w.showCommitteeTender(c, statusOf(err), u, committeeTenderPage{CommitteeTender: t, Form: f})
	}
	return c.Redirect("/committee/tenders/"+t.ID+"#opening", fiber.StatusSeeOther)
}

// openingView is the opening record as the committee reads it, each
// bid's disqualification said in the reader's language.
type openingView struct {
	domain.Opening
	Bids []openedBidView
}

type openedBidView struct {
	domain.OpenedBid
	Reason string // why the bid is out, "" when it goes on to evaluation
}

// notConfirmed is how tender says a bid was not confirmed after an addendum.
var notConfirmed = regexp.MustCompile(`^not confirmed after addendum (\d+)$`)

// disqualificationsOf says why each bid of op is out. tender writes its
// reasons as English text (domain.Reason* there): those it writes are
// said from the catalogue, any other as tender wrote it.
func disqualificationsOf(tr translator, op domain.Opening) openingView {
	v := openingView{Opening: op, Bids: make([]openedBidView, len(op.Bids))}
	for i, b := range op.Bids {
		r := b.Disqualified
		switch m := notConfirmed.FindStringSubmatch(r); {
		case r == "the sealed bid could not be decrypted":
			r = tr.T("committee.opening.reason.undecryptable")
		case r == "bid security not paid by the opening":
			r = tr.T("committee.opening.reason.security_unpaid")
		case m != nil:
			n, _ := strconv.Atoi(m[1])
			r = tr.T("committee.opening.reason.not_confirmed", n)
		}
		v.Bids[i] = openedBidView{OpenedBid: b, Reason: r}
	}
	return v
}
