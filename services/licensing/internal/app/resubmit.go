package app

import (
	"context"
	"time"

	"gerbang/services/licensing/internal/adapters/postgres"
	"gerbang/services/licensing/internal/domain"
)

// Resubmit answers a revision request.
func (s *Service) Resubmit(ctx context.Context, c Caller, id string) (postgres.ApplicationRecord, error) {
	return s.move(ctx, c, id, domain.ActorApplicant, "", func(a *domain.Application, now time.Time, cal domain.Calendar, _ *postgres.Tx) ([]domain.Step, error) {
		return a.Resubmit(domain.ActorApplicant, now, cal)
	})
}
