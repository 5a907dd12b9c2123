package app

import (
	"context"
	"slices"
	"time"

	"gerbang/pkg/apperr"
	"gerbang/pkg/auth"
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
	if err := t.VisibleTo(c.actorOn(t)); err != nil {
		return nil, err
	}
	return t, nil
}

// BidsToConfirm is how many live bids of t its committee waits on to be
// confirmed again after the latest addendum (0 before any).
func (s *Service) BidsToConfirm(ctx context.Context, c Caller, t *domain.Tender) (int, error) {
	if !c.CommitteeView(t) {
		return 0, apperr.New(apperr.Forbidden, "only the tender's committee counts the bids to confirm")
	}
	if t.Amendment == 0 {
		return 0, nil
	}
	return s.store.BidsToConfirm(ctx, t.ID, t.Amendment)
}

// CommitteeView reports whether the caller reads t as its committee (the
// committee, and a hidden HPS, are shown only then).
func (c Caller) CommitteeView(t *domain.Tender) bool { return c.actorOn(t) == domain.ActorCommittee }

// PublicTender returns a tender to anyone: a draft does not exist.
func (s *Service) PublicTender(ctx context.Context, id string) (*domain.Tender, error) {
	t, err := s.store.Tender(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := t.VisibleTo(domain.ActorOther); err != nil {
		return nil, err
	}
	return t, nil
}

// MaxPageSize is the largest page of a list.
const MaxPageSize = 100

// PublishedTenders lists a page of published tenders, newest first, after
// the cursor when given; next is set when more follow.
func (s *Service) PublishedTenders(ctx context.Context, search domain.TenderSearch, limit int, after *TenderCursor) (page []*domain.Tender, next *TenderCursor, err error) {
	if limit < 1 || limit > MaxPageSize {
		return nil, nil, apperr.InvalidFields("limit is 1 to 100", apperr.Field("query.limit", "must be between 1 and %d", MaxPageSize))
	}
	list, err := s.store.PublishedTenders(ctx, search, limit+1, after)
	if err != nil {
		return nil, nil, err
	}
	if len(list) > limit {
		last := list[limit-1]
		return list[:limit], &TenderCursor{PublishedAt: *last.PublishedAt, ID: last.ID}, nil
	}
	return list, nil, nil
}

// update runs a committee action on a tender.
func (s *Service) update(ctx context.Context, c Caller, id string, version int, fn func(t *domain.Tender, by domain.Actor) (Change, error)) (*domain.Tender, error) {
	return s.updateReading(ctx, c, id, version, func(t *domain.Tender, by domain.Actor, _ Reader) (Change, error) {
		return fn(t, by)
	})
}

// updateReading is update for actions that read more than the tender.
func (s *Service) updateReading(ctx context.Context, c Caller, id string, version int, fn func(t *domain.Tender, by domain.Actor, r Reader) (Change, error)) (*domain.Tender, error) {
	return s.store.UpdateTender(ctx, id, version, c.who(), s.now(), func(t *domain.Tender, r Reader) (Change, error) {
		// Every update is a committee action: anyone else is refused before
		// the state is even considered (a draft is not shown to them at all).
		by := c.actorOn(t)
		if err := t.VisibleTo(by); err != nil {
			return Change{}, err
		}
		if by != domain.ActorCommittee {
			return Change{}, apperr.New(apperr.Forbidden, "only the tender's committee may do this")
		}
		return fn(t, by, r)
	})
}

// EditTender replaces a draft's terms.
func (s *Service) EditTender(ctx context.Context, c Caller, id string, version int, terms domain.Terms) (*domain.Tender, error) {
	return s.update(ctx, c, id, version, func(t *domain.Tender, by domain.Actor) (Change, error) {
		if !slices.Contains(terms.Committee, c.Subject) {
			terms.Committee = append(terms.Committee, c.Subject)
		}
		if err := t.Edit(terms, by); err != nil {
			return Change{}, err
		}
		return Change{Effect: Effect{Action: "tender.edit"}, CommitteeChanged: true}, nil
	})
}

// PublishTender announces a draft, generating its sealing key.
func (s *Service) PublishTender(ctx context.Context, c Caller, id string, version int) (*domain.Tender, error) {
	now := s.now()
	return s.update(ctx, c, id, version, func(t *domain.Tender, by domain.Actor) (Change, error) {
		if err := t.Can(domain.ActionPublish, by); err != nil {
			return Change{}, err
		}
		pub, wrapped, err := s.kek.NewTenderKey(t.ID)
		if err != nil {
			return Change{}, err
		}
		if err := t.Publish(by, now, pub, wrapped); err != nil {
			return Change{}, err
		}
		return Change{Effect: Effect{Action: "tender.publish", Events: []Event{publishedEvent(t)}}}, nil
	})
}

func publishedEvent(t *domain.Tender) TenderPublished {
	e := TenderPublished{
		TenderID: t.ID, Number: t.Number, Title: t.Title, BuyerAgency: t.BuyerAgency,
		Category: string(t.Category), KBLI: t.KBLI, EvaluationMethod: string(t.Evaluation.Method),
		BidPeriodStart: t.BidPeriodStart, BidDeadline: t.BidDeadline,
		BidSecurity: idr(t.BidSecurityAmount), PublishedAt: t.PublishedAt,
	}
	if t.HPSShownTo(domain.ActorOther) {
		h := idr(t.HPS)
		e.HPS = &h
	}
	return e
}

// AmendTender publishes an addendum.
func (s *Service) AmendTender(ctx context.Context, c Caller, id string, version int, terms domain.Terms) (*domain.Tender, bool, error) {
	now := s.now()
	var extended bool
	t, err := s.update(ctx, c, id, version, func(t *domain.Tender, by domain.Actor) (Change, error) {
		var err error
		if extended, err = t.Amend(by, terms, now); err != nil {
			return Change{}, err
		}
		return Change{
			Effect: Effect{Action: "tender.amend", Events: []Event{TenderAmended{
				TenderID: t.ID, Amendment: t.Amendment, BidDeadline: t.BidDeadline,
				DeadlineExtended: extended, BidsNeedConfirmation: true, AmendedAt: now,
			}}},
			Addendum: &Addendum{Number: t.Amendment, Terms: t.Terms, DeadlineExtended: extended},
		}, nil
	})
	return t, extended, err
}

// CancelTender cancels an active tender with a reason.
func (s *Service) CancelTender(ctx context.Context, c Caller, id, reason string) (*domain.Tender, error) {
	now := s.now()
	return s.update(ctx, c, id, 0, func(t *domain.Tender, by domain.Actor) (Change, error) {
		if err := t.Cancel(by, reason); err != nil {
			return Change{}, err
		}
		return Change{Effect: Effect{Action: "tender.cancel", Reason: t.Reason, Events: endedEvents(t, now)}}, nil
	})
}

// FailTender declares an active tender failed with a reason.
func (s *Service) FailTender(ctx context.Context, c Caller, id, reason string) (*domain.Tender, error) {
	now := s.now()
	return s.update(ctx, c, id, 0, func(t *domain.Tender, by domain.Actor) (Change, error) {
		if err := t.Fail(by, reason); err != nil {
			return Change{}, err
		}
		return Change{Effect: Effect{Action: "tender.fail", Reason: t.Reason, Events: endedEvents(t, now)}}, nil
	})
}

// endedEvents announce a tender that ended without an award (cancelled or
// failed): its own event and, when it asked for bid securities,
// tender.award.finalised without a winner, on which payment releases every
// security of the tender.
func endedEvents(t *domain.Tender, now time.Time) []Event {
	var evs []Event
	if t.State == domain.StateCancelled {
		evs = append(evs, TenderCancelled{TenderID: t.ID, Reason: t.Reason, CancelledAt: now})
	} else {
		evs = append(evs, TenderFailed{TenderID: t.ID, Reason: t.Reason, FailedAt: now})
	}
	if t.BidSecurityAmount > 0 {
		evs = append(evs, AwardFinalised{TenderID: t.ID, Vendor: "", Outcome: string(t.State), FinalisedAt: now})
	}
	return evs
}
