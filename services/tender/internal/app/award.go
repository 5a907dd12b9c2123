package app

import (
	"context"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/services/tender/internal/domain"
)

// Score is one of the caller's points for a criterion of a bid.
type Score struct {
	BidID     string
	Criterion string
	Points    int
}

// SubmitEvaluation records, during the evaluation, the committee's
// administrative and technical pass/fail of bids and the calling member's
// own scores (a member cannot score in another's name).
func (s *Service) SubmitEvaluation(ctx context.Context, c Caller, tenderID string, assessments []domain.Assessment, scores []Score) error {
	now := s.now()
	own := make([]domain.MemberScore, 0, len(scores))
	for _, sc := range scores {
		if sc.Points < 0 || sc.Points > 100 {
			return apperr.InvalidFields("points are 0 to 100", apperr.Field("scores.points", "must be between 0 and 100"))
		}
		own = append(own, domain.MemberScore{Member: c.Subject, BidID: sc.BidID, Criterion: sc.Criterion, Points: sc.Points})
	}
	return s.store.SaveAssessment(ctx, tenderID, c.who(), now, func(t *domain.Tender) error {
		by := c.actorOn(t)
		if err := t.VisibleTo(by); err != nil {
			return err
		}
		if by != domain.ActorCommittee {
			return apperr.New(apperr.Forbidden, "only the tender's committee evaluates its bids")
		}
		if t.State != domain.StateEvaluation {
			return apperr.New(apperr.Conflict, "bids are scored only during the evaluation").With("current_state", string(t.State))
		}
		return nil
	}, assessments, own)
}

// ProposeAward evaluates the opened bids by the tender's method and records
// the ranking and the proposed winner; when no bid qualifies, the tender
// fails with that reason.
func (s *Service) ProposeAward(ctx context.Context, c Caller, tenderID string) (*domain.Tender, *domain.Result, error) {
	now := s.now()
	var result domain.Result
	t, err := s.updateReading(ctx, c, tenderID, 0, func(t *domain.Tender, by domain.Actor, r Reader) (Change, error) {
		if err := t.Can(domain.ActionProposeAward, by); err != nil {
			return Change{}, err
		}
		opened, err := r.OpenedBids()
		if err != nil {
			return Change{}, err
		}
		assessments, err := r.Assessments()
		if err != nil {
			return Change{}, err
		}
		scores, err := r.Scores()
		if err != nil {
			return Change{}, err
		}
		if result, err = domain.Evaluate(t.Evaluation, t.HPS, opened, assessments, scores); err != nil {
			return Change{}, err
		}
		ch := Change{Evaluation: &result}
		if result.Winner == "" {
			if err := t.Fail(by, "every bid was disqualified at the evaluation"); err != nil {
				return Change{}, err
			}
			ch.Effect = Effect{Action: "tender.evaluate", Reason: t.Reason, Events: endedEvents(t, now)}
			return ch, nil
		}
		if err := t.ProposeAward(by); err != nil {
			return Change{}, err
		}
		w := result.Ranking[0]
		ch.Award = &AwardFact{BidID: w.BidID, Vendor: w.Vendor, Price: w.Price}
		ch.Effect = Effect{Action: "tender.propose_award"}
		return ch, nil
	})
	if err != nil {
		return nil, nil, err
	}
	return t, &result, nil
}

// AnnounceAward publishes the proposed award and opens the objection period.
func (s *Service) AnnounceAward(ctx context.Context, c Caller, tenderID string) (*domain.Tender, error) {
	now := s.now()
	return s.updateReading(ctx, c, tenderID, 0, func(t *domain.Tender, by domain.Actor, r Reader) (Change, error) {
		if err := t.AnnounceAward(by, now); err != nil {
			return Change{}, err
		}
		a, err := r.Award()
		if err != nil || a == nil {
			return Change{}, apperr.New(apperr.Conflict, "no award was proposed").With("current_state", string(t.State))
		}
		return Change{AwardAnnounced: true, Effect: Effect{Action: "tender.announce_award", Events: []Event{
			AwardProposed{TenderID: t.ID, BidID: a.BidID, Vendor: a.Vendor, Value: idr(a.Price), AnnouncedAt: now, ObjectionEndsAt: t.ObjectionEndsAt},
		}}}, nil
	})
}

// FileObjection records a bidder's objection (sanggah) during the objection
// period.
func (s *Service) FileObjection(ctx context.Context, c Caller, tenderID, arguments string, evidence []string) (Objection, error) {
	vendor, err := c.vendor()
	if err != nil {
		return Objection{}, err
	}
	args, err := checkText("arguments", arguments, 20000)
	if err != nil {
		return Objection{}, err
	}
	id, err := newID()
	if err != nil {
		return Objection{}, err
	}
	now := s.now()
	o := Objection{ID: id, TenderID: tenderID, Vendor: vendor, FiledBy: c.Subject, Arguments: args,
		Evidence: append([]string{}, evidence...), FiledAt: now}
	return s.store.FileObjection(ctx, o, c.who(), func(t *domain.Tender) error {
		if err := t.VisibleTo(domain.ActorOther); err != nil {
			return err
		}
		return t.AcceptsObjections(now)
	}, func(o Objection) Event {
		return ObjectionFiled{ObjectionID: o.ID, TenderID: o.TenderID, Vendor: o.Vendor, FiledAt: o.FiledAt}
	})
}

// Outcomes of an answered objection.
const (
	OutcomeRejected         = "rejected"
	OutcomeUpheldReevaluate = "upheld_reevaluate"
	OutcomeUpheldFail       = "upheld_fail"
)

// AnswerObjection records the committee's answer. An upheld objection sends
// the tender back to evaluation or to failed.
func (s *Service) AnswerObjection(ctx context.Context, c Caller, tenderID, objectionID, answer, outcome string) (*domain.Tender, error) {
	a, err := checkText("answer", answer, 20000)
	if err != nil {
		return nil, err
	}
	if outcome != OutcomeRejected && outcome != OutcomeUpheldReevaluate && outcome != OutcomeUpheldFail {
		return nil, apperr.InvalidFields("unknown outcome", apperr.Field("outcome", "must be rejected, upheld_reevaluate or upheld_fail"))
	}
	now := s.now()
	return s.update(ctx, c, tenderID, 0, func(t *domain.Tender, by domain.Actor) (Change, error) {
		if by != domain.ActorCommittee {
			return Change{}, apperr.New(apperr.Forbidden, "only the tender's committee answers objections")
		}
		if t.State != domain.StateObjectionPeriod {
			return Change{}, apperr.New(apperr.Conflict, "objections are answered during the objection period").With("current_state", string(t.State))
		}
		ch := Change{ObjectionAnswer: &ObjectionAnswer{ID: objectionID, Answer: a, Outcome: outcome},
			Effect: Effect{Action: "objection.answer", Events: []Event{
				ObjectionAnswered{ObjectionID: objectionID, TenderID: t.ID, Outcome: outcome, AnsweredAt: now}}}}
		switch outcome {
		case OutcomeUpheldReevaluate:
			if err := t.ReturnToEvaluation(by); err != nil {
				return Change{}, err
			}
		case OutcomeUpheldFail:
			if err := t.Fail(by, "objection upheld: "+a); err != nil {
				return Change{}, err
			}
			ch.Reason = t.Reason
			ch.Events = append(ch.Events, endedEvents(t, now)...)
		}
		return ch, nil
	})
}

// RecordContract records the contract of an awarded tender.
func (s *Service) RecordContract(ctx context.Context, c Caller, tenderID, number string, signedAt time.Time) (*domain.Tender, *Contract, error) {
	n, err := checkText("number", number, 100)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	if signedAt.IsZero() || signedAt.After(now) {
		return nil, nil, apperr.InvalidFields("the contract must have been signed", apperr.Field("signed_at", "is empty or in the future"))
	}
	var contract *Contract
	t, err := s.updateReading(ctx, c, tenderID, 0, func(t *domain.Tender, by domain.Actor, r Reader) (Change, error) {
		if err := t.RecordContract(by); err != nil {
			return Change{}, err
		}
		a, err := r.Award()
		if err != nil || a == nil {
			return Change{}, apperr.New(apperr.Conflict, "the tender has no award").With("current_state", string(t.State))
		}
		contract = &Contract{ID: uuid.Must(uuid.NewV7()).String(), TenderID: t.ID, Number: n, Vendor: a.Vendor,
			Value: a.Price, SignedAt: signedAt.UTC()}
		return Change{Contract: contract, Effect: Effect{Action: "tender.record_contract", Events: []Event{
			ContractSigned{ContractID: contract.ID, TenderID: t.ID, Number: n, Vendor: a.Vendor, Value: idr(a.Price), SignedAt: contract.SignedAt},
		}}}, nil
	})
	return t, contract, err
}

// Result returns the published evaluation result: once the award is
// announced (or the tender failed at its evaluation).
func (s *Service) Result(ctx context.Context, tenderID string) (*domain.Tender, *domain.Result, error) {
	t, err := s.store.Tender(ctx, tenderID)
	if err != nil {
		return nil, nil, err
	}
	switch t.State {
	case domain.StateObjectionPeriod, domain.StateAwarded, domain.StateContracted, domain.StateFailed, domain.StateCancelled:
	default:
		return nil, nil, apperr.New(apperr.NotFound, "the result of this tender is not published yet")
	}
	r, err := s.store.Evaluation(ctx, tenderID)
	if err != nil {
		return nil, nil, err
	}
	if r == nil {
		return nil, nil, apperr.New(apperr.NotFound, "this tender has no evaluation result")
	}
	return t, r, nil
}

// Objections lists a tender's objections: all of them to its committee,
// its own to a bidder.
func (s *Service) Objections(ctx context.Context, c Caller, tenderID string) ([]Objection, error) {
	t, err := s.store.Tender(ctx, tenderID)
	if err != nil {
		return nil, err
	}
	all, err := s.store.Objections(ctx, tenderID)
	if err != nil {
		return nil, err
	}
	if c.actorOn(t) == domain.ActorCommittee {
		return all, nil
	}
	vendor, err := c.vendor()
	if err != nil || t.VisibleTo(domain.ActorOther) != nil {
		return nil, domain.NoSuchTender()
	}
	own := []Objection{}
	for _, o := range all {
		if o.Vendor == vendor {
			own = append(own, o)
		}
	}
	return own, nil
}
