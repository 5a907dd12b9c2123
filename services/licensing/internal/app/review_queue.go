package app

import (
	"context"

	"gerbang/services/licensing/internal/adapters/postgres"
)

// ReviewQueue lists what officers have to decide, by SLA due date.
func (s *Service) ReviewQueue(ctx context.Context, c Caller, p postgres.Page) ([]postgres.ApplicationRecord, string, error) {
	if err := c.officer(); err != nil {
		return nil, "", err
	}
	return s.store.ReviewQueue(ctx, p)
}
