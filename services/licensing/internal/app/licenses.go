package app

import (
	"context"
	"gerbang/pkg/caller"
	"gerbang/pkg/keyset"
	"strings"

	"gerbang/pkg/apperr"
	"gerbang/services/licensing/internal/domain"
)

// ChangeLicense suspends, reinstates or revokes a license (officers, with
// a reason).
func (s *Service) ChangeLicense(ctx context.Context, c caller.Caller, id string, action domain.LicenseAction, reason string) (LicenseRecord, error) {
	if err := mustBeOfficer(c); err != nil {
		return LicenseRecord{}, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return LicenseRecord{}, apperr.InvalidFields("give the reason", apperr.Field("reason", "required"))
	}
	if action == domain.LicenseExpire {
		return LicenseRecord{}, apperr.New(apperr.Forbidden, "licenses expire by the clock, not by request")
	}
	var out LicenseRecord
	err := s.store.InTx(ctx, func(tx Tx) error {
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
func (s *Service) LicenseOfApplication(ctx context.Context, c caller.Caller, applicationID string) (LicenseRecord, error) {
	if _, err := s.store.Application(ctx, applicationID, ownerOf(c)); err != nil {
		return LicenseRecord{}, err
	}
	return s.store.LicenseOfApplication(ctx, applicationID)
}

// MyLicenses lists the licenses the caller may see: a business its own,
// officers and auditors all.
func (s *Service) MyLicenses(ctx context.Context, c caller.Caller, p keyset.Page) ([]LicenseRecord, string, error) {
	return s.store.Licenses(ctx, ownerOf(c), p)
}

// VerifyLicense answers the public: is there a license with this number,
// and what is its live status.
func (s *Service) VerifyLicense(ctx context.Context, number string) (LicenseRecord, error) {
	return s.store.LicenseByNumber(ctx, strings.TrimSpace(number))
}
