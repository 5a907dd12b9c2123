package app

import (
	"context"
	"strings"
	"time"

	"gerbang/pkg/caller"
	"gerbang/services/licensing/internal/domain"
)

// Resubmit answers a revision request, with the applicant's note to the
// officer (kept in the application's history).
func (s *Service) Resubmit(ctx context.Context, c caller.Caller, id string, version int, note string) (ApplicationRecord, error) {
	return s.move(ctx, c, id, version, domain.ActorApplicant, strings.TrimSpace(note), func(a *domain.Application, now time.Time, cal domain.Calendar, _ Tx) ([]domain.Step, error) {
		return a.Resubmit(domain.ActorApplicant, now, cal)
	})
}
