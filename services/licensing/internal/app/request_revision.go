package app

import (
	"context"
	"time"

	"gerbang/services/licensing/internal/adapters/postgres"
	"gerbang/services/licensing/internal/domain"
)

// RequestRevision sends the application back about one requirement.
func (s *Service) RequestRevision(ctx context.Context, c Caller, id, requirement, note string) (postgres.ApplicationRecord, error) {
	return s.move(ctx, c, id, domain.ActorOfficer, note, func(a *domain.Application, now time.Time, cal domain.Calendar, _ *postgres.Tx) ([]domain.Step, error) {
		return a.RequestRevision(domain.ActorOfficer, requirement, note, now, cal)
	})
}
