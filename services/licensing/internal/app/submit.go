package app

import (
	"context"
	"gerbang/pkg/caller"
	"time"

	"gerbang/services/licensing/internal/domain"
)

// Submit freezes the rules in force now; low and medium-low risk are
// issued (or sent to payment) at once, the others start their SLA.
func (s *Service) Submit(ctx context.Context, c caller.Caller, id string, version int) (ApplicationRecord, error) {
	return s.move(ctx, c, id, version, domain.ActorApplicant, "", func(a *domain.Application, now time.Time, cal domain.Calendar, tx Tx) ([]domain.Step, error) {
		if a.State != domain.StateDraft {
			_, err := domain.Next(a.State, domain.ActionSubmit, domain.ActorApplicant)
			return nil, err
		}
		d, err := tx.Determine(ctx, a.KBLI, a.Scale, a.Size, now)
		if err != nil {
			return nil, err
		}
		uploaded, err := tx.UploadedRequirements(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		return a.Submit(domain.ActorApplicant, d, uploaded, now, cal)
	})
}
