package app

import (
	"context"
	"slices"
	"time"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
	"gerbang/services/tender/internal/adapters/postgres"
	"gerbang/services/tender/internal/domain"
)

// CreateTender stores a draft; the creating procurement officer is always
// on its committee.
func (s *Service) CreateTender(ctx context.Context, c Caller, terms domain.Terms) (*domain.Tender, error) {
	if !c.HasRole(auth.RoleProcurementOfficer) {
		return nil, apperr.New(apperr.Forbidden, "only procurement officers create tenders")
	}
	if !slices.Contains(terms.Committee, c.Subject) {
		terms.Committee = append(terms.Committee, c.Subject)
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	now := s.now()
	number, err := s.store.NextTenderNumber(ctx, now)
	if err != nil {
		return nil, err
	}
	t, err := domain.NewTender(id, number, terms, c.Subject, now)
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateTender(ctx, t, c.who(), now); err != nil {
		return nil, err
	}
	return t, nil
}

// Tender returns a tender to the caller: drafts only to their committee.
func (s *Service) Tender(ctx context.Context, c Caller, id string) (*domain.Tender, error) {
	t, err := s.store.Tender(ctx, id)
	if err != nil {
		return nil, err
	}
	if t.State == domain.StateDraft && c.actorOn(t) != domain.ActorCommittee {
		return nil, apperr.New(apperr.NotFound, "no such tender")
	}
	return t, nil
}

// update runs a committee action on a tender.
func (s *Service) update(ctx context.Context, c Caller, id string, version int, fn func(t *domain.Tender, by domain.Actor) (postgres.Change, error)) (*domain.Tender, error) {
	return s.updateReading(ctx, c, id, version, func(t *domain.Tender, by domain.Actor, _ postgres.Reader) (postgres.Change, error) {
		return fn(t, by)
	})
}

// updateReading is update for actions that read more than the tender.
func (s *Service) updateReading(ctx context.Context, c Caller, id string, version int, fn func(t *domain.Tender, by domain.Actor, r postgres.Reader) (postgres.Change, error)) (*domain.Tender, error) {
	return s.store.UpdateTender(ctx, id, version, c.who(), s.now(), func(t *domain.Tender, r postgres.Reader) (postgres.Change, error) {
		// Every update is a committee action: anyone else is refused before
		// the state is even considered (a draft is not shown to them at all).
		by := c.actorOn(t)
		if by != domain.ActorCommittee {
			if t.State == domain.StateDraft {
				return postgres.Change{}, apperr.New(apperr.NotFound, "no such tender")
			}
			return postgres.Change{}, apperr.New(apperr.Forbidden, "only the tender's committee may do this")
		}
		return fn(t, by, r)
	})
}

// EditTender replaces a draft's terms.
func (s *Service) EditTender(ctx context.Context, c Caller, id string, version int, terms domain.Terms) (*domain.Tender, error) {
	return s.update(ctx, c, id, version, func(t *domain.Tender, by domain.Actor) (postgres.Change, error) {
		if !slices.Contains(terms.Committee, c.Subject) {
			terms.Committee = append(terms.Committee, c.Subject)
		}
		if err := t.Edit(terms, by); err != nil {
			return postgres.Change{}, err
		}
		return postgres.Change{Effect: postgres.Effect{Action: "tender.edit"}, CommitteeChanged: true}, nil
	})
}

// PublishTender announces a draft, generating its sealing key.
func (s *Service) PublishTender(ctx context.Context, c Caller, id string, version int) (*domain.Tender, error) {
	now := s.now()
	return s.update(ctx, c, id, version, func(t *domain.Tender, by domain.Actor) (postgres.Change, error) {
		if err := domain.CheckTransition(t.State, domain.StateAnnounced, by); err != nil {
			return postgres.Change{}, err
		}
		pub, wrapped, err := s.kek.NewTenderKey(t.ID)
		if err != nil {
			return postgres.Change{}, err
		}
		if err := t.Publish(by, now, pub, wrapped); err != nil {
			return postgres.Change{}, err
		}
		return postgres.Change{Effect: postgres.Effect{Action: "tender.publish", Events: []postgres.Event{
			{Type: "tender.tender.published", Data: publishedData(t)},
		}}}, nil
	})
}

func publishedData(t *domain.Tender) map[string]any {
	d := map[string]any{
		"tender_id": t.ID, "number": t.Number, "title": t.Title, "buyer_agency": t.BuyerAgency,
		"category": t.Category, "kbli": t.KBLI, "evaluation_method": t.Evaluation.Method,
		"bid_period_start": t.BidPeriodStart, "bid_deadline": t.BidDeadline,
		"bid_security": map[string]any{"amount": t.BidSecurityAmount, "currency": "IDR"},
		"published_at": t.PublishedAt,
	}
	if t.HPSPublic {
		d["hps"] = map[string]any{"amount": t.HPS, "currency": "IDR"}
	}
	return d
}

// AmendTender publishes an addendum.
func (s *Service) AmendTender(ctx context.Context, c Caller, id string, version int, terms domain.Terms) (*domain.Tender, bool, error) {
	now := s.now()
	var extended bool
	t, err := s.update(ctx, c, id, version, func(t *domain.Tender, by domain.Actor) (postgres.Change, error) {
		var err error
		if extended, err = t.Amend(by, terms, now); err != nil {
			return postgres.Change{}, err
		}
		return postgres.Change{
			Effect: postgres.Effect{Action: "tender.amend", Events: []postgres.Event{{Type: "tender.tender.amended", Data: map[string]any{
				"tender_id": t.ID, "amendment": t.Amendment, "bid_deadline": t.BidDeadline,
				"deadline_extended": extended, "bids_need_confirmation": true, "amended_at": now,
			}}}},
			Addendum: &postgres.Addendum{Number: t.Amendment, Terms: t.Terms, DeadlineExtended: extended},
		}, nil
	})
	return t, extended, err
}

// CancelTender cancels an active tender with a reason.
func (s *Service) CancelTender(ctx context.Context, c Caller, id, reason string) (*domain.Tender, error) {
	now := s.now()
	return s.update(ctx, c, id, 0, func(t *domain.Tender, by domain.Actor) (postgres.Change, error) {
		if err := t.Cancel(by, reason); err != nil {
			return postgres.Change{}, err
		}
		return postgres.Change{Effect: postgres.Effect{Action: "tender.cancel", Reason: t.Reason, Events: endedEvents(t, now)}}, nil
	})
}

// FailTender declares an active tender failed with a reason.
func (s *Service) FailTender(ctx context.Context, c Caller, id, reason string) (*domain.Tender, error) {
	now := s.now()
	return s.update(ctx, c, id, 0, func(t *domain.Tender, by domain.Actor) (postgres.Change, error) {
		if err := t.Fail(by, reason); err != nil {
			return postgres.Change{}, err
		}
		return postgres.Change{Effect: postgres.Effect{Action: "tender.fail", Reason: t.Reason, Events: endedEvents(t, now)}}, nil
	})
}

// endedEvents announce a tender that ended without an award (cancelled or
// failed): its own event and, when it asked for bid securities,
// tender.award.finalised without a winner, on which payment releases every
// security of the tender.
func endedEvents(t *domain.Tender, now time.Time) []postgres.Event {
	var evs []postgres.Event
	if t.State == domain.StateCancelled {
		evs = append(evs, postgres.Event{Type: "tender.tender.cancelled", Data: map[string]any{"tender_id": t.ID, "reason": t.Reason, "cancelled_at": now}})
	} else {
		evs = append(evs, postgres.Event{Type: "tender.tender.failed", Data: map[string]any{"tender_id": t.ID, "reason": t.Reason, "failed_at": now}})
	}
	if t.BidSecurityAmount > 0 {
		evs = append(evs, postgres.Event{Type: "tender.award.finalised", Data: map[string]any{
			"tender_id": t.ID, "vendor": "", "outcome": string(t.State), "finalised_at": now}})
	}
	return evs
}
