package app

import (
	"context"
	"time"

	"gerbang/services/licensing/internal/adapters/postgres"
	"gerbang/services/licensing/internal/domain"
)

// StartReview is the completeness check: the review begins once every
// requirement has a document.
func (s *Service) StartReview(ctx context.Context, c Caller, id string) (postgres.ApplicationRecord, error) {
	return s.move(ctx, c, id, domain.ActorOfficer, "", func(a *domain.Application, now time.Time, _ domain.Calendar, tx *postgres.Tx) ([]domain.Step, error) {
		uploaded, err := tx.UploadedRequirements(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		return a.StartReview(domain.ActorOfficer, uploaded, now)
	})
}
