package app

import (
	"context"
	"gerbang/pkg/caller"
	"time"

	"gerbang/services/licensing/internal/domain"
)

// StartReview is the completeness check: the review begins once every
// requirement has a document.
func (s *Service) StartReview(ctx context.Context, c caller.Caller, id string, version int) (ApplicationRecord, error) {
	return s.move(ctx, c, id, version, domain.ActorOfficer, "", func(a *domain.Application, now time.Time, _ domain.Calendar, tx Tx) ([]domain.Step, error) {
		uploaded, err := tx.UploadedRequirements(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		return a.StartReview(domain.ActorOfficer, uploaded, now)
	})
}
