package app

import (
	"context"
	"slices"
	"time"

	"gerbang/services/portal/internal/domain"
)

// The procurement committee's (Pokja's) work in the portal, as the signed-in
// officer: every call carries the officer's token, and tender decides
// whether they sit on the committee of a tender.

// Committee is what the Pokja pages ask of tender. Failures are apperr
// errors: Invalid with the fields at fault, NotFound, Forbidden (not on the
// committee), Conflict (the tender's state), PreconditionFailed (a stale
// version), and Unavailable wrapping an *Outage.
type Committee interface {
	// CommitteeTenders is a page of the tenders whose committee names the
	// officer, newest first; state "" is every state.
	CommitteeTenders(ctx context.Context, token, state string, limit int, cursor string) (CommitteePage, error)
	// CommitteeTender is one tender as its committee reads it.
	CommitteeTender(ctx context.Context, token, id string) (CommitteeTender, error)
	CreateTender(ctx context.Context, token string, terms TenderTerms) (CommitteeTender, error)
	// EditTender replaces a draft's terms, from the version read.
	EditTender(ctx context.Context, token, id string, version int, terms TenderTerms) (CommitteeTender, error)
	// PublishTender announces a draft, from the version read.
	PublishTender(ctx context.Context, token, id string, version int) (CommitteeTender, error)
	// Questions are the tender's clarification questions, answered or not,
	// oldest first (askers are never named).
	Questions(ctx context.Context, token, id string) ([]Question, error)
	// AnswerQuestion answers one in public.
	AnswerQuestion(ctx context.Context, token, id, questionID, answer string) (Question, error)
	// AmendTender publishes an addendum of the terms, from the version read.
	AmendTender(ctx context.Context, token, id string, version int, terms TenderTerms) (Addendum, error)
	// OpenBids opens the bids after the deadline: the opening record.
	OpenBids(ctx context.Context, token, id string) (domain.Opening, error)
	// Opening is the tender's opening record, NotFound before the opening.
	Opening(ctx context.Context, id string) (domain.Opening, error)
}

// Limits of what the committee writes, as tender's contract sets them.
const (
	AnswerMaxRunes = 8000
)

// Question is a vendor's clarification question and its public answer.
type Question struct {
	ID         string
	Question   string
	AskedAt    time.Time
	Answer     string
	AnsweredAt *time.Time
}

// Answered is whether the committee has answered it.
func (q Question) Answered() bool { return q.AnsweredAt != nil }

// UnansweredFirst orders questions as the committee works through them:
// those waiting for an answer first, each group oldest first.
func UnansweredFirst(qs []Question) []Question {
	out := slices.Clone(qs)
	slices.SortStableFunc(out, func(a, b Question) int {
		if a.Answered() != b.Answered() {
			if a.Answered() {
				return 1
			}
			return -1
		}
		return a.AskedAt.Compare(b.AskedAt)
	})
	return out
}

// Addendum is a published amendment: the tender as amended and whether
// tender moved the bid deadline out to give bidders time.
type Addendum struct {
	Tender           CommitteeTender
	DeadlineExtended bool
}

// CanOpen is whether the committee may open the bids now: tender's
// scheduler has closed the bidding at the deadline, and nobody has opened
// them yet.
func (t CommitteeTender) CanOpen() bool { return t.State == "opening" && t.OpeningStartedAt == nil }

// BeforeOpening is whether the bids are still sealed in a tender that will
// be opened: announced or tendering, or closed and waiting for the opening.
func (t CommitteeTender) BeforeOpening() bool {
	return t.State == "announced" || t.State == "tendering" || t.CanOpen()
}

// Amendable is whether the terms may still be amended at now.
func (t CommitteeTender) Amendable(now time.Time) bool {
	return (t.State == "announced" || t.State == "tendering") && !now.After(t.BidDeadline)
}

// OpeningStarted is whether the committee has opened the bids.
func (t CommitteeTender) OpeningStarted() bool { return t.OpeningStartedAt != nil }

// Evaluation methods, as tender names them.
const (
	EvalLowestPrice  = "lowest_price"
	EvalQualityCost  = "quality_cost"
	EvalMeritPoints  = "merit_points"
	TenderStateDraft = "draft"
)

// EvaluationMethods are the methods a tender may be evaluated by.
var EvaluationMethods = []string{EvalLowestPrice, EvalQualityCost, EvalMeritPoints}

// TenderCategories are what a tender may buy.
var TenderCategories = []string{"goods", "works", "consulting", "other_services"}

// TenderStates are a tender's states in the order of its life.
var TenderStates = []string{"draft", "announced", "tendering", "opening", "evaluation", "award_proposed", "objection_period",
	"awarded", "contracted", "cancelled", "failed"}

// Criterion is one non-price criterion of merit points and its weight.
type Criterion struct {
	Key    string
	Weight int
}

// EvaluationTerms is how the bids are ranked.
type EvaluationTerms struct {
	Method          string
	TechnicalWeight int // quality_cost, percent
	PriceWeight     int // quality_cost and merit_points, percent
	PassingGrade    int // quality_cost, the least technical score
	Criteria        []Criterion
}

// TenderTerms is what the committee writes into a tender.
type TenderTerms struct {
	BuyerAgency       string
	Title             string
	Description       string
	Category          string
	HPS               int64 // rupiah
	HPSPublic         bool
	KBLI              string
	ProcurementMethod string
	Evaluation        EvaluationTerms
	BidSecurity       int64 // rupiah; 0 for none
	BidPeriodStart    time.Time
	BidDeadline       time.Time
	ObjectionDays     int
	MinBids           int
	Committee         []string // user ids of the procurement officers
}

// Waiting is what waits for the committee on a tender, as tender counts it.
type Waiting struct {
	UnansweredQuestions  int
	UnansweredObjections int
	EvaluatedByMe        bool
}

// CommitteeTender is a tender as its committee reads it.
type CommitteeTender struct {
	ID, Number, State string
	Version           int
	Amendment         int
	TenderTerms
	PublishedAt      *time.Time
	OpeningStartedAt *time.Time
	ObjectionEndsAt  *time.Time
	Reason           string
	Waiting          Waiting
	// BidsToConfirm is, after an addendum, how many live bids must be
	// confirmed again (replaced) before the deadline; tender keeps who
	// they are sealed until the opening.
	BidsToConfirm int
}

// Draft is whether the tender is still a draft (edited and published by
// its committee, seen by nobody else).
func (t CommitteeTender) Draft() bool { return t.State == TenderStateDraft }

// CommitteePage is a page of the officer's committee tenders.
type CommitteePage struct {
	Items      []CommitteeTender
	NextCursor string
}

// Task is one thing that waits for the committee on a tender: its
// catalogue key (committee.task.<Key>), how many when they are counted,
// and by when.
type Task struct {
	Key   string
	Count int
	Due   *time.Time
}

// Tasks are what waits for the officer on t at now, in the order to do
// them: none once the tender has ended.
func (t CommitteeTender) Tasks(now time.Time) []Task {
	var out []Task
	deadline := t.BidDeadline
	switch t.State {
	case "draft":
		start := t.BidPeriodStart
		out = append(out, Task{Key: "publish", Due: &start})
	case "announced", "tendering":
		if n := t.Waiting.UnansweredQuestions; n > 0 {
			out = append(out, Task{Key: "questions", Count: n, Due: &deadline})
		}
		if t.State == "tendering" || !now.Before(t.BidPeriodStart) {
			out = append(out, Task{Key: "bids_close", Due: &deadline})
		} else {
			start := t.BidPeriodStart
			out = append(out, Task{Key: "bids_open", Due: &start})
		}
	case "opening":
		out = append(out, Task{Key: "open"})
	case "evaluation":
		if !t.Waiting.EvaluatedByMe {
			out = append(out, Task{Key: "score"})
		}
		out = append(out, Task{Key: "propose"})
	case "award_proposed":
		out = append(out, Task{Key: "announce"})
	case "objection_period":
		if n := t.Waiting.UnansweredObjections; n > 0 {
			out = append(out, Task{Key: "objections", Count: n, Due: t.ObjectionEndsAt})
		} else {
			out = append(out, Task{Key: "objection_period", Due: t.ObjectionEndsAt})
		}
	case "awarded":
		out = append(out, Task{Key: "contract"})
	}
	return out
}

// StateGroup is the officer's tenders in one state.
type StateGroup struct {
	State   string
	Tenders []CommitteeTender
}

// GroupByState sorts a page of tenders into groups by state, in the order
// of a tender's life; a state tender adds later goes last.
func GroupByState(items []CommitteeTender) []StateGroup {
	var out []StateGroup
	for _, t := range items {
		i := slices.IndexFunc(out, func(g StateGroup) bool { return g.State == t.State })
		if i < 0 {
			out = append(out, StateGroup{State: t.State})
			i = len(out) - 1
		}
		out[i].Tenders = append(out[i].Tenders, t)
	}
	order := func(s string) int {
		if i := slices.Index(TenderStates, s); i >= 0 {
			return i
		}
		return len(TenderStates)
	}
	slices.SortStableFunc(out, func(a, b StateGroup) int { return order(a.State) - order(b.State) })
	return out
}
