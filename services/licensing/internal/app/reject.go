package app

import (
	"context"
	"time"

	"gerbang/services/licensing/internal/adapters/postgres"
	"gerbang/services/licensing/internal/domain"
)

// Reject decides against, with a reason.
func (s *Service) Reject(ctx context.Context, c Caller, id, reason string) (postgres.ApplicationRecord, error) {
	return s.move(ctx, c, id, domain.ActorOfficer, reason, func(a *domain.Application, now time.Time, cal domain.Calendar, _ *postgres.Tx) ([]domain.Step, error) {
		return a.Reject(domain.ActorOfficer, reason, now, cal)
	})
}
