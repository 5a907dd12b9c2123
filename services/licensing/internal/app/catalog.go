package app

import (
	"context"
	"time"

	"gerbang/services/licensing/internal/domain"
)

// LicenseTypes returns the catalog in force now.
func (s *Service) LicenseTypes(ctx context.Context) ([]domain.LicenseType, error) {
	return s.store.LicenseTypes(ctx, s.clock.Now())
}

// KBLIRules returns the risk rules in force now.
func (s *Service) KBLIRules(ctx context.Context) ([]domain.KBLIRule, error) {
	return s.store.KBLIRules(ctx, s.clock.Now())
}

// Requirements answers "what do I need" for a KBLI, a scale and the size
// figure the risk depends on, by the rules in force now (or at, if given).
func (s *Service) Requirements(ctx context.Context, kbli string, scale domain.Scale, size int64, at *time.Time) (domain.Determination, error) {
	when := s.clock.Now()
	if at != nil {
		when = *at
	}
	return s.store.Determine(ctx, kbli, scale, size, when)
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
