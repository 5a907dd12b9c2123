package app

import (
	"context"

	"gerbang/services/licensing/internal/adapters/postgres"
)

// Application returns an application the caller may see.
func (s *Service) Application(ctx context.Context, c Caller, id string) (postgres.ApplicationRecord, error) {
	return s.store.Application(ctx, id, c.owner())
}

// MyApplications lists the applications the caller may see: a business its
// own, officers and auditors all.
func (s *Service) MyApplications(ctx context.Context, c Caller, p postgres.Page) ([]postgres.ApplicationRecord, string, error) {
	return s.store.Applications(ctx, c.owner(), p)
}
