package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"gerbang/pkg/apperr"
	"gerbang/pkg/audit"
	"gerbang/pkg/caller"
	"gerbang/pkg/idempotency"
	"gerbang/pkg/journal"
	"gerbang/pkg/keyset"
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
// once; licensing.business.registered is published. Under an
// Idempotency-Key (the zero key for none), a retry of the same request
// returns the business the first one registered and changes nothing.
func (s *Service) RegisterBusiness(ctx context.Context, c caller.Caller, key idempotency.Key, in domain.BusinessInput) (BusinessRecord, error) {
	if err := mustBeApplicant(c); err != nil {
		return BusinessRecord{}, err
	}
	b, err := domain.NewBusiness(c.Subject, in)
	if err != nil {
		return BusinessRecord{}, err
	}
	if c.Org != "" {
		if _, err := uuid.Parse(c.Org); err != nil {
			return BusinessRecord{}, apperr.New(apperr.Forbidden, "Your account's organisation %q is not a business id; ask the portal administrator to fix your account.", c.Org)
		}
		b.ID = c.Org
	}
	for attempt := 1; ; attempt++ {
		if b.NIB, err = domain.NewNIB(s.random); err != nil {
			return BusinessRecord{}, err
		}
		var rec BusinessRecord
		err = s.store.InTx(ctx, func(tx Tx) error {
			if found, err := tx.Claim(ctx, key, &rec); err != nil || found {
				return err
			}
			now := s.clock.Now()
			if rec, err = tx.InsertBusiness(ctx, b, now); err != nil {
				return err
			}
			if err := tx.Publish(ctx, journal.Event{Type: SubjectBusinessRegistered, Subject: rec.ID, Aggregate: "business/" + rec.ID,
				Data: businessEvent(rec.Business, rec.CreatedAt), At: now}); err != nil {
				return err
			}
			if err := tx.Audit(ctx, audit.Entry{
				Actor: c.Subject, ActorRoles: c.Roles, Action: "business.register", EntityType: "business", EntityID: rec.ID,
				After: rec.Business, RequestID: c.RequestID, At: now,
			}); err != nil {
				return err
			}
			return tx.Store(ctx, key, rec)
		})
		if err == nil {
			return rec, nil
		}
		if !errors.Is(err, ErrNIBTaken) || attempt == nibAttempts {
			return BusinessRecord{}, fmt.Errorf("register business: %w", err)
		}
	}
}

func businessEvent(b domain.Business, registeredAt time.Time) BusinessRegistered {
	return BusinessRegistered{
		BusinessID: b.ID, NIB: string(b.NIB), Name: b.Name, NPWP: string(b.NPWP), Address: b.Address,
		Scale: string(b.Scale), KBLI: b.KBLI, OwnerSubject: b.OwnerSubject, RegisteredAt: rfc3339(registeredAt),
	}
}

// Business returns a business the caller may see (another's is NotFound).
func (s *Service) Business(ctx context.Context, c caller.Caller, id string) (BusinessRecord, error) {
	return s.store.Business(ctx, id, ownerOf(c))
}

// MyBusinesses lists the businesses the caller may see: a business its
// own, officers and auditors all.
func (s *Service) MyBusinesses(ctx context.Context, c caller.Caller, p keyset.Page) ([]BusinessRecord, string, error) {
	return s.store.Businesses(ctx, ownerOf(c), p)
}

// UpdateBusiness changes the details of the caller's business (name,
// address, scale, KBLI activities; never the NIB or the NPWP) and
// publishes licensing.business.updated. Applications already submitted keep
// the scale and activity they were submitted with.
func (s *Service) UpdateBusiness(ctx context.Context, c caller.Caller, id string, version int, p domain.BusinessPatch) (BusinessRecord, error) {
	if err := mustBeApplicant(c); err != nil {
		return BusinessRecord{}, err
	}
	var out BusinessRecord
	err := s.store.InTx(ctx, func(tx Tx) error {
		rec, err := tx.LockBusiness(ctx, id, c.Subject)
		if err != nil {
			return err
		}
		if err := checkVersion("business", version, rec.Version); err != nil {
			return err
		}
		next, err := rec.Patched(p)
		if err != nil {
			return err
		}
		if err := tx.SaveBusiness(ctx, next); err != nil {
			return err
		}
		now := s.clock.Now()
		out = BusinessRecord{Business: next, CreatedAt: rec.CreatedAt, Version: rec.Version + 1}
		if err := tx.Publish(ctx, journal.Event{Type: SubjectBusinessUpdated, Subject: next.ID, Aggregate: "business/" + next.ID,
			Data: businessEvent(next, rec.CreatedAt), At: now}); err != nil {
			return err
		}
		return tx.Audit(ctx, audit.Entry{
			Actor: c.Subject, ActorRoles: c.Roles, Action: "business.update", EntityType: "business", EntityID: next.ID,
			Before: rec.Business, After: next, RequestID: c.RequestID, At: now,
		})
	})
	return out, err
}
