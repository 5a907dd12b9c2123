package app

import (
	"context"

	"gerbang/pkg/apperr"
	"gerbang/services/portal/internal/domain"
)

// The public pages: license verification, read from the services' public
// APIs (adapters/services).

const (
	// LicenseNotFound answers a number no license has, or one that is not a
	// license number at all.
	LicenseNotFound = "Izin tidak ditemukan / License not found"
)

// LicenseRegistry verifies licenses (licensing's public API). Unknown
// numbers are an apperr NotFound; a licensing service that cannot answer is
// an apperr Unavailable.
type LicenseRegistry interface {
	VerifyLicense(ctx context.Context, number string) (domain.LicenseVerification, error)
}

// VerifyLicense returns licensing's answer about number. A number that
// cannot be a license number is not found without asking licensing.
func VerifyLicense(ctx context.Context, licenses LicenseRegistry, number string) (domain.LicenseVerification, error) {
	n, ok := domain.NormalizeLicenseNumber(number)
	if !ok {
		return domain.LicenseVerification{}, apperr.New(apperr.NotFound, LicenseNotFound)
	}
	return licenses.VerifyLicense(ctx, n)
}
