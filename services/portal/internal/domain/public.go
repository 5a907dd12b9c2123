package domain

import (
	"regexp"
	"strings"
	"time"
)

// What the public pages show, as the services answer it: licensing's
// license verification. The portal owns none of it; these are its read views.

// LicenseStatus is a license's live status in licensing.
type LicenseStatus string

const (
	LicenseActive    LicenseStatus = "active"
	LicenseSuspended LicenseStatus = "suspended"
	LicenseRevoked   LicenseStatus = "revoked"
	LicenseExpired   LicenseStatus = "expired"
)

// licenseNumber is the form licensing gives license numbers (LIC-2026-000123).
var licenseNumber = regexp.MustCompile(`^LIC-[0-9]{4}-[0-9]{6,}$`)

// NormalizeLicenseNumber returns number as licensing writes it (trimmed,
// upper case: people type "lic-2026-000123" from paper) and whether it has
// the form of a license number at all.
func NormalizeLicenseNumber(number string) (string, bool) {
	n := strings.ToUpper(strings.TrimSpace(number))
	return n, licenseNumber.MatchString(n)
}

// LicenseVerification is licensing's public answer about a license number.
type LicenseVerification struct {
	Genuine     bool
	Number      string
	HolderName  string
	NIB         string
	KBLI        string
	LicenseName string
	Status      LicenseStatus
	ValidFrom   time.Time
	ValidUntil  *time.Time // nil: valid while the business runs
}

// StatusAt is the status to show at now: licensing expires licenses on a
// schedule, so an active license whose validity has ended is shown expired
// even before the scheduler has run.
func (v LicenseVerification) StatusAt(now time.Time) LicenseStatus {
	if v.Status == LicenseActive && v.ValidUntil != nil && !now.Before(*v.ValidUntil) {
		return LicenseExpired
	}
	return v.Status
}
