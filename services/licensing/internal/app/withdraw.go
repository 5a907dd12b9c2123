package app

import (
	"context"
	"gerbang/pkg/caller"
	"time"

	"gerbang/services/licensing/internal/domain"
)

// Withdraw takes an application back before a decision.
func (s *Service) Withdraw(ctx context.Context, c caller.Caller, id string, version int) (ApplicationRecord, error) {
	return s.move(ctx, c, id, version, domain.ActorApplicant, "", func(a *domain.Application, now time.Time, cal domain.Calendar, _ Tx) ([]domain.Step, error) {
		return a.Withdraw(domain.ActorApplicant, now, cal)
	})
}
