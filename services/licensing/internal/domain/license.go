package domain

import (
	"fmt"
	"strings"
	"time"

	"gerbang/pkg/apperr"
)

// LicenseStatus is the live status of an issued license.
type LicenseStatus string

const (
	LicenseActive    LicenseStatus = "active"
	LicenseSuspended LicenseStatus = "suspended"
	LicenseRevoked   LicenseStatus = "revoked"
	LicenseExpired   LicenseStatus = "expired"
)

// License is an issued license (or standard certificate).
type License struct {
	ID            string
	Number        string // LIC-2026-000123
	ApplicationID string
	BusinessID    string
	OwnerSubject  string
	HolderName    string
	NIB           NIB
	KBLI          string
	LicenseType   string
	LicenseName   string
	Risk          RiskLevel
	IssuedAt      time.Time
	ValidFrom     time.Time
	ValidUntil    *time.Time // nil: valid while the business runs
	Status        LicenseStatus
}

// LicenseNumber formats the human number of a license: the year of issue
// in Jakarta and a serial from a sequence (gaps allowed, no lock shared by
// all issuances).
func LicenseNumber(issuedAt time.Time, serial int64) string {
	return fmt.Sprintf("LIC-%d-%06d", issuedAt.In(jakarta).Year(), serial)
}

// NewLicense builds the license an application leads to, valid from the
// Jakarta date of issue for the months of its terms.
func NewLicense(a Application, b Business, number string, now time.Time) License {
	from := now.In(jakarta)
	start := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, jakarta)
	l := License{
		Number: number, ApplicationID: a.ID, BusinessID: b.ID, OwnerSubject: b.OwnerSubject,
		HolderName: b.Name, NIB: b.NIB, KBLI: a.KBLI, IssuedAt: now.UTC(), ValidFrom: start.UTC(), Status: LicenseActive,
	}
	if a.Terms != nil {
		l.LicenseType, l.LicenseName, l.Risk = a.Terms.LicenseType, a.Terms.LicenseName, a.Terms.Risk
		if a.Terms.ValidityMonths > 0 {
			until := start.AddDate(0, a.Terms.ValidityMonths, 0).UTC()
			l.ValidUntil = &until
		}
	}
	return l
}

// LicenseAction is a change of a license's status.
type LicenseAction string

const (
	LicenseSuspend   LicenseAction = "suspend"   // officer: active -> suspended
	LicenseReinstate LicenseAction = "reinstate" // officer: suspended -> active
	LicenseRevoke    LicenseAction = "revoke"    // officer: active | suspended -> revoked
	LicenseExpire    LicenseAction = "expire"    // system, validity ended: active | suspended -> expired
)

// NextLicenseStatus returns the status an action leads to; a status the
// action does not start from is a Conflict carrying current_state.
func NextLicenseStatus(current LicenseStatus, action LicenseAction) (LicenseStatus, error) {
	var from []LicenseStatus
	var to LicenseStatus
	switch action {
	case LicenseSuspend:
		from, to = []LicenseStatus{LicenseActive}, LicenseSuspended
	case LicenseReinstate:
		from, to = []LicenseStatus{LicenseSuspended}, LicenseActive
	case LicenseRevoke:
		from, to = []LicenseStatus{LicenseActive, LicenseSuspended}, LicenseRevoked
	case LicenseExpire:
		from, to = []LicenseStatus{LicenseActive, LicenseSuspended}, LicenseExpired
	default:
		return "", apperr.New(apperr.Invalid, "unknown license action %q", action)
	}
	for _, f := range from {
		if f == current {
			return to, nil
		}
	}
	return "", apperr.New(apperr.Conflict, "a license that is %s cannot be %sd", current, strings.TrimSuffix(string(action), "e")).
		With("current_state", string(current))
}
