package app

import (
	"context"
	"strings"

	"gerbang/pkg/apperr"
	"gerbang/services/licensing/internal/adapters/postgres"
	"gerbang/services/licensing/internal/domain"
)

// ChangeLicense suspends, reinstates or revokes a license (officers, with
// a reason).
func (s *Service) ChangeLicense(ctx context.Context, c Caller, id string, action domain.LicenseAction, reason string) (postgres.LicenseRecord, error) {
	if err := c.officer(); err != nil {
		return postgres.LicenseRecord{}, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return postgres.LicenseRecord{}, apperr.InvalidFields("give the reason", apperr.Field("reason", "required"))
	}
	if action == domain.LicenseExpire {
		return postgres.LicenseRecord{}, apperr.New(apperr.Forbidden, "licenses expire by the clock, not by request")
	}
	var out postgres.LicenseRecord
	err := s.store.InTx(ctx, func(tx *postgres.Tx) error {
		l, err := tx.LockLicense(ctx, id)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if err := s.changeLicense(ctx, tx, l, action, who{subject: c.Subject, roles: c.Roles, requestID: c.RequestID}, reason, now); err != nil {
			return err
		}
		out, err = tx.LockLicense(ctx, id)
		return err
	})
	return out, err
}

// LicenseOfApplication returns the license of an application the caller
// may see.
func (s *Service) LicenseOfApplication(ctx context.Context, c Caller, applicationID string) (postgres.LicenseRecord, error) {
	if _, err := s.store.Application(ctx, applicationID, c.owner()); err != nil {
		return postgres.LicenseRecord{}, err
	}
	return s.store.LicenseOfApplication(ctx, applicationID)
}

// MyLicenses lists the licenses the caller may see: a business its own,
// officers and auditors all.
func (s *Service) MyLicenses(ctx context.Context, c Caller, p postgres.Page) ([]postgres.LicenseRecord, string, error) {
	return s.store.Licenses(ctx, c.owner(), p)
}

// VerifyLicense answers the public: is there a license with this number,
// and what is its live status.
func (s *Service) VerifyLicense(ctx context.Context, number string) (postgres.LicenseRecord, error) {
	return s.store.LicenseByNumber(ctx, strings.TrimSpace(number))
}
