package app

import (
	"context"
	"fmt"
	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/pkg/audit"
	"gerbang/pkg/events"
	"gerbang/services/licensing/internal/adapters/postgres"
	"gerbang/services/licensing/internal/domain"
)

// BusinessRegistered is the data of licensing.business.registered.
type BusinessRegistered struct {
	BusinessID   string   `json:"business_id"`
	NIB          string   `json:"nib"`
	Name         string   `json:"name"`
	NPWP         string   `json:"npwp"`
	Address      string   `json:"address"`
	Scale        string   `json:"scale"`
	KBLI         []string `json:"kbli"`
	OwnerSubject string   `json:"owner_subject"`
	RegisteredAt string   `json:"registered_at"`
}

// nibAttempts bounds the redraws of an NIB that happens to be taken.
const nibAttempts = 5

// RegisterBusiness registers the caller's business and gives it an NIB at
// once; licensing.business.registered is published.
func (s *Service) RegisterBusiness(ctx context.Context, c Caller, in domain.BusinessInput) (postgres.BusinessRecord, error) {
	return s.RegisterBusinessOnce(ctx, c, "", in)
}

// RegisterBusinessOnce is RegisterBusiness under the caller's
// Idempotency-Key ("" for none), which the business keeps: called again with
// the key, it returns the business the first call registered (the HTTP
// layer's stored answer may have been lost with a crashed process) and
// changes nothing.
func (s *Service) RegisterBusinessOnce(ctx context.Context, c Caller, key string, in domain.BusinessInput) (postgres.BusinessRecord, error) {
	if err := c.applicant(); err != nil {
		return postgres.BusinessRecord{}, err
	}
	b, err := domain.NewBusiness(c.Subject, in)
	if err != nil {
		return postgres.BusinessRecord{}, err
	}
	if c.Org != "" {
		if _, err := uuid.Parse(c.Org); err != nil {
			return postgres.BusinessRecord{}, apperr.New(apperr.Forbidden, "Your account's organisation %q is not a business id; ask the portal administrator to fix your account.", c.Org)
		}
		b.ID = c.Org
	}
	for attempt := 1; ; attempt++ {
		if b.NIB, err = domain.NewNIB(s.random); err != nil {
			return postgres.BusinessRecord{}, err
		}
		var rec postgres.BusinessRecord
		err = s.store.InTx(ctx, func(tx *postgres.Tx) error {
			now := s.clock.Now()
			var created bool
			if rec, created, err = tx.InsertBusinessOnce(ctx, b, now, key); err != nil || !created {
				return err
			}
			ev, err := events.New(Source, "licensing.business.registered", rec.ID, BusinessRegistered{
				BusinessID: rec.ID, NIB: string(rec.NIB), Name: rec.Name, NPWP: string(rec.NPWP), Address: rec.Address,
				Scale: string(rec.Scale), KBLI: rec.KBLI, OwnerSubject: rec.OwnerSubject, RegisteredAt: rfc3339(now),
			}, now)
			if err != nil {
				return err
			}
			if err := tx.Publish(ctx, ev, "business/"+rec.ID); err != nil {
				return err
			}
			return tx.Audit(ctx, audit.Entry{
				Actor: c.Subject, ActorRoles: c.Roles, Action: "business.register", EntityType: "business", EntityID: rec.ID,
				After: rec.Business, RequestID: c.RequestID, At: now,
			})
		})
		if err == nil {
			return rec, nil
		}
		if !postgres.IsNIBTaken(err) || attempt == nibAttempts {
			return postgres.BusinessRecord{}, fmt.Errorf("register business: %w", err)
		}
	}
}

// Business returns a business the caller may see (another's is NotFound).
func (s *Service) Business(ctx context.Context, c Caller, id string) (postgres.BusinessRecord, error) {
	return s.store.Business(ctx, id, c.owner())
}

// MyBusinesses lists the businesses the caller may see: a business its
// own, officers and auditors all.
func (s *Service) MyBusinesses(ctx context.Context, c Caller, p postgres.Page) ([]postgres.BusinessRecord, string, error) {
	return s.store.Businesses(ctx, c.owner(), p)
}

// UpdateBusiness changes the details of the caller's business (name,
// address, scale, KBLI activities; never the NIB or the NPWP) and
// publishes licensing.business.updated. Applications already submitted keep
// the scale and activity they were submitted with.
func (s *Service) UpdateBusiness(ctx context.Context, c Caller, id string, p domain.BusinessPatch) (postgres.BusinessRecord, error) {
	if err := c.applicant(); err != nil {
		return postgres.BusinessRecord{}, err
	}
	var out postgres.BusinessRecord
	err := s.store.InTx(ctx, func(tx *postgres.Tx) error {
		rec, err := tx.LockBusiness(ctx, id, c.Subject)
		if err != nil {
			return err
		}
		if c.ExpectVersion != 0 && c.ExpectVersion != rec.Version {
			return apperr.New(apperr.PreconditionFailed, "the business changed since you read it (version %d is now %d); reload it and try again",
				c.ExpectVersion, rec.Version).With("current_version", rec.Version)
		}
		next, err := rec.Patched(p)
		if err != nil {
			return err
		}
		if err := tx.SaveBusiness(ctx, next); err != nil {
			return err
		}
		now := s.clock.Now()
		out = postgres.BusinessRecord{Business: next, CreatedAt: rec.CreatedAt, Version: rec.Version + 1}
		ev, err := events.New(Source, "licensing.business.updated", next.ID, BusinessRegistered{
			BusinessID: next.ID, NIB: string(next.NIB), Name: next.Name, NPWP: string(next.NPWP), Address: next.Address,
			Scale: string(next.Scale), KBLI: next.KBLI, OwnerSubject: next.OwnerSubject, RegisteredAt: rfc3339(rec.CreatedAt),
		}, now)
		if err != nil {
			return err
		}
		if err := tx.Publish(ctx, ev, "business/"+next.ID); err != nil {
			return err
		}
		return tx.Audit(ctx, audit.Entry{
			Actor: c.Subject, ActorRoles: c.Roles, Action: "business.update", EntityType: "business", EntityID: next.ID,
			Before: rec.Business, After: next, RequestID: c.RequestID, At: now,
		})
	})
	return out, err
}
