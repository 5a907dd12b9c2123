package app

import (
	"context"

	"gerbang/services/portal/internal/domain"
)

// Licensing is what the business's and the officer's pages ask of the
// licensing service, as the signed-in person (token): licensing decides what
// that person may see and do. Failures are apperr errors: Invalid with the
// fields at fault, NotFound, Conflict, PreconditionFailed (a stale version),
// and Unavailable wrapping an *Outage.
type Licensing interface {
	LicenseRegistry
	MyBusinesses(ctx context.Context, token string) ([]domain.Business, error)
	Business(ctx context.Context, token, id string) (domain.Business, error)
	// RegisterBusiness takes an idempotency key: the same key again gets
	// the same business (and NIB), not a second one.
	RegisterBusiness(ctx context.Context, token, key string, in domain.BusinessInput) (domain.Business, error)
	UpdateBusiness(ctx context.Context, token, id string, version int, in domain.BusinessInput) (domain.Business, error)
	KBLIRules(ctx context.Context) ([]domain.KBLIRule, error)
	Requirements(ctx context.Context, kbli, scale string, size int64) (domain.Requirements, error)
	MyApplications(ctx context.Context, token string) ([]domain.Application, error)
	MyLicenses(ctx context.Context, token string) ([]domain.IssuedLicense, error)
}
