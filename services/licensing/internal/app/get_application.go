package app

import (
	"context"
	"gerbang/pkg/caller"
	"gerbang/pkg/keyset"
)

// Application returns an application the caller may see.
func (s *Service) Application(ctx context.Context, c caller.Caller, id string) (ApplicationRecord, error) {
	return s.store.Application(ctx, id, ownerOf(c))
}

// MyApplications lists the applications the caller may see: a business its
// own, officers and auditors all.
func (s *Service) MyApplications(ctx context.Context, c caller.Caller, p keyset.Page) ([]ApplicationRecord, string, error) {
	return s.store.Applications(ctx, ownerOf(c), p)
}
