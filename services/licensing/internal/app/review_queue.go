package app

import (
	"context"

	"gerbang/pkg/caller"
	"gerbang/pkg/keyset"
	"gerbang/services/licensing/internal/domain"
)

// ReviewQueuePage is a page of the filtered queue, with the counts of the
// whole queue.
type ReviewQueuePage struct {
	Items      []ApplicationRecord
	NextCursor string
	Counts     domain.QueueCounts
}

// ReviewQueue lists what officers have to decide, by SLA due date, as f
// narrows it, beside what of the whole queue is due today and overdue.
// The cursor is the sort key of the previous page's last entry, so paging
// under a filter neither loses nor repeats an entry.
func (s *Service) ReviewQueue(ctx context.Context, c caller.Caller, f domain.QueueFilter, p keyset.Page) (ReviewQueuePage, error) {
	if err := mustBeOfficer(c); err != nil {
		return ReviewQueuePage{}, err
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return ReviewQueuePage{}, err
	}
	now := s.clock.Now()
	items, next, err := s.store.ReviewQueue(ctx, f.Select(now, cal), p)
	if err != nil {
		return ReviewQueuePage{}, err
	}
	// Of the queue's states, only those whose SLA clock runs (the deemable
	// ones) have a due date: a paused clock has none.
	counts, err := s.store.CountReviewQueue(ctx, domain.DeemableStates(), now, domain.EndOfDay(now))
	if err != nil {
		return ReviewQueuePage{}, err
	}
	return ReviewQueuePage{Items: items, NextCursor: next, Counts: counts}, nil
}
