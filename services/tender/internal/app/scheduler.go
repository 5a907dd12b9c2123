package app

import (
	"context"
	"log/slog"
	"time"

	"gerbang/services/tender/internal/domain"
)

// AdvanceDueTenders makes every time-driven move whose time has come by the
// clock: the bid period starts, the bid deadline passes, the objection
// period ends. Safe with several instances (each tender is claimed with
// FOR UPDATE SKIP LOCKED). It returns how many tenders moved.
func (s *Service) AdvanceDueTenders(ctx context.Context) (int, error) {
	moved := 0
	for _, kind := range []Due{DueBidPeriodStart, DueBidDeadline, DueObjectionEnd} {
		for {
			now := s.now()
			ok, err := s.store.AdvanceDue(ctx, kind, now, schedulerWho, func(t *domain.Tender, f Facts) (Change, error) {
				return scheduledMove(kind, t, f, now)
			})
			if err != nil {
				return moved, err
			}
			if !ok {
				break
			}
			moved++
		}
	}
	return moved, nil
}

func scheduledMove(kind Due, t *domain.Tender, f Facts, now time.Time) (Change, error) {
	switch kind {
	case DueBidPeriodStart:
		if err := t.StartTendering(now); err != nil {
			return Change{}, err
		}
		return Change{Effect: Effect{Action: "tender.start_tendering", Events: []Event{
			TenderingStarted{TenderID: t.ID, BidDeadline: t.BidDeadline, StartedAt: now},
		}}}, nil
	case DueBidDeadline:
		if err := t.CloseBidding(now, f.LiveBids); err != nil {
			return Change{}, err
		}
		if t.State == domain.StateFailed {
			return Change{Effect: Effect{Action: "tender.close_bidding", Reason: t.Reason,
				Events: endedEvents(t, now)}}, nil
		}
		return Change{Effect: Effect{Action: "tender.close_bidding", Events: []Event{
			BiddingClosed{TenderID: t.ID, Bids: f.LiveBids, ClosedAt: now},
		}}}, nil
	default:
		if err := t.FinaliseAward(now, f.UnansweredObjections); err != nil {
			return Change{}, err
		}
		ev := AwardFinalised{TenderID: t.ID, Outcome: string(domain.StateAwarded), FinalisedAt: now}
		if f.Award != nil {
			v := idr(f.Award.Price)
			ev.BidID, ev.Vendor, ev.Value = f.Award.BidID, f.Award.Vendor, &v
		}
		return Change{Effect: Effect{Action: "tender.finalise_award", Events: []Event{ev}}}, nil
	}
}

// BidKeyRetention is how long the answer to a bid's Idempotency-Key is kept.
const BidKeyRetention = 24 * time.Hour

// RunScheduler advances due tenders every interval until ctx ends.
func (s *Service) RunScheduler(ctx context.Context, every time.Duration, log *slog.Logger) error {
	tick := time.NewTicker(every)
	defer tick.Stop()
	var purged time.Time
	for {
		if _, err := s.AdvanceDueTenders(ctx); err != nil && ctx.Err() == nil {
			log.Warn("scheduler pass failed", "err", err)
		}
		if now := s.now(); now.Sub(purged) > time.Minute {
			// Idempotency keys of bids are kept 24 hours.
			if _, err := s.store.PurgeBidRequests(ctx, now.Add(-BidKeyRetention)); err != nil && ctx.Err() == nil {
				log.Warn("purging bid idempotency keys failed", "err", err)
			}
			purged = now
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
