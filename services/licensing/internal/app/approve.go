package app

import (
	"context"
	"time"

	"gerbang/services/licensing/internal/adapters/postgres"
	"gerbang/services/licensing/internal/domain"
)

// Approve decides in favour: the license is issued or its fee requested.
func (s *Service) Approve(ctx context.Context, c Caller, id string) (postgres.ApplicationRecord, error) {
	return s.move(ctx, c, id, domain.ActorOfficer, "", func(a *domain.Application, now time.Time, cal domain.Calendar, _ *postgres.Tx) ([]domain.Step, error) {
		return a.Approve(domain.ActorOfficer, now, cal)
	})
}
