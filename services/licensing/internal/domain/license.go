package domain

import (
	"fmt"
	"slices"
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

// LicenseTransition is one edge of the license machine: from any of From,
// by Actor, to To.
type LicenseTransition struct {
	Action LicenseAction
	From   []LicenseStatus
	To     LicenseStatus
	Actor  Actor
}

// LicenseTransitions returns the license machine, every edge with the one
// actor allowed to take it (the form of the application machine).
func LicenseTransitions() []LicenseTransition {
	return []LicenseTransition{
		{LicenseSuspend, []LicenseStatus{LicenseActive}, LicenseSuspended, ActorOfficer},
		{LicenseReinstate, []LicenseStatus{LicenseSuspended}, LicenseActive, ActorOfficer},
		{LicenseRevoke, []LicenseStatus{LicenseActive, LicenseSuspended}, LicenseRevoked, ActorOfficer},
		{LicenseExpire, []LicenseStatus{LicenseActive, LicenseSuspended}, LicenseExpired, ActorSystem},
	}
}

// LicenseStatuses lists every status.
func LicenseStatuses() []LicenseStatus {
	return []LicenseStatus{LicenseActive, LicenseSuspended, LicenseRevoked, LicenseExpired}
}

// ExpirableStatuses are the statuses a license expires from when its
// validity ends (those expire starts from); the scheduler passes them to the
// database.
func ExpirableStatuses() []LicenseStatus {
	for _, t := range LicenseTransitions() {
		if t.Action == LicenseExpire {
			return t.From
		}
	}
	return nil
}

// InForce reports whether a license of this status may be used: only an
// active one.
func (s LicenseStatus) InForce() bool { return s == LicenseActive }

// RemindableStatuses are the statuses whose holder is reminded to renew
// before the validity ends: a license in force. A suspended one is not (its
// holder has the suspension to settle first).
func RemindableStatuses() []LicenseStatus {
	var out []LicenseStatus
	for _, s := range LicenseStatuses() {
		if s.InForce() {
			out = append(out, s)
		}
	}
	return out
}

// NextLicenseStatus returns the status an action leads to; a status the
// action does not start from is a Conflict carrying current_state. The
// actor is not checked here: who may act is the use case's (officers by
// role, the scheduler for expiry).
func NextLicenseStatus(current LicenseStatus, action LicenseAction) (LicenseStatus, error) {
	for _, t := range LicenseTransitions() {
		if t.Action != action {
			continue
		}
		if !slices.Contains(t.From, current) {
			return "", apperr.New(apperr.Conflict, "a license that is %s cannot be %sd", current, strings.TrimSuffix(string(action), "e")).
				With("current_state", string(current))
		}
		return t.To, nil
	}
	return "", apperr.New(apperr.Invalid, "unknown license action %q", action)
}
