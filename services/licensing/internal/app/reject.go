package app

import (
	"context"
	"gerbang/pkg/caller"
	"time"

	"gerbang/services/licensing/internal/domain"
)

// Reject decides against, with a reason.
func (s *Service) Reject(ctx context.Context, c caller.Caller, id string, version int, reason string) (ApplicationRecord, error) {
	return s.move(ctx, c, id, version, domain.ActorOfficer, reason, func(a *domain.Application, now time.Time, cal domain.Calendar, _ Tx) ([]domain.Step, error) {
		return a.Reject(domain.ActorOfficer, reason, now, cal)
	})
}
