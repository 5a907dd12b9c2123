package app

import (
	"context"

	"gerbang/pkg/apperr"
	"gerbang/pkg/audit"
	"gerbang/pkg/caller"
	"gerbang/pkg/idempotency"
	"gerbang/services/licensing/internal/domain"
)

// CreateApplication starts a draft for one of the caller's businesses; a
// renewal names the license it renews. Under an Idempotency-Key (the zero
// key for none), a retry of the same request returns the application the
// first one made and changes nothing.
func (s *Service) CreateApplication(ctx context.Context, c caller.Caller, key idempotency.Key, businessID, kbli string, size int64, renewalOf string) (domain.Application, error) {
	if err := mustBeApplicant(c); err != nil {
		return domain.Application{}, err
	}
	var out domain.Application
	err := s.store.InTx(ctx, func(tx Tx) error {
		if found, err := tx.Claim(ctx, key, &out); err != nil || found {
			return err
		}
		b, err := tx.Business(ctx, businessID, c.Subject)
		if err != nil {
			if apperr.Is(err, apperr.NotFound) {
				return apperr.InvalidFields("no such business of yours", apperr.Field("business_id", "name one of your businesses"))
			}
			return err
		}
		if renewalOf != "" {
			l, err := tx.LockLicense(ctx, renewalOf)
			if err != nil || l.OwnerSubject != c.Subject {
				return apperr.InvalidFields("no such license of yours", apperr.Field("renewal_of", "name one of your licenses"))
			}
			if l.BusinessID != b.ID || l.KBLI != kbli {
				return apperr.InvalidFields("a renewal is for the same business and activity",
					apperr.Field("renewal_of", "license %s is for business %s, KBLI %s", l.Number, l.BusinessID, l.KBLI))
			}
		}
		now := s.clock.Now()
		a, err := domain.NewApplication(b.Business, kbli, size, renewalOf, now)
		if err != nil {
			return err
		}
		if out, err = tx.InsertApplication(ctx, a); err != nil {
			return err
		}
		if err := tx.Audit(ctx, audit.Entry{
			Actor: c.Subject, ActorRoles: c.Roles, Action: "application.create", EntityType: "application", EntityID: out.ID,
			After:     map[string]any{"state": out.State, "business_id": out.BusinessID, "kbli": out.KBLI, "size": out.Size, "renewal_of": out.RenewalOf},
			RequestID: c.RequestID, At: now,
		}); err != nil {
			return err
		}
		return tx.Store(ctx, key, out)
	})
	return out, err
}
