package app

import (
	"context"
	"log/slog"
	"time"

	"gerbang/services/tender/internal/adapters/postgres"
	"gerbang/services/tender/internal/domain"
)

// AdvanceDueTenders makes every time-driven move whose time has come by the
// clock: the bid period starts, the bid deadline passes, the objection
// period ends. Safe with several instances (each tender is claimed with
// FOR UPDATE SKIP LOCKED). It returns how many tenders moved.
func (s *Service) AdvanceDueTenders(ctx context.Context) (int, error) {
	moved := 0
	for _, kind := range []postgres.Due{postgres.DueBidPeriodStart, postgres.DueBidDeadline, postgres.DueObjectionEnd} {
		for {
			now := s.now()
			ok, err := s.store.AdvanceDue(ctx, kind, now, schedulerWho, func(t *domain.Tender, f postgres.Facts) (postgres.Change, error) {
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

func scheduledMove(kind postgres.Due, t *domain.Tender, f postgres.Facts, now time.Time) (postgres.Change, error) {
	switch kind {
	case postgres.DueBidPeriodStart:
		if err := t.StartTendering(now); err != nil {
			return postgres.Change{}, err
		}
		return postgres.Change{Effect: postgres.Effect{Action: "tender.start_tendering", Events: []postgres.Event{
			{Type: "tender.tender.tendering_started", Data: map[string]any{"tender_id": t.ID, "bid_deadline": t.BidDeadline, "started_at": now}},
		}}}, nil
	case postgres.DueBidDeadline:
		if err := t.CloseBidding(now, f.LiveBids); err != nil {
			return postgres.Change{}, err
		}
		if t.State == domain.StateFailed {
			return postgres.Change{Effect: postgres.Effect{Action: "tender.close_bidding", Reason: t.Reason,
				Events: endedEvents(t, now)}}, nil
		}
		return postgres.Change{Effect: postgres.Effect{Action: "tender.close_bidding", Events: []postgres.Event{
			{Type: "tender.tender.bidding_closed", Data: map[string]any{"tender_id": t.ID, "bids": f.LiveBids, "closed_at": now}},
		}}}, nil
	default:
		if err := t.FinaliseAward(now, f.UnansweredObjections); err != nil {
			return postgres.Change{}, err
		}
		data := map[string]any{"tender_id": t.ID, "outcome": "awarded", "finalised_at": now}
		if f.Award != nil {
			data["bid_id"], data["vendor"] = f.Award.BidID, f.Award.Vendor
			data["value"] = map[string]any{"amount": f.Award.Price, "currency": "IDR"}
		}
		return postgres.Change{Effect: postgres.Effect{Action: "tender.finalise_award", Events: []postgres.Event{
			{Type: "tender.award.finalised", Data: data},
		}}}, nil
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
