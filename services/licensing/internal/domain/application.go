package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"gerbang/pkg/apperr"
)

// State is where an application stands.
type State string

const (
	StateDraft             State = "draft"
	StateSubmitted         State = "submitted"
	StateInReview          State = "in_review"
	StateRevisionRequested State = "revision_requested"
	StateApproved          State = "approved"
	StateAwaitingPayment   State = "awaiting_payment"
	StateIssued            State = "issued"
	StateRejected          State = "rejected"
	StateWithdrawn         State = "withdrawn"
	StateDeemedApproved    State = "deemed_approved"
)

// States lists every state.
func States() []State {
	return []State{StateDraft, StateSubmitted, StateInReview, StateRevisionRequested, StateApproved,
		StateAwaitingPayment, StateIssued, StateRejected, StateWithdrawn, StateDeemedApproved}
}

// Actor is the kind of party that moves an application.
type Actor string

const (
	ActorApplicant Actor = "applicant" // the business that owns it
	ActorOfficer   Actor = "officer"   // a licensing officer
	ActorSystem    Actor = "system"    // the service itself (rules, scheduler, payment)
)

// Action is a transition of the application machine.
type Action string

const (
	ActionSubmit          Action = "submit"           // applicant: draft -> submitted
	ActionStartReview     Action = "start_review"     // officer, completeness check passed: submitted -> in_review
	ActionRequestRevision Action = "request_revision" // officer: submitted | in_review -> revision_requested
	ActionResubmit        Action = "resubmit"         // applicant: revision_requested -> in_review
	ActionApprove         Action = "approve"          // officer: in_review -> approved
	ActionReject          Action = "reject"           // officer: submitted | in_review -> rejected
	ActionWithdraw        Action = "withdraw"         // applicant, before a decision
	ActionDeemApprove     Action = "deem_approve"     // system, SLA ran out: submitted | in_review -> deemed_approved
	ActionAutoApprove     Action = "auto_approve"     // system, low and medium-low risk: submitted -> approved
	ActionRequestFee      Action = "request_fee"      // system: approved | deemed_approved -> awaiting_payment
	ActionIssue           Action = "issue"            // system: approved | deemed_approved (no fee) | awaiting_payment (paid) -> issued
)

// Transition is one edge of the machine: from any of From, by Actor, to To.
type Transition struct {
	Action Action
	From   []State
	To     State
	Actor  Actor
}

// Transitions returns the application machine, every edge with the one
// actor allowed to take it.
func Transitions() []Transition {
	return []Transition{
		{ActionSubmit, []State{StateDraft}, StateSubmitted, ActorApplicant},
		{ActionStartReview, []State{StateSubmitted}, StateInReview, ActorOfficer},
		{ActionRequestRevision, []State{StateSubmitted, StateInReview}, StateRevisionRequested, ActorOfficer},
		{ActionResubmit, []State{StateRevisionRequested}, StateInReview, ActorApplicant},
		{ActionApprove, []State{StateInReview}, StateApproved, ActorOfficer},
		{ActionReject, []State{StateSubmitted, StateInReview}, StateRejected, ActorOfficer},
		{ActionWithdraw, []State{StateDraft, StateSubmitted, StateInReview, StateRevisionRequested}, StateWithdrawn, ActorApplicant},
		{ActionDeemApprove, []State{StateSubmitted, StateInReview}, StateDeemedApproved, ActorSystem},
		{ActionAutoApprove, []State{StateSubmitted}, StateApproved, ActorSystem},
		{ActionRequestFee, []State{StateApproved, StateDeemedApproved}, StateAwaitingPayment, ActorSystem},
		{ActionIssue, []State{StateApproved, StateDeemedApproved, StateAwaitingPayment}, StateIssued, ActorSystem},
	}
}

// Next returns the state that action by actor leads to from current. A
// wrong actor is Forbidden; a state the action does not start from is a
// Conflict carrying current_state.
func Next(current State, action Action, actor Actor) (State, error) {
	for _, t := range Transitions() {
		if t.Action != action {
			continue
		}
		if t.Actor != actor {
			return "", apperr.New(apperr.Forbidden, "only the %s may %s an application", t.Actor, strings.ReplaceAll(string(action), "_", " "))
		}
		if !slices.Contains(t.From, current) {
			return "", apperr.New(apperr.Conflict, "an application that is %s cannot %s", strings.ReplaceAll(string(current), "_", " "),
				strings.ReplaceAll(string(action), "_", " ")).With("current_state", string(current))
		}
		return t.To, nil
	}
	return "", apperr.New(apperr.Invalid, "unknown action %q", action)
}

// FromStates returns the states action starts from, read from the machine.
func FromStates(action Action) []State {
	var out []State
	for _, t := range Transitions() {
		if t.Action == action {
			out = append(out, t.From...)
		}
	}
	return out
}

// DeemableStates are the states in which an application is deemed
// approved once its SLA has run out (the fiktif-positif rule): those
// deem_approve starts from. The scheduler passes them to the database.
func DeemableStates() []State { return FromStates(ActionDeemApprove) }

// ReviewQueueStates are the states in which an application waits on its
// review: those an officer's decision (approve, reject, request_revision,
// start_review) or the applicant's resubmission starts from. The review
// queue lists applications in these states.
func ReviewQueueStates() []State {
	var out []State
	for _, a := range []Action{ActionStartReview, ActionApprove, ActionReject, ActionRequestRevision, ActionResubmit} {
		for _, s := range FromStates(a) {
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// Step is one transition an application went through.
type Step struct {
	Action Action
	Actor  Actor
	From   State
	To     State
	At     time.Time
}

// Terms are the catalog rules an application was submitted under: the
// rules in force at submission, kept for the life of the application.
type Terms struct {
	LicenseType    string
	LicenseName    string
	TypeVersion    int
	RuleVersion    int
	Risk           RiskLevel
	Fee            int64
	SLADays        int
	ValidityMonths int
	Requirements   []Requirement
}

// TermsOf returns the terms of a determination.
func TermsOf(d Determination) Terms {
	return Terms{
		LicenseType: d.LicenseType.Code, LicenseName: d.LicenseType.Name, TypeVersion: d.LicenseType.Version,
		RuleVersion: d.Rule.Version, Risk: d.Band.Risk, Fee: d.LicenseType.Fee, SLADays: d.LicenseType.SLADays,
		ValidityMonths: d.LicenseType.ValidityMonths, Requirements: d.LicenseType.Requirements,
	}
}

// Application is a request for a license by a business.
type Application struct {
	ID           string
	BusinessID   string
	OwnerSubject string
	KBLI         string
	Scale        Scale
	Size         int64
	RenewalOf    string // the license renewed, if any
	State        State
	Terms        *Terms // set at submission
	SLA          SLA
	// Decision and revision details.
	Reason string // rejection reason
	// Revisions are what the officer asked to change, one per document, while
	// a revision is requested (kept after, until the next request);
	// RevisionRequirement and RevisionNote are the first of them.
	Revisions           []Revision
	RevisionRequirement string
	RevisionNote        string
	SubmittedAt         *time.Time
	DecidedAt           *time.Time
	Version             int
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// NewApplication starts a draft for a business's activity.
func NewApplication(b Business, kbli string, size int64, renewalOf string, now time.Time) (Application, error) {
	var fields []apperr.FieldError
	if !ValidKBLI(kbli) {
		fields = append(fields, apperr.Field("kbli", "a KBLI code has 5 digits"))
	} else if !slices.Contains(b.KBLI, kbli) {
		fields = append(fields, apperr.Field("kbli", "KBLI %s is not among the activities of business %s; add it to the business first", kbli, b.NIB))
	}
	if size < 0 {
		fields = append(fields, apperr.Field("size", "a size figure cannot be negative"))
	}
	if len(fields) > 0 {
		return Application{}, apperr.InvalidFields("the application cannot be created as given", fields...)
	}
	return Application{
		BusinessID: b.ID, OwnerSubject: b.OwnerSubject, KBLI: kbli, Scale: b.Scale, Size: size,
		RenewalOf: renewalOf, State: StateDraft, CreatedAt: now.UTC(), UpdatedAt: now.UTC(),
	}, nil
}

func (a *Application) move(action Action, actor Actor, now time.Time) (Step, error) {
	to, err := Next(a.State, action, actor)
	if err != nil {
		return Step{}, err
	}
	s := Step{Action: action, Actor: actor, From: a.State, To: to, At: now.UTC()}
	a.State = to
	a.UpdatedAt = now.UTC()
	return s, nil
}

// Submit freezes the terms in force now and starts the SLA clock; an
// activity of low or medium-low risk is approved at once by the rules, and
// then issued or sent to payment. With no officer to check completeness,
// such an application must carry a document for every requirement
// (uploaded lists the requirement codes that have one).
func (a *Application) Submit(actor Actor, d Determination, uploaded []string, now time.Time, cal Calendar) ([]Step, error) {
	if _, err := Next(a.State, ActionSubmit, actor); err != nil {
		return nil, err
	}
	terms := TermsOf(d)
	if !terms.Risk.NeedsReview() {
		probe := Application{Terms: &terms}
		if missing := probe.MissingRequirements(uploaded); len(missing) > 0 {
			return nil, apperr.New(apperr.Unprocessable, "the application is incomplete: no document for %s; it is issued without review, so upload them first",
				strings.Join(missing, ", ")).With("missing_requirements", missing)
		}
	}
	s, err := a.move(ActionSubmit, actor, now)
	if err != nil {
		return nil, err
	}
	a.Terms = &terms
	at := now.UTC()
	a.SubmittedAt = &at
	steps := []Step{s}
	if !terms.Risk.NeedsReview() {
		s, err := a.move(ActionAutoApprove, ActorSystem, now)
		if err != nil {
			return nil, err
		}
		a.DecidedAt = &at
		return a.afterApproval(append(steps, s), now)
	}
	a.SLA = SLA{Days: terms.SLADays}
	a.SLA.Start(now, cal)
	return steps, nil
}

// StartReview is the completeness check: an officer takes the application
// up once a document is there for every requirement (uploaded lists the
// requirement codes that have one); an incomplete application is refused
// with the missing requirements, for the officer to request a revision.
func (a *Application) StartReview(actor Actor, uploaded []string, now time.Time) ([]Step, error) {
	if _, err := Next(a.State, ActionStartReview, actor); err != nil {
		return nil, err
	}
	if missing := a.MissingRequirements(uploaded); len(missing) > 0 {
		return nil, apperr.New(apperr.Unprocessable, "the application is incomplete: no document for %s; request a revision",
			strings.Join(missing, ", ")).With("missing_requirements", missing)
	}
	s, err := a.move(ActionStartReview, actor, now)
	if err != nil {
		return nil, err
	}
	return []Step{s}, nil
}

// Revision is what the officer asks the applicant to change about one
// required document.
type Revision struct {
	Requirement string // the code of the requirement
	Note        string // what is wrong with the document, for the applicant
}

// maxRevisions bounds the documents one revision request names: no license
// type requires more.
const maxRevisions = 50

// RequestRevision sends the application back to the applicant about one
// or more of its documents, each with its own comment; the SLA clock
// pauses.
func (a *Application) RequestRevision(actor Actor, revisions []Revision, now time.Time, cal Calendar) ([]Step, error) {
	if len(revisions) == 0 {
		return nil, apperr.InvalidFields("name the requirement to revise", apperr.Field("requirement", "required"))
	}
	if len(revisions) > maxRevisions {
		return nil, apperr.InvalidFields("too many documents", apperr.Field("documents", "at most %d documents in one revision request", maxRevisions))
	}
	clean := make([]Revision, 0, len(revisions))
	var fields []apperr.FieldError
	for i, r := range revisions {
		r = Revision{Requirement: strings.TrimSpace(r.Requirement), Note: strings.TrimSpace(r.Note)}
		name := "requirement"
		if len(revisions) > 1 {
			name = fmt.Sprintf("documents[%d].requirement", i)
		}
		switch {
		case r.Requirement == "":
			fields = append(fields, apperr.Field(name, "required"))
		case a.Terms != nil && !a.hasRequirement(r.Requirement):
			fields = append(fields, apperr.Field(name, "%q is not a requirement of %s", r.Requirement, a.Terms.LicenseType))
		case slices.ContainsFunc(clean, func(c Revision) bool { return c.Requirement == r.Requirement }):
			fields = append(fields, apperr.Field(name, "%q is named twice; give it one comment", r.Requirement))
		}
		clean = append(clean, r)
	}
	if len(fields) > 0 {
		return nil, apperr.InvalidFields("name each document to revise once, among the application's requirements", fields...)
	}
	s, err := a.move(ActionRequestRevision, actor, now)
	if err != nil {
		return nil, err
	}
	a.Revisions = clean
	a.RevisionRequirement, a.RevisionNote = clean[0].Requirement, clean[0].Note
	a.SLA.Pause(now, cal)
	return []Step{s}, nil
}

// MissingRequirements lists the requirements of the frozen terms without a
// document among uploaded.
func (a *Application) MissingRequirements(uploaded []string) []string {
	if a.Terms == nil {
		return nil
	}
	missing := []string{}
	for _, r := range a.Terms.Requirements {
		if !slices.Contains(uploaded, r.Code) {
			missing = append(missing, r.Code)
		}
	}
	return missing
}

func (a *Application) hasRequirement(code string) bool {
	for _, r := range a.Terms.Requirements {
		if r.Code == code {
			return true
		}
	}
	return false
}

// Resubmit answers a revision; the SLA clock runs on from where it paused.
func (a *Application) Resubmit(actor Actor, now time.Time, cal Calendar) ([]Step, error) {
	s, err := a.move(ActionResubmit, actor, now)
	if err != nil {
		return nil, err
	}
	a.SLA.Start(now, cal)
	return []Step{s}, nil
}

// Approve decides in favour; the license is issued or its fee requested.
func (a *Application) Approve(actor Actor, now time.Time, cal Calendar) ([]Step, error) {
	s, err := a.move(ActionApprove, actor, now)
	if err != nil {
		return nil, err
	}
	a.decided(now, cal)
	return a.afterApproval([]Step{s}, now)
}

// Reject decides against, with a reason.
func (a *Application) Reject(actor Actor, reason string, now time.Time, cal Calendar) ([]Step, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, apperr.InvalidFields("give the reason for the rejection", apperr.Field("reason", "required"))
	}
	s, err := a.move(ActionReject, actor, now)
	if err != nil {
		return nil, err
	}
	a.Reason = reason
	a.decided(now, cal)
	return []Step{s}, nil
}

// Withdraw is the applicant's taking back before a decision.
func (a *Application) Withdraw(actor Actor, now time.Time, cal Calendar) ([]Step, error) {
	s, err := a.move(ActionWithdraw, actor, now)
	if err != nil {
		return nil, err
	}
	a.SLA.Pause(now, cal)
	return []Step{s}, nil
}

// DeemApprove applies the fiktif-positif rule: once the SLA has run out
// without a decision, the application counts as approved.
func (a *Application) DeemApprove(now time.Time, cal Calendar) ([]Step, error) {
	if !a.SLA.Overdue(now) {
		return nil, apperr.New(apperr.Conflict, "the SLA of this application has not run out").With("current_state", string(a.State))
	}
	s, err := a.move(ActionDeemApprove, ActorSystem, now)
	if err != nil {
		return nil, err
	}
	a.decided(now, cal)
	return a.afterApproval([]Step{s}, now)
}

// IssueOnPayment issues the license of an application whose fee was paid.
func (a *Application) IssueOnPayment(now time.Time) ([]Step, error) {
	s, err := a.move(ActionIssue, ActorSystem, now)
	if err != nil {
		return nil, err
	}
	return []Step{s}, nil
}

func (a *Application) decided(now time.Time, cal Calendar) {
	a.SLA.Pause(now, cal)
	at := now.UTC()
	a.DecidedAt = &at
}

// afterApproval issues a free license at once, or asks for the fee.
func (a *Application) afterApproval(steps []Step, now time.Time) ([]Step, error) {
	action := ActionIssue
	if a.Terms != nil && a.Terms.Fee > 0 {
		action = ActionRequestFee
	}
	s, err := a.move(action, ActorSystem, now)
	if err != nil {
		return nil, err
	}
	return append(steps, s), nil
}

// WhoseTurn says who must act next and by when: the officer by the SLA
// deadline, the applicant during a revision or before paying, nobody once
// the application is closed.
func (a *Application) WhoseTurn() (Actor, *time.Time) {
	switch a.State {
	case StateSubmitted, StateInReview:
		return ActorOfficer, a.SLA.DueAt
	case StateDraft, StateRevisionRequested, StateAwaitingPayment:
		return ActorApplicant, nil
	default:
		return "", nil
	}
}
