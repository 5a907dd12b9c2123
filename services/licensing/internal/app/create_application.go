package app

import (
	"context"

	"gerbang/pkg/apperr"
	"gerbang/pkg/audit"
	"gerbang/services/licensing/internal/adapters/postgres"
	"gerbang/services/licensing/internal/domain"
)

// CreateApplication starts a draft for one of the caller's businesses; a
// renewal names the license it renews.
func (s *Service) CreateApplication(ctx context.Context, c Caller, businessID, kbli string, size int64, renewalOf string) (domain.Application, error) {
	return s.CreateApplicationOnce(ctx, c, "", businessID, kbli, size, renewalOf)
}

// CreateApplicationOnce is CreateApplication under the caller's
// Idempotency-Key, which the application keeps: called again with the key,
// it returns the application the first call made (the HTTP layer's stored
// answer may have been lost with a crashed process), or refuses a different
// request (422).
func (s *Service) CreateApplicationOnce(ctx context.Context, c Caller, key, businessID, kbli string, size int64, renewalOf string) (domain.Application, error) {
	if err := c.applicant(); err != nil {
		return domain.Application{}, err
	}
	var out domain.Application
	err := s.store.InTx(ctx, func(tx *postgres.Tx) error {
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
		var created bool
		if out, created, err = tx.InsertApplicationOnce(ctx, a, key); err != nil {
			return err
		}
		if !created {
			if out.BusinessID != a.BusinessID || out.KBLI != a.KBLI || out.Size != a.Size || out.RenewalOf != a.RenewalOf {
				return apperr.New(apperr.Unprocessable,
					"This Idempotency-Key was already used with a different request. Use a new key for a new request.")
			}
			return nil
		}
		return tx.Audit(ctx, audit.Entry{
			Actor: c.Subject, ActorRoles: c.Roles, Action: "application.create", EntityType: "application", EntityID: out.ID,
			After:     map[string]any{"state": out.State, "business_id": out.BusinessID, "kbli": out.KBLI, "size": out.Size, "renewal_of": out.RenewalOf},
			RequestID: c.RequestID, At: now,
		})
	})
	return out, err
}
