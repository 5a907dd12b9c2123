package app

import (
	"context"
	"gerbang/pkg/caller"
	"time"

	"gerbang/services/licensing/internal/domain"
)

// Approve decides in favour: the license is issued or its fee requested.
func (s *Service) Approve(ctx context.Context, c caller.Caller, id string, version int) (ApplicationRecord, error) {
	return s.move(ctx, c, id, version, domain.ActorOfficer, "", func(a *domain.Application, now time.Time, cal domain.Calendar, _ Tx) ([]domain.Step, error) {
		return a.Approve(domain.ActorOfficer, now, cal)
	})
}
