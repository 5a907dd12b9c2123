package app

import (
	"context"

	"gerbang/pkg/caller"
	"gerbang/pkg/keyset"
	"gerbang/services/licensing/internal/domain"
)

// ReviewQueue lists what officers have to decide, by SLA due date.
func (s *Service) ReviewQueue(ctx context.Context, c caller.Caller, p keyset.Page) ([]ApplicationRecord, string, error) {
	if err := mustBeOfficer(c); err != nil {
		return nil, "", err
	}
	return s.store.ReviewQueue(ctx, domain.ReviewQueueStates(), p)
}
