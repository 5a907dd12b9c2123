package domain

import (
	"strings"
	"time"
	"unicode/utf8"

	"gerbang/pkg/apperr"
)

// Category is what a tender buys.
type Category string

const (
	CategoryGoods         Category = "goods"
	CategoryWorks         Category = "works"
	CategoryConsulting    Category = "consulting"
	CategoryOtherServices Category = "other_services"
)

// Defaults of a tender's terms.
const (
	DefaultObjectionDays = 5 // calendar days of the sanggah period
	DefaultMinBids       = 1 // fewer valid bids at the opening fail the tender
	// AmendmentNotice is how long bidders must have between an amendment
	// and the deadline; a closer deadline is pushed out to it.
	AmendmentNotice = 72 * time.Hour
)

// Terms is what the committee writes into a tender: everything a vendor
// reads before bidding.
type Terms struct {
	BuyerAgency       string
	Title             string
	Description       string
	Category          Category
	HPS               int64 // owner estimate in rupiah
	HPSPublic         bool
	KBLI              string // 5-digit code the bidder must hold an active license for
	ProcurementMethod string
	Evaluation        EvaluationTerms
	BidSecurityAmount int64 // rupiah; 0 when none is required
	BidPeriodStart    time.Time
	BidDeadline       time.Time
	ObjectionDays     int
	MinBids           int
	Committee         []string // subjects (user ids) of the procurement officers on the committee
}

// Validate checks the terms on their own (not against the clock).
func (t Terms) Validate() error {
	var f []apperr.FieldError
	need := func(field, v string, max int) {
		switch {
		case strings.TrimSpace(v) == "":
			f = append(f, apperr.Field(field, "is required"))
		case utf8.RuneCountInString(v) > max:
			f = append(f, apperr.Field(field, "is longer than %d characters", max))
		}
	}
	need("buyer_agency", t.BuyerAgency, 200)
	need("title", t.Title, 300)
	need("procurement_method", t.ProcurementMethod, 50)
	if utf8.RuneCountInString(t.Description) > 20000 {
		f = append(f, apperr.Field("description", "is longer than 20000 characters"))
	}
	switch t.Category {
	case CategoryGoods, CategoryWorks, CategoryConsulting, CategoryOtherServices:
	default:
		f = append(f, apperr.Field("category", "must be goods, works, consulting or other_services"))
	}
	if t.HPS <= 0 || t.HPS > MaxHPS {
		f = append(f, apperr.Field("hps", "must be a positive amount of rupiah, at most %d", MaxHPS))
	}
	if !IsKBLI(t.KBLI) {
		f = append(f, apperr.Field("kbli", "must be a 5-digit KBLI code"))
	}
	if t.BidSecurityAmount < 0 || t.BidSecurityAmount > MaxBidSecurity {
		f = append(f, apperr.Field("bid_security_amount", "must be between 0 and %d rupiah", MaxBidSecurity))
	}
	if t.BidPeriodStart.IsZero() {
		f = append(f, apperr.Field("bid_period_start", "is required"))
	}
	if t.BidDeadline.IsZero() {
		f = append(f, apperr.Field("bid_deadline", "is required"))
	} else if !t.BidDeadline.After(t.BidPeriodStart) {
		f = append(f, apperr.Field("bid_deadline", "must be after bid_period_start"))
	}
	if t.ObjectionDays < 1 || t.ObjectionDays > 30 {
		f = append(f, apperr.Field("objection_days", "must be between 1 and 30"))
	}
	if t.MinBids < 1 {
		f = append(f, apperr.Field("min_bids", "must be at least 1"))
	}
	if len(t.Committee) == 0 {
		f = append(f, apperr.Field("committee", "needs at least one procurement officer"))
	}
	f = append(f, t.Evaluation.validate()...)
	if len(f) > 0 {
		return apperr.InvalidFields("the tender's terms are incomplete or wrong", f...)
	}
	return nil
}

// IsKBLI reports whether s is a 5-digit KBLI code.
func IsKBLI(s string) bool {
	if len(s) != 5 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// WithDefaults fills the terms a committee may leave out.
func (t Terms) WithDefaults() Terms {
	if t.ObjectionDays == 0 {
		t.ObjectionDays = DefaultObjectionDays
	}
	if t.MinBids == 0 {
		t.MinBids = DefaultMinBids
	}
	return t
}

// Tender is one procurement. Its fields are read freely; they change only
// through its methods, which enforce the machine.
type Tender struct {
	ID     string
	Number string // TND-2026-0042
	Terms
	State     State
	Version   int // bumped by every change; If-Match compares it
	Amendment int // number of the latest addendum; 0 before any
	// PublicKey is the HPKE public key bids are sealed to; WrappedKey is its
	// private key, wrapped by the key-encryption key.
	PublicKey        []byte
	WrappedKey       []byte
	CreatedBy        string
	CreatedAt        time.Time
	PublishedAt      *time.Time
	OpeningStartedAt *time.Time
	ObjectionEndsAt  *time.Time
	Reason           string     // why it was cancelled or failed
	EndedAt          *time.Time // when it reached a terminal state (set by the store)
}

// NewTender builds a draft tender from validated terms.
func NewTender(id, number string, terms Terms, createdBy string, now time.Time) (*Tender, error) {
	terms = terms.WithDefaults()
	if err := terms.Validate(); err != nil {
		return nil, err
	}
	if createdBy == "" {
		return nil, apperr.New(apperr.Invalid, "a tender needs its creator")
	}
	return &Tender{ID: id, Number: number, Terms: terms, State: StateDraft, Version: 1,
		CreatedBy: createdBy, CreatedAt: now}, nil
}

// IsCommitteeMember reports whether subject sits on the tender's committee.
func (t *Tender) IsCommitteeMember(subject string) bool {
	for _, m := range t.Committee {
		if m == subject {
			return true
		}
	}
	return false
}

// ActorFor classifies a person acting on this tender: a procurement officer
// on its committee, or someone else.
func (t *Tender) ActorFor(subject string, isProcurementOfficer bool) Actor {
	if isProcurementOfficer && t.IsCommitteeMember(subject) {
		return ActorCommittee
	}
	return ActorOther
}

// NoSuchTender is how a tender that the caller may not see is answered:
// as if it did not exist.
func NoSuchTender() error { return apperr.New(apperr.NotFound, "no such tender") }

// VisibleTo is the one rule of who sees a tender: a draft only its
// committee; to anyone else it does not exist (NoSuchTender).
func (t *Tender) VisibleTo(by Actor) error {
	if t.State == StateDraft && by != ActorCommittee {
		return NoSuchTender()
	}
	return nil
}

// HPSShownTo is the one rule of who reads the owner estimate: the
// committee always, anyone else (the public, vendors, events, open data)
// only when the committee made it public.
func (t Terms) HPSShownTo(by Actor) bool { return t.HPSPublic || by == ActorCommittee }

// Edit replaces the terms of a draft.
func (t *Tender) Edit(terms Terms, by Actor) error {
	if by != ActorCommittee {
		return apperr.New(apperr.Forbidden, "only the tender's committee may edit it")
	}
	if t.State != StateDraft {
		return apperr.New(apperr.Conflict, "a published tender changes only by an amendment").
			With("current_state", string(t.State))
	}
	terms = terms.WithDefaults()
	if err := terms.Validate(); err != nil {
		return err
	}
	t.Terms = terms
	t.Version++
	return nil
}

// Publish announces the draft: the bid period must still be ahead, and the
// tender gets the key bids will be sealed to.
func (t *Tender) Publish(by Actor, now time.Time, publicKey, wrappedKey []byte) error {
	if err := t.move(ActionPublish, by); err != nil {
		return err
	}
	if !t.BidPeriodStart.After(now) {
		t.State = StateDraft
		return apperr.InvalidFields("the bid period must start after the announcement",
			apperr.Field("bid_period_start", "is not in the future"))
	}
	t.PublicKey, t.WrappedKey = publicKey, wrappedKey
	t.PublishedAt = &now
	return nil
}

// Can says whether by may take action on the tender now (the machine
// only; the action's own conditions are checked by its method).
func (t *Tender) Can(action Action, by Actor) error {
	_, err := Next(t.State, action, by)
	return err
}

// move checks and applies a move of the machine.
func (t *Tender) move(action Action, by Actor) error {
	to, err := Next(t.State, action, by)
	if err != nil {
		return err
	}
	t.State = to
	t.Version++
	return nil
}

// StartTendering opens the bid period, by the scheduler once it has begun.
func (t *Tender) StartTendering(now time.Time) error {
	if now.Before(t.BidPeriodStart) {
		return apperr.New(apperr.Conflict, "the bid period starts at %s", t.BidPeriodStart.Format(time.RFC3339)).
			With("current_state", string(t.State))
	}
	return t.move(ActionStartTendering, ActorScheduler)
}

// CloseBidding ends the bid period, by the scheduler once the deadline has
// passed: to the opening, or to failed when no bid came in.
func (t *Tender) CloseBidding(now time.Time, bids int) error {
	if !now.After(t.BidDeadline) {
		return apperr.New(apperr.Conflict, "the bid deadline is %s", t.BidDeadline.Format(time.RFC3339)).
			With("current_state", string(t.State))
	}
	if bids == 0 {
		if err := t.move(ActionFail, ActorScheduler); err != nil {
			return err
		}
		t.Reason = "no bid was submitted before the deadline"
		return nil
	}
	return t.move(ActionCloseBidding, ActorScheduler)
}

// AcceptsQuestions says whether clarification questions are taken: during
// the announcement and the bid period, before the deadline.
func (t *Tender) AcceptsQuestions(now time.Time) error {
	if (t.State != StateAnnounced && t.State != StateTendering) || now.After(t.BidDeadline) {
		return apperr.New(apperr.Conflict, "questions are taken only before the bid deadline of a published tender").
			With("current_state", string(t.State))
	}
	return nil
}

// StartOpening marks that the committee has started the opening, after the
// deadline; only from then may the tender's private key be unwrapped.
func (t *Tender) StartOpening(by Actor, now time.Time) error {
	if by != ActorCommittee {
		return apperr.New(apperr.Forbidden, "only the tender's committee may open the bids")
	}
	if t.State != StateOpening {
		return apperr.New(apperr.Conflict, "bids are opened only in state opening, after the deadline").
			With("current_state", string(t.State))
	}
	if !now.After(t.BidDeadline) {
		return apperr.New(apperr.Conflict, "the bid deadline has not passed").With("current_state", string(t.State))
	}
	if t.OpeningStartedAt == nil {
		t.OpeningStartedAt = &now
		t.Version++
	}
	return nil
}

// FinishOpening records the end of the opening: to evaluation, or to failed
// when fewer valid bids than the minimum remain.
func (t *Tender) FinishOpening(by Actor, validBids int) error {
	if t.OpeningStartedAt == nil {
		return apperr.New(apperr.Conflict, "the opening has not started").With("current_state", string(t.State))
	}
	if validBids < t.MinBids {
		if err := t.move(ActionFail, by); err != nil {
			return err
		}
		t.Reason = "too few valid bids at the opening"
		return nil
	}
	return t.move(ActionFinishOpening, by)
}

// ProposeAward records the ranking's winner as proposed.
func (t *Tender) ProposeAward(by Actor) error { return t.move(ActionProposeAward, by) }

// AnnounceAward announces the proposed award and opens the objection period.
func (t *Tender) AnnounceAward(by Actor, now time.Time) error {
	if err := t.move(ActionAnnounceAward, by); err != nil {
		return err
	}
	ends := now.Add(time.Duration(t.ObjectionDays) * 24 * time.Hour)
	t.ObjectionEndsAt = &ends
	return nil
}

// AcceptsObjections says whether an objection may be filed at now.
func (t *Tender) AcceptsObjections(now time.Time) error {
	if t.State != StateObjectionPeriod || t.ObjectionEndsAt == nil || now.After(*t.ObjectionEndsAt) {
		return apperr.New(apperr.Conflict, "objections are taken only during the objection period").
			With("current_state", string(t.State))
	}
	return nil
}

// FinaliseAward makes the award final, by the scheduler once the objection
// period has ended and every objection is answered.
func (t *Tender) FinaliseAward(now time.Time, unanswered int) error {
	if t.State == StateObjectionPeriod && (t.ObjectionEndsAt == nil || !now.After(*t.ObjectionEndsAt)) {
		return apperr.New(apperr.Conflict, "the objection period has not ended").With("current_state", string(t.State))
	}
	if unanswered > 0 {
		return apperr.New(apperr.Conflict, "%d objections are not answered yet", unanswered).
			With("current_state", string(t.State))
	}
	return t.move(ActionFinaliseAward, ActorScheduler)
}

// ReturnToEvaluation follows an upheld objection that asks for a new
// evaluation.
func (t *Tender) ReturnToEvaluation(by Actor) error {
	if err := t.move(ActionReevaluate, by); err != nil {
		return err
	}
	t.ObjectionEndsAt = nil
	return nil
}

// RecordContract closes an awarded tender with its contract.
func (t *Tender) RecordContract(by Actor) error { return t.move(ActionRecordContract, by) }

// Cancel ends an active tender with a reason.
func (t *Tender) Cancel(by Actor, reason string) error { return t.end(ActionCancel, by, reason) }

// Fail ends an active tender as failed with a reason.
func (t *Tender) Fail(by Actor, reason string) error { return t.end(ActionFail, by, reason) }

func (t *Tender) end(action Action, by Actor, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return apperr.InvalidFields("a reason is required", apperr.Field("reason", "is required"))
	}
	if utf8.RuneCountInString(reason) > 2000 {
		return apperr.InvalidFields("the reason is too long", apperr.Field("reason", "is longer than 2000 characters"))
	}
	if err := t.move(action, by); err != nil {
		return err
	}
	t.Reason = reason
	return nil
}

// Amend publishes an addendum to the terms of an announced or tendering
// tender. A deadline closer than AmendmentNotice is pushed out to it, and
// bids submitted before must be confirmed again (they carry the amendment
// number they were confirmed against).
func (t *Tender) Amend(by Actor, terms Terms, now time.Time) (extended bool, err error) {
	if by != ActorCommittee {
		return false, apperr.New(apperr.Forbidden, "only the tender's committee may amend it")
	}
	if t.State != StateAnnounced && t.State != StateTendering {
		return false, apperr.New(apperr.Conflict, "a tender is amended only while announced or tendering").
			With("current_state", string(t.State))
	}
	if now.After(t.BidDeadline) {
		return false, apperr.New(apperr.Conflict, "the bid deadline has passed").With("current_state", string(t.State))
	}
	terms = terms.WithDefaults()
	if terms.KBLI != t.KBLI {
		// Who may bid was settled at publication; another KBLI is another tender.
		return false, apperr.InvalidFields("an amendment cannot change the required KBLI; cancel the tender and publish a new one",
			apperr.Field("kbli", "must stay %s", t.KBLI))
	}
	if t.State == StateTendering {
		terms.BidPeriodStart = t.BidPeriodStart // the bid period has begun; it cannot start again
	}
	if terms.BidDeadline.Before(t.BidDeadline) {
		return false, apperr.InvalidFields("an amendment cannot bring the deadline forward",
			apperr.Field("bid_deadline", "is earlier than the current deadline"))
	}
	if min := now.Add(AmendmentNotice); terms.BidDeadline.Before(min) {
		terms.BidDeadline = min
		extended = true
	}
	if err := terms.Validate(); err != nil {
		return false, err
	}
	terms.Committee = t.Committee // the committee is not an amendable term
	t.Terms = terms
	t.Amendment++
	t.Version++
	return extended, nil
}
