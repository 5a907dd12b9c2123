package app

import (
	"context"
	"gerbang/pkg/caller"
	"time"

	"gerbang/services/licensing/internal/domain"
)

// RequestRevision sends the application back about one requirement.
func (s *Service) RequestRevision(ctx context.Context, c caller.Caller, id string, version int, requirement, note string) (ApplicationRecord, error) {
	return s.move(ctx, c, id, version, domain.ActorOfficer, note, func(a *domain.Application, now time.Time, cal domain.Calendar, _ Tx) ([]domain.Step, error) {
		return a.RequestRevision(domain.ActorOfficer, requirement, note, now, cal)
	})
}
